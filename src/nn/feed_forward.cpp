// Gated feed-forward block (see feed_forward.h).
#include "nn/feed_forward.h"

namespace corral::nn {

void ffn_block(const Stage& s, const FfnWeights& w, GatedActivation act, int64_t n_ff, const Tensor& h,
               const Tensor& out) {
  Backend& be = s.be;
  const int64_t n = s.n();
  Tensor gate, up;
  if (w.gate_up.present()) {
    const Tensor both = s.rows(s.ws.ff);  // [n][2 n_ff]: gate | up
    be.matmul(w.gate_up, h, both);
    gate = both.col_range(0, n_ff);
    up = both.col_range(n_ff, n_ff);
  } else {
    const Tensor halves = s.rows(s.ws.ff).reshape(n_ff, 2 * n);  // gate rows, then up rows
    gate = halves.first_rows(n);
    up = halves.row_range(n, n);
    be.matmul(w.gate, h, gate);
    be.matmul(w.up, h, up);
    if (w.b_gate.present()) be.add_row(gate, w.b_gate);
    if (w.b_up.present()) be.add_row(up, w.b_up);
  }
  const Tensor act_out = s.rows(s.ws.ff_act);
  be.gated(act, gate, up, act_out);
  be.matmul(w.down, act_out, out);
  if (w.b_down.present()) be.add_row(out, w.b_down);
}

}  // namespace corral::nn
