// Activation buffers of the forward pass, sized once for the largest batch (no allocation per
// token). Names follow the forward pass so a debug dump can show them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

struct Workspace {
  explicit Workspace(const WorkspaceDims& dims);

  // Bytes the constructor allocates for these dims (memory planning; one table sizes both).
  static size_t bytes_needed(const WorkspaceDims& dims);
  size_t bytes() const;

  WorkspaceDims dims;
  std::vector<float> x;       // [tokens][n_embd] residual stream
  std::vector<float> h;       // [tokens][n_embd] normalised input of a block
  std::vector<float> block;   // [tokens][n_embd] output of a block (before the residual add)
  std::vector<float> q;       // [tokens][n_q]
  std::vector<float> k;       // [tokens][n_kv]
  std::vector<float> v;       // [tokens][n_kv]
  std::vector<float> qkv;     // [tokens][n_q + 2 n_kv] fused projection
  std::vector<float> attn;    // [tokens][n_q] attention output before W_o
  std::vector<float> ff;      // [tokens][2 n_ff] gate and up
  std::vector<float> ff_act;  // [tokens][n_ff]
  std::vector<float> out_x;   // [outputs][n_embd] rows gathered for the head
  std::vector<float> logits;  // [outputs][n_vocab]
};

}  // namespace corral::nn
