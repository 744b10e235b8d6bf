// Workspace allocation: one table of tensor shapes serves both the allocation and the estimate.
#include "nn/workspace.h"

#include <array>

namespace corral::nn {
namespace {

struct Slot {
  Tensor Workspace::*member;
  GgmlType type;
  int64_t cols, rows;
};

// Every tensor of the workspace with its shape, in buffer order.
std::array<Slot, 14> slots(const WorkspaceDims& d) {
  const int64_t n = d.max_tokens, outputs = d.max_outputs;
  constexpr GgmlType f32 = GgmlType::kF32, i32 = GgmlType::kI32;
  return {{{&Workspace::x, f32, d.n_embd, n},
           {&Workspace::h, f32, d.n_embd, n},
           {&Workspace::block, f32, d.n_embd, n},
           {&Workspace::q, f32, d.n_q, n},
           {&Workspace::k, f32, d.n_kv, n},
           {&Workspace::v, f32, d.n_kv, n},
           {&Workspace::qkv, f32, d.n_q + 2 * d.n_kv, n},
           {&Workspace::attn, f32, d.n_q, n},
           {&Workspace::ff, f32, 2 * d.n_ff, n},
           {&Workspace::ff_act, f32, d.n_ff, n},
           {&Workspace::out_x, f32, d.n_embd, outputs},
           {&Workspace::logits, f32, d.n_vocab, outputs},
           {&Workspace::tokens, i32, n, 1},
           {&Workspace::pos, i32, n, 1}}};
}

size_t slot_bytes(const Slot& s) {
  return align_tensor_bytes(static_cast<size_t>(s.cols * s.rows) * traits_of(s.type).type_size);
}

}  // namespace

Result<Workspace> Workspace::create(Backend& be, const WorkspaceDims& dims) {
  Workspace ws;
  ws.dims = dims;
  CORRAL_ASSIGN_OR_RETURN(ws.buffer_, be.alloc(bytes_needed(dims), MemoryKind::kCompute));
  size_t offset = 0;
  for (const Slot& s : slots(dims)) {
    ws.*s.member = Tensor::make(ws.buffer_.get(), offset, s.type, s.cols, s.rows);
    offset += slot_bytes(s);
  }
  return ws;
}

size_t Workspace::bytes_needed(const WorkspaceDims& dims) {
  size_t total = 0;
  for (const Slot& s : slots(dims)) total += slot_bytes(s);
  return total;
}

}  // namespace corral::nn
