// Workspace allocation: one table of buffer sizes serves both the allocation and the estimate.
#include "nn/workspace.h"

#include <array>
#include <cstddef>

namespace corral::nn {
namespace {

using Buffer = std::vector<float> Workspace::*;
constexpr std::array<Buffer, 12> kBuffers = {&Workspace::x,  &Workspace::h,      &Workspace::block, &Workspace::q,
                                             &Workspace::k,  &Workspace::v,      &Workspace::qkv,   &Workspace::attn,
                                             &Workspace::ff, &Workspace::ff_act, &Workspace::out_x, &Workspace::logits};

// Floats of each buffer, in the order of kBuffers.
std::array<size_t, 12> buffer_floats(const WorkspaceDims& d) {
  const auto n = static_cast<size_t>(d.max_tokens);
  const auto outputs = static_cast<size_t>(d.max_outputs);
  return {n * d.n_embd,
          n * d.n_embd,
          n * d.n_embd,
          n * d.n_q,
          n * d.n_kv,
          n * d.n_kv,
          n * (d.n_q + 2 * d.n_kv),
          n * d.n_q,
          n * 2 * d.n_ff,
          n * d.n_ff,
          outputs * d.n_embd,
          outputs * d.n_vocab};
}

}  // namespace

Workspace::Workspace(const WorkspaceDims& d) : dims(d) {
  const std::array<size_t, 12> sizes = buffer_floats(d);
  for (size_t i = 0; i < kBuffers.size(); ++i) (this->*kBuffers[i]).resize(sizes[i]);
}

size_t Workspace::bytes_needed(const WorkspaceDims& dims) {
  size_t total = 0;
  for (size_t n : buffer_floats(dims)) total += n * sizeof(float);
  return total;
}

size_t Workspace::bytes() const {
  size_t total = 0;
  for (Buffer b : kBuffers) total += (this->*b).size() * sizeof(float);
  return total;
}

}  // namespace corral::nn
