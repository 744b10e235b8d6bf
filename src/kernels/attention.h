// Multi-head attention of a batch of query tokens over an F16 or F32 KV cache, with grouped-query heads
// (query head h reads KV head h / (n_head / n_head_kv)), a causal mask by position, an optional
// sliding window and soft-capping. One pass per (token, head) with an online softmax, so no
// n_tokens x n_kv score matrix is materialised.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"
#include "kernels/ops.h"

namespace corral::kernels {

struct AttentionArgs {
  const float* q = nullptr;        // [n_tokens][n_head][head_dim]
  const int32_t* q_pos = nullptr;  // [n_tokens] position of each query token
  KvType kv_type = KvType::kF16;
  const void* k = nullptr;          // [n_kv][n_head_kv][head_dim] of kv_type
  const void* v = nullptr;          // [n_kv][n_head_kv][head_dim] of kv_type
  const int32_t* kv_pos = nullptr;  // [n_kv] position held by each cell, -1 when empty
  int64_t n_tokens = 0, n_kv = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.f;     // usually 1 / sqrt(head_dim)
  float softcap = 0.f;   // 0 = off
  int32_t window = 0;    // sliding window, 0 = none
  float* out = nullptr;  // [n_tokens][n_head][head_dim]
};

// `ops` defaults to the selected table; tests pass each registered one.
void attention(const AttentionArgs& args, ThreadPool* pool, const OpsTable* ops = nullptr);

}  // namespace corral::kernels
