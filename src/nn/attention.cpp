// Self-attention block (see attention.h); shapes are [tokens][features] throughout.
#include "nn/attention.h"

namespace corral::nn {
namespace {

// q[n][n_q], k[n][n_kv], v[n][n_kv] = projections of h (+ biases).
void project_qkv(const Stage& s, const AttentionWeights& w, int64_t n_q, int64_t n_kv, const Tensor& h, const Tensor& q,
                 const Tensor& k, const Tensor& v) {
  Backend& be = s.be;
  if (w.wqkv.present()) {
    const Tensor qkv = s.rows(s.ws.qkv);
    be.matmul(w.wqkv, h, qkv);
    be.copy(qkv.col_range(0, n_q), q);
    be.copy(qkv.col_range(n_q, n_kv), k);
    be.copy(qkv.col_range(n_q + n_kv, n_kv), v);
  } else {
    be.matmul(w.wq, h, q);
    be.matmul(w.wk, h, k);
    be.matmul(w.wv, h, v);
  }
  if (w.bq.present()) be.add_row(q, w.bq);
  if (w.bk.present()) be.add_row(k, w.bk);
  if (w.bv.present()) be.add_row(v, w.bv);
}

}  // namespace

void attention_block(const Stage& s, const AttentionWeights& w, const AttentionConfig& cfg, const KvLayer& kv,
                     const Tensor& h, const Tensor& out) {
  Backend& be = s.be;
  const int64_t n = s.n(), hd = cfg.head_dim;
  const Tensor q = s.rows(s.ws.q), k = s.rows(s.ws.k), v = s.rows(s.ws.v), attn = s.rows(s.ws.attn);
  project_qkv(s, w, cfg.n_head * hd, cfg.n_head_kv * hd, h, q, k, v);

  // Per-head RMSNorm (qwen3, gemma3): every head is one row of head_dim.
  if (w.q_norm.present())
    be.rms_norm(q.reshape(hd, n * cfg.n_head), w.q_norm, q.reshape(hd, n * cfg.n_head), cfg.norm_eps);
  if (w.k_norm.present())
    be.rms_norm(k.reshape(hd, n * cfg.n_head_kv), w.k_norm, k.reshape(hd, n * cfg.n_head_kv), cfg.norm_eps);

  be.rope(q, cfg.n_head, hd, s.pos, cfg.rope, w.rope_freqs);
  be.rope(k, cfg.n_head_kv, hd, s.pos, cfg.rope, w.rope_freqs);
  if (cfg.q_scale != 0.f) be.scale(q, cfg.q_scale);

  const AttentionSpec spec{.n_head = cfg.n_head,
                           .n_head_kv = cfg.n_head_kv,
                           .head_dim = hd,
                           .scale = cfg.kq_scale,
                           .softcap = cfg.softcap,
                           .window = cfg.window};
  be.attention(spec, q, k, v, kv, s.pos, attn);

  be.matmul(w.wo, attn, out);
  if (w.bo.present()) be.add_row(out, w.bo);
}

}  // namespace corral::nn
