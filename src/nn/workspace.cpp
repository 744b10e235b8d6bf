// Workspace allocation.
#include "nn/workspace.h"

#include <cstddef>

namespace corral::nn {

Workspace::Workspace(const WorkspaceDims& d) : dims(d) {
  const auto n = static_cast<size_t>(d.max_tokens);
  x.resize(n * d.n_embd);
  h.resize(n * d.n_embd);
  block.resize(n * d.n_embd);
  q.resize(n * d.n_q);
  k.resize(n * d.n_kv);
  v.resize(n * d.n_kv);
  qkv.resize(n * (d.n_q + 2 * d.n_kv));
  attn.resize(n * d.n_q);
  ff.resize(n * 2 * d.n_ff);
  ff_act.resize(n * d.n_ff);
  out_x.resize(static_cast<size_t>(d.max_outputs) * d.n_embd);
  logits.resize(static_cast<size_t>(d.max_outputs) * d.n_vocab);
}

}  // namespace corral::nn
