// Gated feed-forward block (see feed_forward.h).
#include "nn/feed_forward.h"

namespace corral::nn {

void ffn_block(Backend& be, const FfnWeights& w, GatedActivation act, int64_t n_ff, int64_t n, const float* h,
               float* out, Workspace& ws) {
  float* gate = ws.ff.data();
  const float* up = nullptr;
  int64_t stride = n_ff;
  if (w.gate_up.present()) {
    be.matmul(w.gate_up, h, n, gate);  // [n][2 n_ff]: gate | up
    up = gate + n_ff;
    stride = 2 * n_ff;
  } else {
    float* u = gate + n * n_ff;
    be.matmul(w.gate, h, n, gate);
    be.matmul(w.up, h, n, u);
    if (w.b_gate.present()) be.add_row(gate, w.b_gate.f32(), n, n_ff);
    if (w.b_up.present()) be.add_row(u, w.b_up.f32(), n, n_ff);
    up = u;
  }
  be.gated(act, gate, up, stride, ws.ff_act.data(), n, n_ff);
  be.matmul(w.down, ws.ff_act.data(), n, out);
  if (w.b_down.present()) be.add_row(out, w.b_down.f32(), n, w.down.rows);
}

}  // namespace corral::nn
