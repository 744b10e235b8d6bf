// Memory a model needs for given options, per layer. The KV cache and the compute workspace are
// computed by the engine's own sizing functions (exactly what a loaded Engine allocates); weights
// are the GGUF tensor sizes; the matmul scratch and the per-GPU reserve are estimates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/file.h"
#include "models/model.h"
#include "nn/kv_cache.h"

namespace corral::sched {

// Per GPU, kept free for the driver and fragmentation: Ollama's minimum (457 MiB).
inline constexpr uint64_t kGpuReserve = 457ull << 20;

// What the estimate needs from a model file.
struct ModelShape {
  models::ModelInfo info;
  std::vector<uint64_t> layer_weights;  // bytes of the blk.N.* tensors
  uint64_t token_embd = 0;              // input embedding (stays on the CPU, as llama.cpp's input layer)
  uint64_t output = 0;                  // output_norm + output (or the tied token_embd)
  bool output_tied = false;
  uint64_t other = 0;  // tensors outside the layers and the head (e.g. rope_freqs), kept on the CPU
};
Result<ModelShape> read_model_shape(const GgufFile& file);

struct EstimateOptions {
  int64_t num_ctx = 4096;  // capped at the training context
  int32_t num_parallel = 1;
  int64_t num_batch = 512;
  nn::KvCacheType kv_type = nn::KvCacheType::kF16;
};

struct LayerCost {
  uint64_t weights = 0;
  uint64_t kv = 0;
  int64_t cells = 0;  // KV cells per slot (num_ctx, or a sliding window's ring)
  uint64_t total() const { return weights + kv; }
};

struct Estimate {
  EstimateOptions options;  // as used (num_ctx capped)
  bool ctx_capped = false;  // num_ctx was above the training context
  std::vector<LayerCost> layers;
  uint64_t token_embd = 0, output = 0, other = 0;
  bool output_tied = false;
  uint64_t kv_scratch = 0;      // exact: Q8_0 expansion buffer (one layer in F32)
  uint64_t workspace = 0;       // exact: the engine's activation buffers
  uint64_t matmul_scratch = 0;  // estimate: transient activation rows quantized per matmul (upper bound)

  uint64_t compute() const { return workspace + matmul_scratch + kv_scratch; }
  uint64_t kv_total() const;  // layers' KV + kv_scratch: equals Engine::kv_bytes()
  uint64_t weights_total() const;
  uint64_t total() const;
};

Estimate estimate(const ModelShape& shape, const EstimateOptions& options);
// "f16", "q8_0", "f32" (Ollama's OLLAMA_KV_CACHE_TYPE spelling; case-insensitive).
Result<nn::KvCacheType> parse_kv_type(std::string_view text);
std::string_view kv_type_name(nn::KvCacheType type);

}  // namespace corral::sched
