// Activation buffers of the forward pass on one device, sized once for the largest batch (no
// allocation per token): one buffer of the device's backend, cut into tensors. Names follow the
// forward pass so a debug dump can show them. Every device a pass runs on has its own workspace;
// the residual stream x is what moves between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "backend/backend.h"
#include "base/result.h"

namespace corral::nn {

struct WorkspaceDims {
  int64_t max_tokens = 1;   // tokens per forward pass (num_batch)
  int64_t max_outputs = 1;  // rows of logits per forward pass
  int64_t n_embd = 0;
  int64_t n_q = 0;   // n_head * head_dim
  int64_t n_kv = 0;  // n_head_kv * head_dim
  int64_t n_ff = 0;
  int64_t n_vocab = 0;
};

class Workspace {
 public:
  // The buffers for `dims` in one allocation on `be` (counted as compute memory).
  static Result<Workspace> create(Backend& be, const WorkspaceDims& dims);
  // Bytes create() allocates for these dims (memory planning; one table sizes both).
  static size_t bytes_needed(const WorkspaceDims& dims);
  size_t bytes() const { return buffer_ ? buffer_->size() : 0; }

  WorkspaceDims dims;
  Tensor x;       // [tokens][n_embd] residual stream
  Tensor h;       // [tokens][n_embd] normalised input of a block
  Tensor block;   // [tokens][n_embd] output of a block (before the residual add)
  Tensor q;       // [tokens][n_q]
  Tensor k;       // [tokens][n_kv]
  Tensor v;       // [tokens][n_kv]
  Tensor qkv;     // [tokens][n_q + 2 n_kv] fused projection
  Tensor attn;    // [tokens][n_q] attention output before W_o
  Tensor ff;      // [tokens][2 n_ff] gate and up
  Tensor ff_act;  // [tokens][n_ff]
  Tensor out_x;   // [outputs][n_embd] rows gathered for the head
  Tensor logits;  // [outputs][n_vocab]
  Tensor tokens;  // [1][tokens] I32 token ids of the batch
  Tensor pos;     // [1][tokens] I32 positions of the batch

 private:
  std::unique_ptr<Buffer> buffer_;
};

}  // namespace corral::nn
