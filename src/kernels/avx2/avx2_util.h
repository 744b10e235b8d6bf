// Small AVX2 building blocks shared by the kernels in this folder (compiled with -mavx2 -mfma
// -mf16c; never include this header from a file built without them).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace corral::kernels::avx2 {

// ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)), the order of tensor/dot_lanes.h's hsum8.
inline float hsum8(__m256 v) {
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // t[r] = a_r + a_{r+4}
  const __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));                                  // t0+t2, t1+t3
  return _mm_cvtss_f32(_mm_add_ss(u, _mm_movehdup_ps(u)));
}

// Eight int32 lane sums of four products each (lane r = elements 4r..4r+3) of signed bytes.
// |w| must fit in an unsigned byte and a must be in -127..127 (no maddubs saturation).
inline __m256i lane_sums_i8(__m256i w, __m256i a) {
  const __m256i aw = _mm256_sign_epi8(w, w);
  const __m256i sa = _mm256_sign_epi8(a, w);
  const __m256i p16 = _mm256_maddubs_epi16(aw, sa);
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// As lane_sums_i8 for unsigned weights (0..255 never occurs here; 0..31 does).
inline __m256i lane_sums_u8(__m256i w, __m256i a) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), _mm256_set1_epi16(1));
}

inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// 16 bytes of nibbles -> 32 bytes: low nibbles (elements 0..15) then high nibbles (16..31).
inline __m256i unpack_nibbles_16(const uint8_t* qs) {
  const __m128i b = load128(qs);
  const __m128i lo = _mm_and_si128(b, _mm_set1_epi8(15));
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(15));
  return _mm256_set_m128i(hi, lo);
}

// 32 bits -> 32 bytes: byte j is 0xFF when bit j of `bits` is set, else 0.
inline __m256i bits_to_bytes(uint32_t bits) {
  const __m256i shuf =
      _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
  const __m256i rep = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), shuf);
  const __m256i mask = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(rep, mask), mask);
}

// Eight floats from eight signed bytes.
inline __m256 i8_to_ps(__m128i v8) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v8));
}

// Stores the 32 signed bytes of q times d (one multiply per element, as the scalar reference).
inline void store_scaled_32(__m256i q, __m256 d, float* y) {
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  _mm256_storeu_ps(y, _mm256_mul_ps(i8_to_ps(lo), d));
  _mm256_storeu_ps(y + 8, _mm256_mul_ps(i8_to_ps(_mm_srli_si128(lo, 8)), d));
  _mm256_storeu_ps(y + 16, _mm256_mul_ps(i8_to_ps(hi), d));
  _mm256_storeu_ps(y + 24, _mm256_mul_ps(i8_to_ps(_mm_srli_si128(hi, 8)), d));
}

// As store_scaled_32 with y = q * d + m, or - m when kSub (separate multiply and add).
template <bool kSub>
inline void store_affine_32(__m256i q, __m256 d, __m256 m, float* y) {
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
  for (int k = 0; k < 4; ++k) {
    const __m256 p = _mm256_mul_ps(i8_to_ps(parts[k]), d);
    _mm256_storeu_ps(y + 8 * k, kSub ? _mm256_sub_ps(p, m) : _mm256_add_ps(p, m));
  }
}

// Weight rows are streamed once per token: asking for the lines a few blocks ahead keeps more
// memory reads in flight than the hardware prefetcher does on its own. Prefetching past the end of
// the matrix is harmless (a prefetch never faults).
template <typename Block>
[[gnu::always_inline]] inline void prefetch_ahead(const Block* b) {
  constexpr size_t kAhead = 1536;
  const char* p = reinterpret_cast<const char*>(b) + kAhead;
  for (size_t off = 0; off < sizeof(Block); off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

inline float load_f16(uint16_t h) {
  return _cvtsh_ss(h);
}

// Adapters from a kernel over NT activation rows, fn(n, w, a, a_stride, out), to the registry's
// one-row vec_dot and four-row vec_dot4 signatures.
template <auto Fn>
float one(int64_t n, const void* w, const void* a) {
  float r;
  Fn(n, w, static_cast<const uint8_t*>(a), 0, &r);
  return r;
}
template <auto Fn>
void four(int64_t n, const void* w, const void* a, size_t a_stride, float* out) {
  Fn(n, w, static_cast<const uint8_t*>(a), a_stride, out);
}

}  // namespace corral::kernels::avx2
