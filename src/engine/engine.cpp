// Engine: loading, batching of prompts and decode steps, prefix reuse and context shift.
#include "engine/engine.h"

#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "base/check.h"
#include "engine/embedding.h"
#include "engine/weights.h"
#include "models/registry.h"

namespace corral::engine {
// Cells per layer: num_ctx for full attention; a sliding-window layer keeps a ring big enough
// for its window plus one batch (a batch's first query still sees its whole window after the
// batch's own K/V have been written).
std::vector<int64_t> kv_cells(const models::ModelInfo& info, const EngineOptions& o) {
  std::vector<int64_t> cells(info.n_layer, o.num_ctx);
  for (int64_t l = 0; l < info.n_layer; ++l)
    if (info.windows[l] > 0) cells[l] = std::min<int64_t>(o.num_ctx, info.windows[l] + o.num_batch);
  return cells;
}

nn::WorkspaceDims workspace_dims(const models::ModelInfo& info, const EngineOptions& o) {
  nn::WorkspaceDims d;
  d.max_tokens = std::max<int64_t>(o.num_batch, o.num_parallel);
  d.max_outputs = std::max<int64_t>(o.max_outputs, o.num_parallel);
  d.n_embd = info.n_embd;
  d.n_q = info.n_head * info.head_dim;
  d.n_kv = info.n_head_kv * info.head_dim;
  d.n_ff = info.n_ff;
  d.n_vocab = info.n_vocab;
  return d;
}

size_t workspace_bytes_needed(const models::ModelInfo& info, const EngineOptions& o) {
  return nn::Workspace::bytes_needed(workspace_dims(info, o));
}

Result<std::unique_ptr<Engine>> Engine::load(const std::filesystem::path& path, const EngineOptions& options) {
  if (options.num_ctx < 1 || options.num_batch < 1 || options.num_parallel < 1)
    return Error::format("num_ctx, num_batch and num_parallel must be positive");
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model,
                          models::load_model(file, {.n_ctx = options.num_ctx}).with_context(path.string()));
  const int64_t kv_dim = model->info().n_head_kv * model->info().head_dim;
  if (options.kv_type == nn::KvCacheType::kQ8_0 && kv_dim % 32 != 0)
    return Error::format("a Q8_0 KV cache needs n_head_kv * head_dim ({}) to be a multiple of 32", kv_dim);
  std::unique_ptr<Engine> engine(new Engine(std::move(file), options, std::move(model)));
  CORRAL_TRY(engine->set_up_devices().with_context(path.string()));
  return engine;
}

Engine::Engine(GgufFile file, const EngineOptions& options, std::unique_ptr<models::Model> model)
    : file_(std::move(file)), options_(options), model_(std::move(model)), seqs_(options.num_parallel) {
  const nn::WorkspaceDims dims = workspace_dims(model_->info(), options);
  batch_tokens_.reserve(dims.max_tokens);
  batch_pos_.reserve(dims.max_tokens);
  segments_.reserve(options.num_parallel);
  out_rows_.reserve(dims.max_outputs);
}

Status Engine::set_up_devices() {
  const models::ModelInfo& info = model_->info();
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(make_cpu_backend(options_.num_threads));
  map_.layer.assign(info.n_layer, 0);
  map_.input = map_.output = 0;

  std::vector<Backend*> raw;
  for (const auto& be : backends) raw.push_back(be.get());
  CORRAL_ASSIGN_OR_RETURN(weights_, prepare_model_weights(*model_, raw, map_));
  std::vector<Backend*> layer_backends;
  for (size_t d : map_.layer) layer_backends.push_back(raw[d]);
  CORRAL_ASSIGN_OR_RETURN(cache_, nn::KvCache::create(info.n_head_kv * info.head_dim, kv_cells(info, options_),
                                                      options_.num_parallel, options_.kv_type, layer_backends));
  for (auto& be : backends) {
    CORRAL_ASSIGN_OR_RETURN(nn::Workspace ws, nn::Workspace::create(*be, workspace_dims(info, options_)));
    devices_.push_back(Device{std::move(be), std::move(ws)});
  }
  for (Device& d : devices_) device_refs_.push_back({d.be.get(), &d.ws});
  return {};
}

size_t Engine::kv_bytes() const {
  size_t total = 0;
  for (const Device& d : devices_) total += d.be->memory().kv;
  return total;
}

Status Engine::check_slot(int32_t slot) const {
  if (slot < 0 || slot >= options_.num_parallel)
    return Error::format("slot {} does not exist (num_parallel {})", slot, options_.num_parallel);
  return {};
}

Result<std::span<const float>> Engine::run_batch(nn::OutputKind output) {
  nn::BatchView batch;
  batch.n_tokens = static_cast<int64_t>(batch_tokens_.size());
  batch.tokens = batch_tokens_.data();
  batch.pos = batch_pos_.data();
  batch.segments = segments_;
  batch.out_rows = out_rows_;
  batch.output = output;
  nn::Pass pass(batch, device_refs_, map_, cache_);
  model_->forward(pass);
  CORRAL_TRY(pass.status());
  const Device& out = devices_[map_.output];
  const Tensor rows =
      (output == nn::OutputKind::kHidden ? out.ws.h : out.ws.logits).first_rows(static_cast<int64_t>(out_rows_.size()));
  const size_t n = static_cast<size_t>(rows.rows * rows.cols);
  if (rows.host()) {  // CPU memory: read in place
    CORRAL_TRY(out.be->sync());
    return std::span<const float>(rows.f32(), n);
  }
  outputs_.resize(n);
  CORRAL_TRY(out.be->read(rows, outputs_.data()));
  return std::span<const float>(outputs_);
}

Status Engine::check_append(int32_t slot, std::span<const int32_t> tokens) const {
  CORRAL_TRY(check_slot(slot));
  if (tokens.empty()) return Error("no tokens to evaluate");
  const std::vector<int32_t>& seq = seqs_[slot];
  if (static_cast<int64_t>(seq.size() + tokens.size()) > options_.num_ctx)
    return Error::format("{} tokens do not fit the context ({} used of num_ctx {})", tokens.size(), seq.size(),
                         options_.num_ctx);
  for (int32_t t : tokens)
    if (t < 0 || t >= n_vocab()) return Error::format("token id {} is not in the vocabulary", t);
  return {};
}

void Engine::stage_chunk(int32_t slot, std::span<const int32_t> tokens, size_t begin, size_t end) {
  const size_t used = seqs_[slot].size();
  batch_tokens_.assign(tokens.begin() + begin, tokens.begin() + end);
  batch_pos_.clear();
  for (size_t i = begin; i < end; ++i) batch_pos_.push_back(static_cast<int32_t>(used + (i - begin)));
  segments_.assign(1, nn::SeqSegment{slot, 0, static_cast<int64_t>(end - begin)});
  out_rows_.clear();
}

Result<std::vector<float>> Engine::evaluate(int32_t slot, std::span<const int32_t> tokens, bool all_logits) {
  CORRAL_TRY(check_append(slot, tokens));
  std::vector<int32_t>& seq = seqs_[slot];
  const int64_t vocab = n_vocab();
  int64_t chunk = options_.num_batch;
  if (all_logits) chunk = std::min(chunk, devices_.front().ws.dims.max_outputs);
  std::vector<float> logits;
  for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
    const size_t end = std::min(tokens.size(), begin + static_cast<size_t>(chunk));
    stage_chunk(slot, tokens, begin, end);
    if (all_logits)
      for (size_t i = 0; i < end - begin; ++i) out_rows_.push_back(static_cast<int64_t>(i));
    else if (end == tokens.size())
      out_rows_.push_back(static_cast<int64_t>(end - begin - 1));
    CORRAL_ASSIGN_OR_RETURN(std::span<const float> rows, run_batch());
    seq.insert(seq.end(), batch_tokens_.begin(), batch_tokens_.end());
    logits.insert(logits.end(), rows.begin(), rows.begin() + static_cast<int64_t>(out_rows_.size()) * vocab);
  }
  return logits;
}

Result<std::span<const float>> Engine::prompt(int32_t slot, std::span<const int32_t> tokens) {
  CORRAL_TRY(check_slot(slot));
  if (tokens.empty()) return Error("empty prompt");
  const std::vector<int32_t>& seq = seqs_[slot];
  int32_t common = 0;
  while (common < static_cast<int32_t>(seq.size()) && common < static_cast<int32_t>(tokens.size()) &&
         seq[common] == tokens[common])
    ++common;
  // At least the last prompt token is evaluated again, for its logits.
  common = std::min<int32_t>(common, static_cast<int32_t>(tokens.size()) - 1);
  common = cache_.reusable_prefix(common, static_cast<int32_t>(seq.size()), model_->info().windows);
  cache_.forget_from(slot, common);
  seqs_[slot].resize(common);
  last_reused_ = common;
  CORRAL_ASSIGN_OR_RETURN(last_logits_, evaluate(slot, tokens.subspan(common), false));
  return std::span<const float>(last_logits_);
}

Result<std::span<const float>> Engine::decode(std::span<const SlotToken> inputs) {
  if (inputs.empty()) return Error("nothing to decode");
  if (static_cast<int64_t>(inputs.size()) > devices_.front().ws.dims.max_outputs)
    return Error("more inputs than num_parallel");
  batch_tokens_.clear();
  batch_pos_.clear();
  segments_.clear();
  out_rows_.clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const SlotToken& in = inputs[i];
    CORRAL_TRY(check_slot(in.slot));
    for (size_t j = 0; j < i; ++j)
      if (inputs[j].slot == in.slot) return Error::format("slot {} listed twice in one decode step", in.slot);
    if (in.token < 0 || in.token >= n_vocab()) return Error::format("token id {} is not in the vocabulary", in.token);
    if (length(in.slot) >= options_.num_ctx)
      return Error::format("slot {} is full (num_ctx {})", in.slot, options_.num_ctx);
    batch_tokens_.push_back(in.token);
    batch_pos_.push_back(length(in.slot));
    segments_.push_back(nn::SeqSegment{in.slot, static_cast<int64_t>(i), static_cast<int64_t>(i + 1)});
    out_rows_.push_back(static_cast<int64_t>(i));
  }
  CORRAL_ASSIGN_OR_RETURN(std::span<const float> logits, run_batch());
  for (const SlotToken& in : inputs) seqs_[in.slot].push_back(in.token);
  return logits;
}

Result<std::vector<float>> Engine::hidden_states(int32_t slot, std::span<const int32_t> tokens) {
  CORRAL_TRY(check_slot(slot));
  clear(slot);
  CORRAL_TRY(check_append(slot, tokens));
  const int64_t d = info().n_embd;
  const auto chunk = static_cast<size_t>(options_.num_batch);
  std::vector<float> hidden;
  hidden.reserve(tokens.size() * d);
  for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
    const size_t end = std::min(tokens.size(), begin + chunk);
    stage_chunk(slot, tokens, begin, end);
    for (size_t i = 0; i < end - begin; ++i) out_rows_.push_back(static_cast<int64_t>(i));
    CORRAL_ASSIGN_OR_RETURN(std::span<const float> rows, run_batch(nn::OutputKind::kHidden));
    seqs_[slot].insert(seqs_[slot].end(), batch_tokens_.begin(), batch_tokens_.end());
    hidden.insert(hidden.end(), rows.begin(), rows.begin() + static_cast<int64_t>(end - begin) * d);
  }
  clear(slot);
  return hidden;
}

Result<std::vector<float>> Engine::embed(int32_t slot, std::span<const int32_t> tokens) {
  CORRAL_ASSIGN_OR_RETURN(Pooling pooling, pooling_of(file_.metadata(), info().arch));
  CORRAL_ASSIGN_OR_RETURN(std::vector<float> hidden, hidden_states(slot, tokens));
  return pool(hidden, static_cast<int64_t>(tokens.size()), info().n_embd, pooling);
}

Status Engine::shift(int32_t slot, int32_t num_keep) {
  CORRAL_TRY(check_slot(slot));
  std::vector<int32_t> seq = seqs_[slot];
  const int32_t n = static_cast<int32_t>(seq.size());
  num_keep = std::clamp(num_keep, 0, n);
  const int32_t discard = (n - num_keep) / 2;
  if (discard == 0) return {};
  seq.erase(seq.begin() + num_keep, seq.begin() + num_keep + discard);
  clear(slot);
  CORRAL_ASSIGN_OR_RETURN(std::vector<float> unused, evaluate(slot, seq, false));
  (void)unused;
  return {};
}

void Engine::clear(int32_t slot) {
  cache_.forget_from(slot, 0);
  seqs_[slot].clear();
}

}  // namespace corral::engine
