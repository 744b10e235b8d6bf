// The per-type reference function table.
#include "tensor/type_traits.h"

#include <array>

#include "tensor/quant_ref.h"

namespace corral {
namespace {

using T = GgmlType;
namespace r = ref;

constexpr std::array<TypeFns, 17> kFns = {{
    {T::kF32, r::dequantize_row_f32, r::quantize_row_f32, r::quantize_row_f32, r::vec_dot_f32, T::kF32},
    {T::kF16, r::dequantize_row_f16, r::quantize_row_f16, r::quantize_row_f16, r::vec_dot_f16, T::kF16},
    {T::kBF16, r::dequantize_row_bf16, r::quantize_row_bf16, r::quantize_row_bf16, r::vec_dot_bf16, T::kBF16},
    {T::kQ4_0, r::dequantize_row_q4_0, r::quantize_row_q4_0, r::quantize_row_q4_0, r::vec_dot_q4_0_q8_0, T::kQ8_0},
    {T::kQ4_1, r::dequantize_row_q4_1, r::quantize_row_q4_1, r::quantize_row_q4_1, r::vec_dot_q4_1_q8_1, T::kQ8_1},
    {T::kQ5_0, r::dequantize_row_q5_0, r::quantize_row_q5_0, r::quantize_row_q5_0, r::vec_dot_q5_0_q8_0, T::kQ8_0},
    {T::kQ5_1, r::dequantize_row_q5_1, r::quantize_row_q5_1, r::quantize_row_q5_1, r::vec_dot_q5_1_q8_1, T::kQ8_1},
    {T::kQ8_0, r::dequantize_row_q8_0, r::quantize_row_q8_0, r::quantize_act_q8_0, r::vec_dot_q8_0_q8_0, T::kQ8_0},
    {T::kQ8_1, r::dequantize_row_q8_1, nullptr, r::quantize_act_q8_1, nullptr, T::kQ8_1},
    {T::kQ2_K, r::dequantize_row_q2_k, r::quantize_row_q2_k, r::quantize_row_q2_k, r::vec_dot_q2_k_q8_k, T::kQ8_K},
    {T::kQ3_K, r::dequantize_row_q3_k, r::quantize_row_q3_k, r::quantize_row_q3_k, r::vec_dot_q3_k_q8_k, T::kQ8_K},
    {T::kQ4_K, r::dequantize_row_q4_k, r::quantize_row_q4_k, r::quantize_row_q4_k, r::vec_dot_q4_k_q8_k, T::kQ8_K},
    {T::kQ5_K, r::dequantize_row_q5_k, r::quantize_row_q5_k, r::quantize_row_q5_k, r::vec_dot_q5_k_q8_k, T::kQ8_K},
    {T::kQ6_K, r::dequantize_row_q6_k, r::quantize_row_q6_k, r::quantize_row_q6_k, r::vec_dot_q6_k_q8_k, T::kQ8_K},
    {T::kQ8_K, r::dequantize_row_q8_k, r::quantize_row_q8_k, r::quantize_row_q8_k, nullptr, T::kQ8_K},
    {T::kIQ4_NL, r::dequantize_row_iq4_nl, r::quantize_row_iq4_nl, r::quantize_row_iq4_nl, r::vec_dot_iq4_nl_q8_0,
     T::kQ8_0},
    {T::kIQ4_XS, r::dequantize_row_iq4_xs, r::quantize_row_iq4_xs, r::quantize_row_iq4_xs, r::vec_dot_iq4_xs_q8_k,
     T::kQ8_K},
}};

constexpr std::array<GgmlType, 15> kWeightTypes = {T::kF32,  T::kF16,  T::kBF16, T::kQ4_0,   T::kQ4_1,
                                                   T::kQ5_0, T::kQ5_1, T::kQ8_0, T::kQ2_K,   T::kQ3_K,
                                                   T::kQ4_K, T::kQ5_K, T::kQ6_K, T::kIQ4_NL, T::kIQ4_XS};

}  // namespace

const TypeFns* type_fns(GgmlType type) {
  for (const TypeFns& f : kFns)
    if (f.type == type) return &f;
  return nullptr;
}

std::span<const TypeFns> all_type_fns() {
  return kFns;
}
std::span<const GgmlType> weight_types() {
  return kWeightTypes;
}

}  // namespace corral
