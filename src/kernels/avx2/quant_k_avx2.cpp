// AVX2 kernels for the 256-element super-block types (Q2_K..Q6_K, IQ4_XS, Q8_K): each super-block
// is unpacked into eight 32-byte chunks of integer weights, which the dequantizer scales and the
// dot product multiplies with the Q8_K activations in eight lanes (engine-spec §4.4 recipes 7-10),
// reproducing the scalar references in tensor/ bit for bit.
#include <cmath>
#include <span>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/avx2/avx2_util.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_unpack.h"

namespace corral::kernels::avx2 {
namespace {

inline __m256i mask8(int v) {
  return _mm256_set1_epi8(static_cast<char>(v));
}
// Bits k..k+width-1 of every byte.
inline __m256i bits_of(__m256i v, int k, int mask) {
  return _mm256_and_si256(_mm256_srli_epi16(v, k), mask8(mask));
}

// Chunk c = elements 32c..32c+31 as signed or unsigned bytes.
[[gnu::always_inline]] inline void unpack_q2_k(const BlockQ2_K& b, __m256i q[8]) {
  for (int h = 0; h < 2; ++h) {
    const __m256i v = load256(b.qs + 32 * h);
    for (int k = 0; k < 4; ++k) q[4 * h + k] = bits_of(v, 2 * k, 3);
  }
}
[[gnu::always_inline]] inline void unpack_q3_k(const BlockQ3_K& b, __m256i q[8]) {
  const __m256i hm = load256(b.hmask);
  for (int h = 0; h < 2; ++h) {
    const __m256i v = load256(b.qs + 32 * h);
    for (int k = 0; k < 4; ++k) {
      const int c = 4 * h + k;
      const __m256i hi = _mm256_slli_epi16(bits_of(hm, c, 1), 2);
      q[c] = _mm256_sub_epi8(_mm256_or_si256(bits_of(v, 2 * k, 3), hi), mask8(4));
    }
  }
}
[[gnu::always_inline]] inline void unpack_q4_k(const BlockQ4_K& b, __m256i q[8]) {
  for (int c = 0; c < 4; ++c) {
    const __m256i v = load256(b.qs + 32 * c);
    q[2 * c] = _mm256_and_si256(v, mask8(15));
    q[2 * c + 1] = bits_of(v, 4, 15);
  }
}
[[gnu::always_inline]] inline void unpack_q5_k(const BlockQ5_K& b, __m256i q[8]) {
  const __m256i qh = load256(b.qh);
  for (int c = 0; c < 4; ++c) {
    const __m256i v = load256(b.qs + 32 * c);
    q[2 * c] = _mm256_or_si256(_mm256_and_si256(v, mask8(15)), _mm256_slli_epi16(bits_of(qh, 2 * c, 1), 4));
    q[2 * c + 1] = _mm256_or_si256(bits_of(v, 4, 15), _mm256_slli_epi16(bits_of(qh, 2 * c + 1, 1), 4));
  }
}
[[gnu::always_inline]] inline void unpack_q6_k(const BlockQ6_K& b, __m256i q[8]) {
  for (int h = 0; h < 2; ++h) {
    const __m256i l0 = load256(b.ql + 64 * h), l1 = load256(b.ql + 64 * h + 32), hb = load256(b.qh + 32 * h);
    const __m256i lows[4] = {_mm256_and_si256(l0, mask8(15)), _mm256_and_si256(l1, mask8(15)), bits_of(l0, 4, 15),
                             bits_of(l1, 4, 15)};
    for (int k = 0; k < 4; ++k) {
      const __m256i v = _mm256_or_si256(lows[k], _mm256_slli_epi16(bits_of(hb, 2 * k, 3), 4));
      q[4 * h + k] = _mm256_sub_epi8(v, mask8(32));
    }
  }
}
[[gnu::always_inline]] inline void unpack_iq4_xs(const BlockIQ4_XS& b, __m256i q[8]) {
  const __m256i table = _mm256_broadcastsi128_si256(load128(kIQ4Values));
  for (int ib = 0; ib < 8; ++ib) q[ib] = _mm256_shuffle_epi8(table, unpack_nibbles_16(b.qs + 16 * ib));
}

// int16 scales for lanes 0-3 (s_lo) and 4-7 (s_hi).
inline __m256i two_scales(int s_lo, int s_hi) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(s_hi)), _mm_set1_epi16(static_cast<int16_t>(s_lo)));
}

// y for 32 elements whose two halves have their own (d, m): y = q * d - m.
inline void store_two_halves(__m256i q, float d0, float m0, float d1, float m1, float* y) {
  const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
  const __m256 vd0 = _mm256_set1_ps(d0), vm0 = _mm256_set1_ps(m0), vd1 = _mm256_set1_ps(d1), vm1 = _mm256_set1_ps(m1);
  _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(i8_to_ps(lo), vd0), vm0));
  _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(i8_to_ps(_mm_srli_si128(lo, 8)), vd0), vm0));
  _mm256_storeu_ps(y + 16, _mm256_sub_ps(_mm256_mul_ps(i8_to_ps(hi), vd1), vm1));
  _mm256_storeu_ps(y + 24, _mm256_sub_ps(_mm256_mul_ps(i8_to_ps(_mm_srli_si128(hi, 8)), vd1), vm1));
}

// The sixteen 6-bit Q3_K scales (minus 32) at once: low nibbles from bytes 0-7 (low then high
// halves), bits 4-5 of scale j from byte 8 + j % 4 at bit 2 * (j / 4).
void q3_scales(const uint8_t* s, int out[16]) {
  uint64_t lo8;
  uint32_t hi4;
  std::memcpy(&lo8, s, 8);
  std::memcpy(&hi4, s + 8, 4);
  const __m128i raw = _mm_cvtsi64_si128(static_cast<int64_t>(lo8));
  const __m128i nib = _mm_set1_epi8(15);
  const __m128i lo = _mm_unpacklo_epi64(_mm_and_si128(raw, nib), _mm_and_si128(_mm_srli_epi16(raw, 4), nib));
  const __m128i hi = _mm_and_si128(_mm_srlv_epi32(_mm_set1_epi32(static_cast<int>(hi4)), _mm_setr_epi32(0, 2, 4, 6)),
                                   _mm_set1_epi8(3));
  const __m128i sc = _mm_sub_epi8(_mm_or_si128(lo, _mm_slli_epi16(hi, 4)), _mm_set1_epi8(32));
  alignas(16) int8_t v[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(v), sc);
  for (int j = 0; j < 16; ++j) out[j] = v[j];
}

// All eight Q4_K/Q5_K 6-bit scales and mins at once, four per 32-bit word (the same values as
// k4_scale_min() in tensor/quant_blocks.h).
inline void k4_scales_mins(const uint8_t* q, uint8_t sc[8], uint8_t m[8]) {
  uint32_t u[3];
  std::memcpy(u, q, 12);
  const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, top2 = 0x03030303;
  const uint32_t s_lo = u[0] & low6, m_lo = u[1] & low6;
  const uint32_t s_hi = (u[2] & low4) | (((u[0] >> 6) & top2) << 4);
  const uint32_t m_hi = ((u[2] >> 4) & low4) | (((u[1] >> 6) & top2) << 4);
  std::memcpy(sc, &s_lo, 4);
  std::memcpy(sc + 4, &s_hi, 4);
  std::memcpy(m, &m_lo, 4);
  std::memcpy(m + 4, &m_hi, 4);
}

// ---- dequantize ----

void dequantize_q2_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    __m256i q[8];
    unpack_q2_k(b[i], q);
    const float d = load_f16(b[i].d), dmin = load_f16(b[i].dmin);
    for (int c = 0; c < 8; ++c) {
      const uint8_t s0 = b[i].scales[2 * c], s1 = b[i].scales[2 * c + 1];
      store_two_halves(q[c], d * (s0 & 15), dmin * (s0 >> 4), d * (s1 & 15), dmin * (s1 >> 4), dst + 32 * c);
    }
  }
}
void dequantize_q3_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ3_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    __m256i q[8];
    int sc[16];
    unpack_q3_k(b[i], q);
    q3_scales(b[i].scales, sc);
    const float d = load_f16(b[i].d);
    for (int c = 0; c < 8; ++c) store_two_halves(q[c], d * sc[2 * c], 0.f, d * sc[2 * c + 1], 0.f, dst + 32 * c);
  }
}
template <typename Block, void (*Unpack)(const Block&, __m256i*)>
void dequantize_k4(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    __m256i q[8];
    Unpack(b[i], q);
    const float d = load_f16(b[i].d), dmin = load_f16(b[i].dmin);
    uint8_t sc[8], m[8];
    k4_scales_mins(b[i].scales, sc, m);
    for (int c = 0; c < 8; ++c)
      store_affine_32<true>(q[c], _mm256_set1_ps(d * sc[c]), _mm256_set1_ps(dmin * m[c]), dst + 32 * c);
  }
}
void dequantize_q6_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    __m256i q[8];
    unpack_q6_k(b[i], q);
    const float d = load_f16(b[i].d);
    for (int c = 0; c < 8; ++c)
      store_two_halves(q[c], d * b[i].scales[2 * c], 0.f, d * b[i].scales[2 * c + 1], 0.f, dst + 32 * c);
  }
}
void dequantize_iq4_xs(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    __m256i q[8];
    unpack_iq4_xs(b[i], q);
    const float d = load_f16(b[i].d);
    for (int ib = 0; ib < 8; ++ib)
      store_scaled_32(q[ib], _mm256_set1_ps(d * ref::iq4_xs_scale(b[i], ib)), dst + 32 * ib);
  }
}
void dequantize_q8_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K)
    for (int c = 0; c < 8; ++c) store_scaled_32(load256(b[i].qs + 32 * c), _mm256_set1_ps(b[i].d), dst + 32 * c);
}

// ---- dot products against Q8_K ----
// Each kernel takes NT activation rows (a + t * stride): the weight super-blocks are unpacked and
// their scales decoded once for all NT rows; every result is bit-identical to the NT = 1 case.

inline const BlockQ8_K& act(const uint8_t* a, size_t stride, int t, int64_t i) {
  return reinterpret_cast<const BlockQ8_K*>(a + t * stride)[i];
}

// L_r = sum_c scv[c]_r * P[c][r] for one super-block and one activation row. scv holds int16
// scales: madd_epi16 multiplies maddubs' pair sums by the scale and adds the pairs, which is
// scale * P exactly (no int16 overflow for valid blocks), one instruction instead of two.
template <bool kSigned>
inline __m256i scaled_lane_sums(const __m256i q[8], const BlockQ8_K& y, const __m256i scv[8]) {
  __m256i L = _mm256_setzero_si256();
  for (int c = 0; c < 8; ++c) {
    const __m256i a = load256(y.qs + 32 * c);
    const __m256i p16 = kSigned ? _mm256_maddubs_epi16(_mm256_sign_epi8(q[c], q[c]), _mm256_sign_epi8(a, q[c]))
                                : _mm256_maddubs_epi16(q[c], a);
    L = _mm256_add_epi32(L, _mm256_madd_epi16(p16, scv[c]));
  }
  return L;
}

template <int NT>
void dot_q2_k(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  const auto* x = static_cast<const BlockQ2_K*>(w);
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    __m256i q[8], scv[8];
    unpack_q2_k(x[i], q);
    const uint8_t* s = x[i].scales;
    for (int c = 0; c < 8; ++c) scv[c] = two_scales(s[2 * c] & 15, s[2 * c + 1] & 15);
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(load128(s), 4), _mm_set1_epi8(15)));
    const float dw = load_f16(x[i].d), dmw = load_f16(x[i].dmin);
    for (int t = 0; t < NT; ++t) {
      const BlockQ8_K& y = act(a, stride, t, i);
      const __m256i M = _mm256_madd_epi16(mins, load256(y.bsums));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(-y.d * dmw), _mm256_cvtepi32_ps(M), acc[t]);
      const __m256i L = scaled_lane_sums<false>(q, y, scv);
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(y.d * dw), _mm256_cvtepi32_ps(L), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum8(acc[t]);
}

// Q3_K, Q6_K and IQ4_XS: signed weights, one scale vector per chunk, acc = fma(da * dw, L, acc).
// One super-block of one weight row against NT activation rows.
template <typename Block, int NT, typename Prepare>
[[gnu::always_inline]] inline void signed_block(const Block& x, const uint8_t* a, size_t stride, int64_t i,
                                                __m256 acc[NT], Prepare prepare) {
  __m256i q[8], scv[8];
  prepare(x, q, scv);
  const float dw = load_f16(x.d);
  for (int t = 0; t < NT; ++t) {
    const BlockQ8_K& y = act(a, stride, t, i);
    const __m256i L = scaled_lane_sums<true>(q, y, scv);
    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(y.d * dw), _mm256_cvtepi32_ps(L), acc[t]);
  }
}

template <typename Block, int NT, typename Prepare>
void dot_signed(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out, Prepare prepare) {
  const auto* x = static_cast<const Block*>(w);
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    prefetch_ahead(x + i);
    signed_block<Block, NT>(x[i], a, stride, i, acc, prepare);
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum8(acc[t]);
}

template <typename Block, typename Prepare>
void tile_signed(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t stride, float* out,
                 Prepare prepare) {
  const auto* rows = static_cast<const uint8_t*>(w);
  const auto* act_rows = static_cast<const uint8_t*>(a);
  __m256 acc[kMaxTileRows][kTileTokens];
  for (int r = 0; r < n_rows; ++r)
    for (int t = 0; t < kTileTokens; ++t) acc[r][t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i)
    for (int r = 0; r < n_rows; ++r)
      signed_block<Block, kTileTokens>(reinterpret_cast<const Block*>(rows + r * w_stride)[i], act_rows, stride, i,
                                       acc[r], prepare);
  for (int r = 0; r < n_rows; ++r)
    for (int t = 0; t < kTileTokens; ++t) out[kTileTokens * r + t] = hsum8(acc[r][t]);
}

constexpr auto kPrepareQ3_K = [](const BlockQ3_K& b, __m256i* q, __m256i* scv) {
  int sc[16];
  unpack_q3_k(b, q);
  q3_scales(b.scales, sc);
  for (int c = 0; c < 8; ++c) scv[c] = two_scales(sc[2 * c], sc[2 * c + 1]);
};
// Chunk c's scale vector (scales 2c and 2c+1, each in eight int16 lanes) in two instructions:
// a byte shuffle of the sixteen int8 scales, then sign extension.
constexpr auto kPrepareQ6_K = [](const BlockQ6_K& b, __m256i* q, __m256i* scv) {
  unpack_q6_k(b, q);
  const __m128i scales = load128(b.scales);
  for (int c = 0; c < 8; ++c) {
    const __m128i pick = _mm_set_epi64x(0x0101010101010101LL * (2 * c + 1), 0x0101010101010101LL * (2 * c));
    scv[c] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, pick));
  }
};
// IQ4_XS multiplies dw * da (not da * dw): the same product, IEEE multiplication commutes.
constexpr auto kPrepareIQ4_XS = [](const BlockIQ4_XS& b, __m256i* q, __m256i* scv) {
  unpack_iq4_xs(b, q);
  for (int c = 0; c < 8; ++c) scv[c] = _mm256_set1_epi16(static_cast<int16_t>(ref::iq4_xs_scale(b, c)));
};

template <int NT>
void dot_q3_k(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  dot_signed<BlockQ3_K, NT>(n, w, a, stride, out, kPrepareQ3_K);
}
template <int NT>
void dot_q6_k(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  dot_signed<BlockQ6_K, NT>(n, w, a, stride, out, kPrepareQ6_K);
}
template <int NT>
void dot_iq4_xs(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  dot_signed<BlockIQ4_XS, NT>(n, w, a, stride, out, kPrepareIQ4_XS);
}
void tile_q3_k(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, float* out) {
  tile_signed<BlockQ3_K>(n, w, ws, nr, a, as, out, kPrepareQ3_K);
}
void tile_q6_k(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, float* out) {
  tile_signed<BlockQ6_K>(n, w, ws, nr, a, as, out, kPrepareQ6_K);
}
void tile_iq4_xs(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, float* out) {
  tile_signed<BlockIQ4_XS>(n, w, ws, nr, a, as, out, kPrepareIQ4_XS);
}

// Q4_K (recipe 10: min term in four lanes) and Q5_K (recipe 9: one fused scalar per block).
// The running sums of one weight row against NT activation rows.
template <int NT>
struct K4Sums {
  __m256 acc[NT];
  __m128 accm[NT];
  float summs[NT];
  void zero() {
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps(), accm[t] = _mm_setzero_ps(), summs[t] = 0;
  }
};

template <typename Block, void (*Unpack)(const Block&, __m256i*), bool kFourLaneMins, int NT>
[[gnu::always_inline]] inline void k4_block(const Block& x, const uint8_t* a, size_t stride, int64_t i, K4Sums<NT>& s) {
  __m256i q[8], scv[8];
  Unpack(x, q);
  uint8_t sc[8], m[8];
  k4_scales_mins(x.scales, sc, m);
  uint64_t sc8;
  std::memcpy(&sc8, sc, 8);
  const __m128i sc_bytes = _mm_cvtsi64_si128(static_cast<int64_t>(sc8));
  // Scale c in every int16 lane: a byte shuffle and a zero extension.
  for (int c = 0; c < 8; ++c)
    scv[c] = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(sc_bytes, _mm_set1_epi8(static_cast<char>(c))));
  // Each min twice as int16 (m0 m0 m1 m1 ...): madd with the 16 bsums gives
  // mprod[c] = m_c * (bsums[2c] + bsums[2c+1]) in lane c.
  uint64_t m8;
  std::memcpy(&m8, m, 8);
  const __m128i m_bytes = _mm_cvtsi64_si128(static_cast<int64_t>(m8));
  const __m256i m16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m_bytes, m_bytes));
  // (-y.d) * dmw, the reference's product, equals y.d * (-dmw) exactly: rounding is symmetric.
  const float dw = load_f16(x.d), neg_dmw = -load_f16(x.dmin);
  for (int t = 0; t < NT; ++t) {
    const BlockQ8_K& y = act(a, stride, t, i);
    const __m256i mprod = _mm256_madd_epi16(m16, load256(y.bsums));
    const __m256i L = scaled_lane_sums<false>(q, y, scv);
    s.acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(y.d * dw), _mm256_cvtepi32_ps(L), s.acc[t]);
    const float dmin = y.d * neg_dmw;
    // prod_k = mprod[2k] + mprod[2k+1], k < 4
    const __m128i prod = _mm_hadd_epi32(_mm256_castsi256_si128(mprod), _mm256_extracti128_si256(mprod, 1));
    if constexpr (kFourLaneMins) {
      s.accm[t] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), s.accm[t]);
    } else {
      const __m128i h2 = _mm_add_epi32(prod, _mm_unpackhi_epi64(prod, prod));
      const int32_t H = _mm_cvtsi128_si32(_mm_add_epi32(h2, _mm_shuffle_epi32(h2, 1)));
      s.summs[t] = std::fma(dmin, static_cast<float>(H), s.summs[t]);
    }
  }
}

template <bool kFourLaneMins, int NT>
inline void k4_finish(K4Sums<NT>& s, float* out) {
  for (int t = 0; t < NT; ++t) {
    if constexpr (kFourLaneMins) {
      const __m128 u = _mm_add_ps(s.accm[t], _mm_movehl_ps(s.accm[t], s.accm[t]));  // (m0 + m2), (m1 + m3)
      s.summs[t] = _mm_cvtss_f32(_mm_add_ss(u, _mm_movehdup_ps(u)));
    }
    out[t] = hsum8(s.acc[t]) + s.summs[t];
  }
}

template <typename Block, void (*Unpack)(const Block&, __m256i*), bool kFourLaneMins, int NT>
void dot_k4(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  const auto* x = static_cast<const Block*>(w);
  K4Sums<NT> s;
  s.zero();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    prefetch_ahead(x + i);
    k4_block<Block, Unpack, kFourLaneMins, NT>(x[i], a, stride, i, s);
  }
  k4_finish<kFourLaneMins>(s, out);
}

template <typename Block, void (*Unpack)(const Block&, __m256i*), bool kFourLaneMins>
void tile_k4(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t stride, float* out) {
  const auto* rows = static_cast<const uint8_t*>(w);
  const auto* act_rows = static_cast<const uint8_t*>(a);
  K4Sums<kTileTokens> s[kMaxTileRows];
  for (int r = 0; r < n_rows; ++r) s[r].zero();
  for (int64_t i = 0; i < n / kQK_K; ++i)
    for (int r = 0; r < n_rows; ++r)
      k4_block<Block, Unpack, kFourLaneMins, kTileTokens>(reinterpret_cast<const Block*>(rows + r * w_stride)[i],
                                                          act_rows, stride, i, s[r]);
  for (int r = 0; r < n_rows; ++r) k4_finish<kFourLaneMins>(s[r], out + kTileTokens * r);
}

template <int NT>
void dot_q4_k(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  dot_k4<BlockQ4_K, unpack_q4_k, true, NT>(n, w, a, stride, out);
}
template <int NT>
void dot_q5_k(int64_t n, const void* w, const uint8_t* a, size_t stride, float* out) {
  dot_k4<BlockQ5_K, unpack_q5_k, false, NT>(n, w, a, stride, out);
}

// ---- Q8_K activations (§4.2): q = min(127, round(-127 / max * x)), d = 1 / iscale ----

void quantize_act_q8_k(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 32; ++k) amax = _mm256_max_ps(amax, _mm256_and_ps(_mm256_loadu_ps(x + 8 * k), abs_mask));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(amax, 1), _mm256_castps256_ps128(amax));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float am = _mm_cvtss_f32(m4);
    if (am == 0) {
      std::memset(&b[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    int first = 0;
    while (std::fabs(x[first]) != am) ++first;  // the first element of largest |x| gives the sign
    const float iscale = -127.f / x[first];
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int k = 0; k < 8; ++k) {
      __m256i v[4];
      for (int j = 0; j < 4; ++j) {
        const __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * k + 8 * j), vs),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v[j] = _mm256_min_epi32(_mm256_cvtps_epi32(r), _mm256_set1_epi32(127));
      }
      const __m256i p8 = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs + 32 * k),
                          _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    }
    for (int g = 0; g < 16; ++g) {
      const __m256i w16 = _mm256_cvtepi8_epi16(load128(b[i].qs + 16 * g));
      const __m256i s32 = _mm256_madd_epi16(w16, _mm256_set1_epi16(1));
      const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
      const __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
      b[i].bsums[g] = static_cast<int16_t>(_mm_cvtsi128_si32(_mm_add_epi32(s2, _mm_shuffle_epi32(s2, 1))));
    }
    b[i].d = 1 / iscale;
  }
}

}  // namespace

std::span<const QuantKernel> k_quant_kernels() {
  static constexpr QuantKernel kKernels[] = {
      {Isa::kAvx2, GgmlType::kQ2_K, dequantize_q2_k, one<dot_q2_k<1>>, nullptr, four<dot_q2_k<4>>},
      {Isa::kAvx2, GgmlType::kQ3_K, dequantize_q3_k, one<dot_q3_k<1>>, nullptr, four<dot_q3_k<4>>, tile_q3_k},
      {Isa::kAvx2, GgmlType::kQ4_K, dequantize_k4<BlockQ4_K, unpack_q4_k>, one<dot_q4_k<1>>, nullptr, four<dot_q4_k<4>>,
       tile_k4<BlockQ4_K, unpack_q4_k, true>},
      {Isa::kAvx2, GgmlType::kQ5_K, dequantize_k4<BlockQ5_K, unpack_q5_k>, one<dot_q5_k<1>>, nullptr, four<dot_q5_k<4>>,
       tile_k4<BlockQ5_K, unpack_q5_k, false>},
      {Isa::kAvx2, GgmlType::kQ6_K, dequantize_q6_k, one<dot_q6_k<1>>, nullptr, four<dot_q6_k<4>>, tile_q6_k},
      {Isa::kAvx2, GgmlType::kQ8_K, dequantize_q8_k, nullptr, quantize_act_q8_k, nullptr},
      {Isa::kAvx2, GgmlType::kIQ4_XS, dequantize_iq4_xs, one<dot_iq4_xs<1>>, nullptr, four<dot_iq4_xs<4>>, tile_iq4_xs},
  };
  return kKernels;
}

}  // namespace corral::kernels::avx2
