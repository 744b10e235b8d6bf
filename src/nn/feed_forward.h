// The gated feed-forward block: down( act(gate(h)) * up(h) ), with separate or fused gate/up
// projections (fused: the first n_ff outputs are the gate) and optional biases.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "nn/pass.h"

namespace corral::nn {

struct FfnWeights {
  Weight gate, up;              // [n_embd] -> [n_ff] each
  Weight gate_up;               // fused alternative: [n_embd] -> [2 n_ff]
  Weight down;                  // [n_ff] -> [n_embd]
  Weight b_gate, b_up, b_down;  // optional biases
};

// out[n][n_embd] = FFN(h[n][n_embd]); h, out: n-row tensors of the stage's device.
void ffn_block(const Stage& s, const FfnWeights& w, GatedActivation act, int64_t n_ff, const Tensor& h,
               const Tensor& out);

}  // namespace corral::nn
