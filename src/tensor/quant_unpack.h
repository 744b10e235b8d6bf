// Unpacking one K-quant / IQ4_XS super-block into its 256 integer weights, as the dot products
// multiply them (engine-spec §3.2, §4.3). Shared by the scalar references and the kernels that
// reuse the scalar unpacking.
#pragma once

#include <cstdint>

#include "tensor/quant_blocks.h"

namespace corral::ref {

// Q2_K: q in 0..3. Element 128h + 32k + l comes from bits 2k..2k+1 of qs[32h + l].
inline void unpack_q2_k(const BlockQ2_K& b, int8_t q[256]) {
  for (int h = 0; h < 2; ++h)
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 32; ++l) q[128 * h + 32 * k + l] = static_cast<int8_t>((b.qs[32 * h + l] >> (2 * k)) & 3);
}

// Q3_K: q in -4..3: two low bits as Q2_K, minus 4 unless bit 4h + k of hmask[l] is set.
inline void unpack_q3_k(const BlockQ3_K& b, int8_t q[256]) {
  for (int h = 0; h < 2; ++h)
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 32; ++l) {
        const int lo = (b.qs[32 * h + l] >> (2 * k)) & 3;
        const int hi = (b.hmask[l] >> (4 * h + k)) & 1;
        q[128 * h + 32 * k + l] = static_cast<int8_t>(lo - (hi ? 0 : 4));
      }
}

// Q4_K: q in 0..15. Element 64c + 32u + l is nibble u of qs[32c + l].
inline void unpack_q4_k(const BlockQ4_K& b, int8_t q[256]) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      q[64 * c + l] = static_cast<int8_t>(b.qs[32 * c + l] & 15);
      q[64 * c + 32 + l] = static_cast<int8_t>(b.qs[32 * c + l] >> 4);
    }
}

// Q5_K: q in 0..31: Q4_K's nibble plus 16 when bit e/32 of qh[e % 32] is set.
inline void unpack_q5_k(const BlockQ5_K& b, int8_t q[256]) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      q[64 * c + l] = static_cast<int8_t>((b.qs[32 * c + l] & 15) | (((b.qh[l] >> (2 * c)) & 1) << 4));
      q[64 * c + 32 + l] = static_cast<int8_t>((b.qs[32 * c + l] >> 4) | (((b.qh[l] >> (2 * c + 1)) & 1) << 4));
    }
}

// Q6_K: q - 32 in -32..31; low nibbles in ql, two high bits in qh (§3.2).
inline void unpack_q6_k(const BlockQ6_K& b, int8_t q[256]) {
  for (int h = 0; h < 2; ++h) {
    const uint8_t* L = b.ql + 64 * h;
    const uint8_t* H = b.qh + 32 * h;
    int8_t* y = q + 128 * h;
    for (int l = 0; l < 32; ++l) {
      y[l] = static_cast<int8_t>(((L[l] & 15) | (((H[l] >> 0) & 3) << 4)) - 32);
      y[l + 32] = static_cast<int8_t>(((L[l + 32] & 15) | (((H[l] >> 2) & 3) << 4)) - 32);
      y[l + 64] = static_cast<int8_t>(((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32);
      y[l + 96] = static_cast<int8_t>(((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

// IQ4_XS: grid values K[nibble]; qs[16ib + j] holds elements 32ib + j (low) and 32ib + 16 + j.
inline void unpack_iq4_xs(const BlockIQ4_XS& b, int8_t q[256]) {
  for (int ib = 0; ib < 8; ++ib)
    for (int j = 0; j < 16; ++j) {
      q[32 * ib + j] = kIQ4Values[b.qs[16 * ib + j] & 15];
      q[32 * ib + 16 + j] = kIQ4Values[b.qs[16 * ib + j] >> 4];
    }
}

// IQ4_XS: the 6-bit scale of block ib, minus 32.
inline int iq4_xs_scale(const BlockIQ4_XS& b, int ib) {
  const int lo = (b.scales_l[ib / 2] >> (4 * (ib % 2))) & 15;
  const int hi = (b.scales_h >> (2 * ib)) & 3;
  return (lo | (hi << 4)) - 32;
}

// P[c][r]: the lane sums (four elements each) of the eight 32-element chunks of a super-block.
inline void chunk_lane_sums(const int8_t* q, const int8_t* a, int32_t P[8][8]) {
  for (int c = 0; c < 8; ++c)
    for (int r = 0; r < 8; ++r) {
      int32_t s = 0;
      for (int k = 0; k < 4; ++k) s += q[32 * c + 4 * r + k] * a[32 * c + 4 * r + k];
      P[c][r] = s;
    }
}

}  // namespace corral::ref
