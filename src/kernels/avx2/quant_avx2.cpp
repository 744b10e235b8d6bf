// AVX2 + FMA + F16C kernels for the float types and the 32-element quant types: dequantize, dot
// product against the activation type, activation quantizers. Each reproduces its scalar
// reference in tensor/ bit for bit (same lanes, same fused/unfused operations).
#include <algorithm>
#include <cmath>
#include <span>
#include <type_traits>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/avx2/avx2_util.h"
#include "tensor/quant_blocks.h"

namespace corral::kernels::avx2 {
namespace {

// ---- float types ----

inline __m256 load8_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(load128(p));
}
inline __m256 load8_bf16(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
}
inline float bf16_scalar(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// s0 += s2, s1 += s3, s0 += s1; (t0 + t1) + (t2 + t3) with t[r] = s0[r] + s0[r + 4].
inline float reduce_f32(__m256 s[4]) {
  s[0] = _mm256_add_ps(s[0], s[2]);
  s[1] = _mm256_add_ps(s[1], s[3]);
  s[0] = _mm256_add_ps(s[0], s[1]);
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(s[0]), _mm256_extractf128_ps(s[0], 1));
  const __m128 h = _mm_hadd_ps(t, t);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}

void dequantize_f16(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load8_f16(s + i));
  for (; i < n; ++i) dst[i] = load_f16(s[i]);
}

void dequantize_bf16(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load8_bf16(s + i));
  for (; i < n; ++i) dst[i] = bf16_scalar(s[i]);
}

void quantize_act_f16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) d[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

// Float dot products over NT activation rows (a + t * stride); each weight vector is loaded and
// converted once for all NT rows. Per row: four 8-lane accumulators over steps of 32 (§4.4
// recipes 2-4), so every result equals the NT = 1 case bit for bit.
struct F32 {
  using T = float;
  static __m256 load(const T* p) { return _mm256_loadu_ps(p); }
  static float scalar(T v) { return v; }
};
struct F16 {
  using T = uint16_t;
  static __m256 load(const T* p) { return load8_f16(p); }
  static float scalar(T v) { return load_f16(v); }
};
struct BF16 {
  using T = uint16_t;
  static __m256 load(const T* p) { return load8_bf16(p); }
  static float scalar(T v) { return bf16_scalar(v); }
};

template <typename F, int NT>
void dot_float(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  using T = typename F::T;
  constexpr bool kBf16 = std::is_same_v<F, BF16>;  // recipe 4: unfused multiply and add
  const T* x = static_cast<const T*>(w);
  const int64_t np = n - n % 32;
  __m256 s[NT][4];
  for (int t = 0; t < NT; ++t)
    for (int j = 0; j < 4; ++j) s[t][j] = _mm256_setzero_ps();
  for (int64_t i = 0; i < np; i += 32) {
    for (int j = 0; j < 4; ++j) {
      const __m256 wv = F::load(x + i + 8 * j);
      for (int t = 0; t < NT; ++t) {
        const __m256 yv = F::load(reinterpret_cast<const T*>(a + t * stride) + i + 8 * j);
        s[t][j] = kBf16 ? _mm256_add_ps(s[t][j], _mm256_mul_ps(wv, yv)) : _mm256_fmadd_ps(wv, yv, s[t][j]);
      }
    }
  }
  for (int t = 0; t < NT; ++t) {
    const T* y = reinterpret_cast<const T*>(a + t * stride);
    if constexpr (std::is_same_v<F, F32>) {
      float sum = reduce_f32(s[t]);
      for (int64_t i = np; i < n; ++i) sum += x[i] * y[i];
      out[t] = sum;
    } else {
      double sum = kBf16 ? hsum8(_mm256_add_ps(_mm256_add_ps(s[t][0], s[t][2]), _mm256_add_ps(s[t][1], s[t][3])))
                         : reduce_f32(s[t]);
      for (int64_t i = np; i < n; ++i) sum += static_cast<double>(F::scalar(x[i]) * F::scalar(y[i]));
      out[t] = static_cast<float>(sum);
    }
  }
}

// ---- 32-element blocks: each type unpacks a block into 32 integer weights ----

// Not a namespace-scope constant: its initializer would run AVX2 code at start-up on any CPU.
inline __m256i iq4_table() {
  return _mm256_broadcastsi128_si256(load128(kIQ4Values));
}

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline __m256i fifth_bits(const uint8_t* qh) {
  return _mm256_and_si256(bits_to_bytes(load_u32(qh)), _mm256_set1_epi8(16));
}

struct Q4_0 {
  using Block = BlockQ4_0;
  static constexpr bool kSigned = true;
  static __m256i unpack(const Block& b) { return _mm256_sub_epi8(unpack_nibbles_16(b.qs), _mm256_set1_epi8(8)); }
};
struct Q4_1 {
  using Block = BlockQ4_1;
  static constexpr bool kSigned = false;
  static __m256i unpack(const Block& b) { return unpack_nibbles_16(b.qs); }
};
struct Q5_0 {
  using Block = BlockQ5_0;
  static constexpr bool kSigned = true;
  static __m256i unpack(const Block& b) {
    return _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles_16(b.qs), fifth_bits(b.qh)), _mm256_set1_epi8(16));
  }
};
struct Q5_1 {
  using Block = BlockQ5_1;
  static constexpr bool kSigned = false;
  static __m256i unpack(const Block& b) { return _mm256_or_si256(unpack_nibbles_16(b.qs), fifth_bits(b.qh)); }
};
struct Q8_0 {
  using Block = BlockQ8_0;
  static constexpr bool kSigned = true;
  static __m256i unpack(const Block& b) { return load256(b.qs); }
};
struct IQ4_NL {
  using Block = BlockIQ4_NL;
  static constexpr bool kSigned = true;
  static __m256i unpack(const Block& b) { return _mm256_shuffle_epi8(iq4_table(), unpack_nibbles_16(b.qs)); }
};

template <typename T>
constexpr bool kHasMin = requires(const typename T::Block& b) {
  b.m;
};

template <typename T>
void dequantize_32(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const typename T::Block*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256 d = _mm256_set1_ps(load_f16(b[i].d));
    if constexpr (kHasMin<T>)
      store_affine_32<false>(T::unpack(b[i]), d, _mm256_set1_ps(load_f16(b[i].m)), dst + i * kQK);
    else
      store_scaled_32(T::unpack(b[i]), d, dst + i * kQK);
  }
}

// §4.4 recipe 5: acc = fma(dw * da, P, acc) per block; Q4_1/Q5_1 add dw_min * s_a per block.
// NT activation rows at a + t * stride share one unpacking of each weight block.
template <typename T, typename Act, int NT>
void dot_32(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  const auto* x = static_cast<const typename T::Block*>(w);
  __m256 acc[NT];
  float summs[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps(), summs[t] = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    prefetch_ahead(x + i);
    const __m256i q = T::unpack(x[i]);
    const float dw = load_f16(x[i].d);
    for (int t = 0; t < NT; ++t) {
      const Act& y = reinterpret_cast<const Act*>(a + t * stride)[i];
      const __m256i qa = load256(y.qs);
      const __m256i p = T::kSigned ? lane_sums_i8(q, qa) : lane_sums_u8(q, qa);
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * load_f16(y.d)), _mm256_cvtepi32_ps(p), acc[t]);
      if constexpr (kHasMin<T>) summs[t] += load_f16(x[i].m) * load_f16(y.s);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum8(acc[t]) + summs[t];
}

template <typename T, typename Act>
constexpr VecDotFn kDot32 = one<dot_32<T, Act, 1>>;
template <typename T, typename Act>
constexpr VecDot4Fn kDot32x4 = four<dot_32<T, Act, 4>>;

// ---- activation quantizers (§4.2) ----

// 32 floats -> 32 int8 in order: rint(x * id) saturated. Returns amax.
inline float quantize_32(const float* x, int8_t* q, __m256i* sum_out) {
  __m256 v[4];
  __m256 amax = _mm256_setzero_ps();
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_loadu_ps(x + 8 * k);
    amax = _mm256_max_ps(amax, _mm256_and_ps(v[k], abs_mask));
  }
  __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(amax, 1), _mm256_castps256_ps128(amax));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  const float max_scalar = _mm_cvtss_f32(m4);
  const __m256 id = _mm256_set1_ps(max_scalar != 0.0f ? 127.f / max_scalar : 0.0f);
  __m256i i32[4];
  for (int k = 0; k < 4; ++k)
    i32[k] =
        _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  if (sum_out) *sum_out = _mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]), _mm256_add_epi32(i32[2], i32[3]));
  const __m256i p16a = _mm256_packs_epi32(i32[0], i32[1]);
  const __m256i p16b = _mm256_packs_epi32(i32[2], i32[3]);
  const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
  const __m256i ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), ordered);
  return max_scalar;
}

void quantize_act_q8_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) b[i].d = _cvtss_sh(quantize_32(src + i * kQK, b[i].qs, nullptr) / 127.f, 0);
}

void quantize_act_q8_1(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    __m256i sum;
    const float d = quantize_32(src + i * kQK, b[i].qs, &sum) / 127.f;
    const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    const __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
    const int total = _mm_cvtsi128_si32(_mm_add_epi32(s2, _mm_shuffle_epi32(s2, 1)));
    b[i].d = _cvtss_sh(d, 0);
    b[i].s = _cvtss_sh(d * static_cast<float>(total), 0);
  }
}

}  // namespace

std::span<const QuantKernel> float_and_32_kernels() {
  static constexpr QuantKernel kKernels[] = {
      {Isa::kAvx2, GgmlType::kF32, nullptr, one<dot_float<F32, 1>>, nullptr, four<dot_float<F32, 4>>},
      {Isa::kAvx2, GgmlType::kF16, dequantize_f16, one<dot_float<F16, 1>>, quantize_act_f16, four<dot_float<F16, 4>>},
      {Isa::kAvx2, GgmlType::kBF16, dequantize_bf16, one<dot_float<BF16, 1>>, nullptr, four<dot_float<BF16, 4>>},
      {Isa::kAvx2, GgmlType::kQ4_0, dequantize_32<Q4_0>, kDot32<Q4_0, BlockQ8_0>, nullptr, kDot32x4<Q4_0, BlockQ8_0>},
      {Isa::kAvx2, GgmlType::kQ4_1, dequantize_32<Q4_1>, kDot32<Q4_1, BlockQ8_1>, nullptr, kDot32x4<Q4_1, BlockQ8_1>},
      {Isa::kAvx2, GgmlType::kQ5_0, dequantize_32<Q5_0>, kDot32<Q5_0, BlockQ8_0>, nullptr, kDot32x4<Q5_0, BlockQ8_0>},
      {Isa::kAvx2, GgmlType::kQ5_1, dequantize_32<Q5_1>, kDot32<Q5_1, BlockQ8_1>, nullptr, kDot32x4<Q5_1, BlockQ8_1>},
      {Isa::kAvx2, GgmlType::kQ8_0, dequantize_32<Q8_0>, kDot32<Q8_0, BlockQ8_0>, quantize_act_q8_0,
       kDot32x4<Q8_0, BlockQ8_0>},
      {Isa::kAvx2, GgmlType::kQ8_1, nullptr, nullptr, quantize_act_q8_1, nullptr},
      {Isa::kAvx2, GgmlType::kIQ4_NL, dequantize_32<IQ4_NL>, kDot32<IQ4_NL, BlockQ8_0>, nullptr,
       kDot32x4<IQ4_NL, BlockQ8_0>},
  };
  return kKernels;
}

}  // namespace corral::kernels::avx2
