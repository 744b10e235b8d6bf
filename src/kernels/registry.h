// The one list of every kernel variant: for each ISA and type, the dequantizer, the dot product
// against the activation type and the activation quantizer; for each ISA, the table of the other
// ops. Run-time selection, the tests and the benchmarks all iterate this list, so a variant that
// is registered is tested, and one that is not registered cannot be selected.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "kernels/cpu.h"
#include "kernels/ops.h"
#include "tensor/type_traits.h"

namespace corral::kernels {

// One weight row against four activation rows (a + t * a_stride, t < 4): out[t] is bit-identical
// to vec_dot(n, w, a + t * a_stride); the weight blocks are unpacked once for the four.
using VecDot4Fn = void (*)(int64_t n, const void* w, const void* a, size_t a_stride, float* out);

// Rows r < n_rows <= kMaxTileRows of a weight matrix (w + r * w_stride) against kTileTokens
// activation rows: out[kTileTokens * r + t] is bit-identical to vec_dot(n, w + r * w_stride,
// a + t * a_stride). Blocks are the outer loop, so the activation blocks stay in L1 while every
// row uses them, and each weight block is unpacked once for all the tokens.
using VecDotTileFn = void (*)(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t a_stride,
                              float* out);
inline constexpr int kMaxTileRows = 16;
inline constexpr int kTileTokens = 8;

struct QuantKernel {
  Isa isa;
  GgmlType type;
  DequantizeRowFn to_float = nullptr;
  VecDotFn vec_dot = nullptr;              // null for activation-only types (Q8_1, Q8_K)
  QuantizeRowFn from_float_act = nullptr;  // how activations are converted into this type
  VecDot4Fn vec_dot4 = nullptr;            // optional; matmul uses it for groups of four tokens
  VecDotTileFn vec_dot_tile = nullptr;     // optional; matmul prefers it to vec_dot4
};

struct OpsKernel {
  Isa isa;
  const OpsTable* ops;
};

// Every registered variant, scalar first.
std::span<const QuantKernel> all_quant_kernels();
std::span<const OpsKernel> all_ops_kernels();

// The scalar reference variant of `type` (from tensor/'s table); nullptr if unsupported.
const QuantKernel* reference_kernel(GgmlType type);

// The fastest variant of `type` this CPU supports; nullptr if corral cannot compute with `type`.
// Functions a variant leaves null fall back to the scalar reference.
const QuantKernel* select_kernel(GgmlType type);
const OpsTable& select_ops();

}  // namespace corral::kernels
