// The per-type function table (like ggml's type traits): for every type corral computes with,
// the scalar reference dequantizer, quantizer and dot product, and the activation ("vec_dot")
// type the dot product expects (engine-spec §4.1). kernels/ builds its SIMD registry on top.
#pragma once

#include <cstdint>
#include <span>

#include "tensor/ggml_type.h"

namespace corral {

using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeRowFn = void (*)(const float* src, void* dst, int64_t n);
// Dot product of n elements: a weight row `w` with an activation row `a` of the vec_dot type.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

struct TypeFns {
  GgmlType type;
  DequantizeRowFn to_float;
  QuantizeRowFn from_float;      // reference quantizer, byte-identical with llama-quantize
  QuantizeRowFn from_float_act;  // how activations are converted to this type (§4.2)
  VecDotFn vec_dot;              // null for activation-only types (Q8_1, Q8_K)
  GgmlType vec_dot_type;
};

// nullptr for a type corral cannot compute with.
const TypeFns* type_fns(GgmlType type);
std::span<const TypeFns> all_type_fns();

// The weight types with a dot product (every type of the issue list: F32 ... IQ4_XS).
std::span<const GgmlType> weight_types();

}  // namespace corral
