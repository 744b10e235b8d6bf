// The self-attention block shared by the decoder architectures: projections (separate or fused
// QKV, optional biases), optional per-head Q/K RMSNorm, RoPE (normal or NeoX pairs, frequency
// factors), optional Q pre-scaling, KV cache write, grouped-query attention with a causal mask and
// optional sliding window, and the output projection.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "nn/pass.h"

namespace corral::nn {

struct AttentionWeights {
  Weight wq, wk, wv;      // [n_embd] -> [n_q], [n_kv], [n_kv]
  Weight wqkv;            // fused alternative: [n_embd] -> [n_q + 2 n_kv] (q, then k, then v)
  Weight bq, bk, bv;      // optional biases
  Weight q_norm, k_norm;  // optional per-head RMSNorm weights [head_dim]
  Weight wo, bo;          // [n_q] -> [n_embd], optional bias
  Weight rope_freqs;      // optional RoPE frequency factors [n_rot / 2] (one file tensor shared by the layers)
};

struct AttentionConfig {
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float norm_eps = 1e-5f;  // for q_norm / k_norm
  RopeSpec rope;
  float kq_scale = 1.f;  // applied to the scores inside the attention op
  float q_scale = 0.f;   // when non-zero, q *= q_scale after RoPE (phi3, gemma3 pre-scale)
  int32_t window = 0;    // sliding window (0 = full causal)
  float softcap = 0.f;   // attention-logit soft-capping (0 = off)
};

// out[n][n_embd] = Attention(h[n][n_embd]) for every token of the batch; stores the batch's K and
// V into `kv` first, so each token sees the cached prefix and the batch's earlier tokens of its
// own sequence. h, out: n-row tensors of the stage's device.
void attention_block(const Stage& s, const AttentionWeights& w, const AttentionConfig& cfg, const KvLayer& kv,
                     const Tensor& h, const Tensor& out);

}  // namespace corral::nn
