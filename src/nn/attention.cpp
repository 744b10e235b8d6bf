// Self-attention block (see attention.h); shapes are [tokens][features] throughout.
#include "nn/attention.h"

#include <algorithm>
#include <cstring>

namespace corral::nn {
namespace {

// q[n][n_q], k[n][n_kv], v[n][n_kv] = projections of h (+ biases).
void project_qkv(Backend& be, const AttentionWeights& w, int64_t n, int64_t n_q, int64_t n_kv, const float* h,
                 Workspace& ws) {
  if (w.wqkv.present()) {
    const int64_t width = n_q + 2 * n_kv;
    be.matmul(w.wqkv, h, n, ws.qkv.data());
    for (int64_t t = 0; t < n; ++t) {
      const float* row = ws.qkv.data() + t * width;
      std::memcpy(ws.q.data() + t * n_q, row, n_q * sizeof(float));
      std::memcpy(ws.k.data() + t * n_kv, row + n_q, n_kv * sizeof(float));
      std::memcpy(ws.v.data() + t * n_kv, row + n_q + n_kv, n_kv * sizeof(float));
    }
  } else {
    be.matmul(w.wq, h, n, ws.q.data());
    be.matmul(w.wk, h, n, ws.k.data());
    be.matmul(w.wv, h, n, ws.v.data());
  }
  if (w.bq.present()) be.add_row(ws.q.data(), w.bq.f32(), n, n_q);
  if (w.bk.present()) be.add_row(ws.k.data(), w.bk.f32(), n, n_kv);
  if (w.bv.present()) be.add_row(ws.v.data(), w.bv.f32(), n, n_kv);
}

}  // namespace

void attention_block(Backend& be, const AttentionWeights& w, const AttentionConfig& cfg, KvCache& cache, int64_t layer,
                     const BatchView& batch, const float* h, float* out, Workspace& ws) {
  const int64_t n = batch.n_tokens, hd = cfg.head_dim;
  const int64_t n_q = cfg.n_head * hd, n_kv = cfg.n_head_kv * hd;
  project_qkv(be, w, n, n_q, n_kv, h, ws);

  // Per-head RMSNorm (qwen3, gemma3): every head is one row of head_dim.
  if (w.q_norm.present())
    be.rms_norm(ws.q.data(), hd, w.q_norm.f32(), ws.q.data(), hd, n * cfg.n_head, hd, cfg.norm_eps);
  if (w.k_norm.present())
    be.rms_norm(ws.k.data(), hd, w.k_norm.f32(), ws.k.data(), hd, n * cfg.n_head_kv, hd, cfg.norm_eps);

  be.rope(ws.q.data(), n, cfg.n_head, hd, batch.pos, cfg.rope);
  be.rope(ws.k.data(), n, cfg.n_head_kv, hd, batch.pos, cfg.rope);
  if (cfg.q_scale != 0.f) be.scale(ws.q.data(), cfg.q_scale, n * n_q);

  for (const SeqSegment& seg : batch.segments) {
    const int64_t len = seg.end - seg.begin;
    cache.store(layer, seg.slot, ws.k.data() + seg.begin * n_kv, ws.v.data() + seg.begin * n_kv, batch.pos + seg.begin,
                len);
    const int32_t max_pos = *std::max_element(batch.pos + seg.begin, batch.pos + seg.end);
    kernels::AttentionArgs a;
    a.q = ws.q.data() + seg.begin * n_q;
    a.q_pos = batch.pos + seg.begin;
    a.n_kv = cache.cells_to_visit(layer, max_pos);
    const KvView kv = cache.view(layer, seg.slot, a.n_kv);
    a.kv_type = kv.type;
    a.k = kv.k;
    a.v = kv.v;
    a.kv_pos = cache.pos(layer, seg.slot);
    a.n_tokens = len;
    a.n_head = cfg.n_head;
    a.n_head_kv = cfg.n_head_kv;
    a.head_dim = hd;
    a.scale = cfg.kq_scale;
    a.softcap = cfg.softcap;
    a.window = cfg.window;
    a.out = ws.attn.data() + seg.begin * n_q;
    be.attention(a);
  }

  be.matmul(w.wo, ws.attn.data(), n, out);
  if (w.bo.present()) be.add_row(out, w.bo.f32(), n, w.wo.rows);
}

}  // namespace corral::nn
