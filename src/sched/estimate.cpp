// Per-layer memory estimate from the GGUF tensor sizes and the engine's sizing functions.
#include "sched/estimate.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "backend/cpu/cpu_backend.h"
#include "engine/engine.h"
#include "models/registry.h"

namespace corral::sched {
namespace {

// The layer index of "blk.N.…", or -1.
int64_t block_index(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  const char* begin = name.data() + 4;
  const char* end = name.data() + name.size();
  int64_t n = -1;
  auto [p, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || p == end || *p != '.') return -1;
  return n;
}

engine::EngineOptions engine_options(const EstimateOptions& o) {
  engine::EngineOptions e;
  e.num_ctx = o.num_ctx;
  e.num_batch = o.num_batch;
  e.num_parallel = o.num_parallel;
  e.kv_type = o.kv_type;
  return e;
}

}  // namespace

Result<ModelShape> read_model_shape(const GgufFile& file) {
  // Loading binds weight views only (no copies), so this is cheap even for large models.
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, models::load_model(file, {.n_ctx = 0}));
  ModelShape s;
  s.info = model->info();
  s.layer_weights.assign(s.info.n_layer, 0);
  uint64_t output_norm = 0, output = 0;
  bool has_output = false;
  for (const GgufTensor& t : file.tensors()) {
    const int64_t layer = block_index(t.name);
    if (layer >= 0 && layer < s.info.n_layer)
      s.layer_weights[layer] += t.n_bytes;
    else if (t.name == "token_embd.weight")
      s.token_embd = t.n_bytes;
    else if (t.name == "output_norm.weight" || t.name == "output_norm.bias")
      output_norm += t.n_bytes;
    else if (t.name == "output.weight" || t.name == "output.bias") {
      output += t.n_bytes;
      has_output = has_output || t.name == "output.weight";
    } else
      s.other += t.n_bytes;
  }
  // A tied head multiplies by the embedding, which a GPU then needs a copy of.
  s.output_tied = !has_output;
  s.output = output_norm + (has_output ? output : s.token_embd + output);
  return s;
}

uint64_t Estimate::kv_total() const {
  uint64_t t = kv_scratch;
  for (const LayerCost& l : layers) t += l.kv;
  return t;
}

uint64_t Estimate::weights_total() const {
  uint64_t t = token_embd + other + (output_tied ? output - token_embd : output);
  for (const LayerCost& l : layers) t += l.weights;
  return t;
}

uint64_t Estimate::total() const {
  return weights_total() + kv_total() + workspace + matmul_scratch;
}

Estimate estimate(const ModelShape& shape, const EstimateOptions& options) {
  const models::ModelInfo& info = shape.info;
  Estimate e;
  e.options = options;
  e.options.num_ctx = std::max<int64_t>(1, options.num_ctx);
  if (info.n_ctx_train > 0 && e.options.num_ctx > info.n_ctx_train) {
    e.options.num_ctx = info.n_ctx_train;
    e.ctx_capped = true;
  }
  e.options.num_parallel = std::max<int32_t>(1, options.num_parallel);
  e.options.num_batch = std::max<int64_t>(1, options.num_batch);
  const engine::EngineOptions eo = engine_options(e.options);
  const std::vector<int64_t> cells = engine::kv_cells(info, eo);
  const int64_t kv_dim = info.n_head_kv * info.head_dim;
  e.layers.resize(info.n_layer);
  int64_t max_cells = 0;
  for (int64_t l = 0; l < info.n_layer; ++l) {
    e.layers[l].weights = shape.layer_weights[l];
    e.layers[l].cells = cells[l];
    e.layers[l].kv = nn::KvCache::layer_bytes(kv_dim, cells[l], eo.num_parallel, eo.kv_type);
    max_cells = std::max(max_cells, cells[l]);
  }
  e.kv_scratch = CpuBackend::kv_scratch_bytes(kv_dim, max_cells, eo.kv_type);
  e.token_embd = shape.token_embd;
  e.output = shape.output;
  e.output_tied = shape.output_tied;
  e.other = shape.other;
  e.workspace = engine::workspace_bytes_needed(info, eo);
  // Each matmul quantizes its input rows once (kernels/matmul.cpp); bounded by F32 rows of the
  // widest input (n_ff for ffn_down) for a whole batch.
  const int64_t widest = std::max({info.n_embd, info.n_ff, info.n_head * info.head_dim});
  e.matmul_scratch = static_cast<uint64_t>(std::max<int64_t>(eo.num_batch, eo.num_parallel)) * widest * sizeof(float);
  return e;
}

Result<nn::KvCacheType> parse_kv_type(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.empty() || t == "f16") return nn::KvCacheType::kF16;
  if (t == "q8_0") return nn::KvCacheType::kQ8_0;
  if (t == "f32") return nn::KvCacheType::kF32;
  return Error::format("unknown KV cache type \"{}\" (f16, q8_0 or f32)", text);
}

std::string_view kv_type_name(nn::KvCacheType type) {
  switch (type) {
    case nn::KvCacheType::kF32: return "f32";
    case nn::KvCacheType::kQ8_0: return "q8_0";
    default: return "f16";
  }
}

}  // namespace corral::sched
