// The self-attention block shared by the decoder architectures: projections (separate or fused
// QKV, optional biases), optional per-head Q/K RMSNorm, RoPE (normal or NeoX pairs, frequency
// factors), optional Q pre-scaling, KV cache write, grouped-query attention with a causal mask and
// optional sliding window, and the output projection.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "nn/batch.h"
#include "nn/kv_cache.h"
#include "nn/workspace.h"

namespace corral::nn {

struct AttentionWeights {
  Weight wq, wk, wv;      // [n_embd] -> [n_q], [n_kv], [n_kv]
  Weight wqkv;            // fused alternative: [n_embd] -> [n_q + 2 n_kv] (q, then k, then v)
  Weight bq, bk, bv;      // optional biases
  Weight q_norm, k_norm;  // optional per-head RMSNorm weights [head_dim]
  Weight wo, bo;          // [n_q] -> [n_embd], optional bias
};

struct AttentionConfig {
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float norm_eps = 1e-5f;  // for q_norm / k_norm
  kernels::RopeParams rope;
  float kq_scale = 1.f;  // applied to the scores inside the attention kernel
  float q_scale = 0.f;   // when non-zero, q *= q_scale after RoPE (phi3, gemma3 pre-scale)
  int32_t window = 0;    // sliding window (0 = full causal)
  float softcap = 0.f;   // attention-logit soft-capping (0 = off)
};

// out[n][n_embd] = Attention(h[n][n_embd]) for every token of the batch; stores the batch's K and
// V into `cache` at layer `layer` first, so each token sees the cached prefix and the batch's
// earlier tokens of its own sequence.
void attention_block(Backend& be, const AttentionWeights& w, const AttentionConfig& cfg, KvCache& cache, int64_t layer,
                     const BatchView& batch, const float* h, float* out, Workspace& ws);

}  // namespace corral::nn
