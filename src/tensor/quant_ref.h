// Scalar reference implementations, per type: dequantize_row, quantize_row (llama.cpp's reference
// quantizers, byte-identical) and the dot product of a weight row with an activation row of the
// type's vec_dot type (engine-spec §4.1). They are the executable spec and the portable fallback;
// the dot products follow the float accumulation order of llama.cpp's AVX2 build (§4.4: eight
// lanes of four elements, then hsum8), so a SIMD kernel can reproduce them exactly.
// n is the element count and must be a multiple of the type's block size.
#pragma once

#include <cstdint>

namespace corral::ref {

// --- float types (quant_float.cpp) ---
void dequantize_row_f32(const void* src, float* dst, int64_t n);
void quantize_row_f32(const float* src, void* dst, int64_t n);
float vec_dot_f32(int64_t n, const void* w, const void* a);
void dequantize_row_f16(const void* src, float* dst, int64_t n);
void quantize_row_f16(const float* src, void* dst, int64_t n);
float vec_dot_f16(int64_t n, const void* w, const void* a);
void dequantize_row_bf16(const void* src, float* dst, int64_t n);
void quantize_row_bf16(const float* src, void* dst, int64_t n);
float vec_dot_bf16(int64_t n, const void* w, const void* a);

// --- 32-element types (quant_legacy.cpp, quant_iq.cpp) ---
void dequantize_row_q4_0(const void* src, float* dst, int64_t n);
void quantize_row_q4_0(const float* src, void* dst, int64_t n);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
void dequantize_row_q4_1(const void* src, float* dst, int64_t n);
void quantize_row_q4_1(const float* src, void* dst, int64_t n);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a);
void dequantize_row_q5_0(const void* src, float* dst, int64_t n);
void quantize_row_q5_0(const float* src, void* dst, int64_t n);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a);
void dequantize_row_q5_1(const void* src, float* dst, int64_t n);
void quantize_row_q5_1(const float* src, void* dst, int64_t n);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a);
void dequantize_row_q8_0(const void* src, float* dst, int64_t n);
void quantize_row_q8_0(const float* src, void* dst, int64_t n);  // weights: 1/d, roundf
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
void dequantize_row_q8_1(const void* src, float* dst, int64_t n);
void dequantize_row_iq4_nl(const void* src, float* dst, int64_t n);
void quantize_row_iq4_nl(const float* src, void* dst, int64_t n);
float vec_dot_iq4_nl_q8_0(int64_t n, const void* w, const void* a);

// Activation quantizers as llama.cpp's AVX2 build runs them (§4.2): 127/amax, round half to even.
void quantize_act_q8_0(const float* src, void* dst, int64_t n);
void quantize_act_q8_1(const float* src, void* dst, int64_t n);

// --- 256-element K-quants (quant_k_low.cpp: Q2_K Q3_K Q8_K; quant_k_high.cpp: Q4_K Q5_K Q6_K) ---
void dequantize_row_q2_k(const void* src, float* dst, int64_t n);
void quantize_row_q2_k(const float* src, void* dst, int64_t n);
float vec_dot_q2_k_q8_k(int64_t n, const void* w, const void* a);
void dequantize_row_q3_k(const void* src, float* dst, int64_t n);
void quantize_row_q3_k(const float* src, void* dst, int64_t n);
float vec_dot_q3_k_q8_k(int64_t n, const void* w, const void* a);
void dequantize_row_q4_k(const void* src, float* dst, int64_t n);
void quantize_row_q4_k(const float* src, void* dst, int64_t n);
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a);
void dequantize_row_q5_k(const void* src, float* dst, int64_t n);
void quantize_row_q5_k(const float* src, void* dst, int64_t n);
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a);
void dequantize_row_q6_k(const void* src, float* dst, int64_t n);
void quantize_row_q6_k(const float* src, void* dst, int64_t n);
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a);
void dequantize_row_q8_k(const void* src, float* dst, int64_t n);
void quantize_row_q8_k(const float* src, void* dst, int64_t n);  // also the activation form
void dequantize_row_iq4_xs(const void* src, float* dst, int64_t n);
void quantize_row_iq4_xs(const float* src, void* dst, int64_t n);
float vec_dot_iq4_xs_q8_k(int64_t n, const void* w, const void* a);

}  // namespace corral::ref
