// Reference code for the non-uniform 4-bit types, whose 16 levels are the grid kIQ4Values.
//   IQ4_NL (18 B, 32 elements):  d f16 | qs[16]       y = d * K[nibble]
//   IQ4_XS (136 B, 256 elements): d f16 | scales_h u16 | scales_l[4] | qs[128]
//     block ib (0..7) of 32: 6-bit scale ls = low nibble ib of scales_l | bits 2ib..2ib+1 of
//     scales_h << 4;  y = (d * (ls - 32)) * K[nibble]
// Nibbles as Q4_0: byte j of a 32-element block holds element j (low) and j + 16 (high).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/dot_lanes.h"
#include "tensor/fp16.h"
#include "tensor/quant_ref.h"
#include "tensor/quant_search.h"
#include "tensor/quant_unpack.h"

namespace corral::ref {
namespace {

void pack_indices(const float* x, float id, uint8_t qs[16]) {
  for (int j = 0; j < 16; ++j) {
    const int lo = quant::iq4_best_index(id * x[j]);
    const int hi = quant::iq4_best_index(id * x[j + 16]);
    qs[j] = static_cast<uint8_t>(lo | (hi << 4));
  }
}

void unpack_iq4_nl(const BlockIQ4_NL& b, int8_t q[32]) {
  for (int j = 0; j < 16; ++j) {
    q[j] = kIQ4Values[b.qs[j] & 15];
    q[j + 16] = kIQ4Values[b.qs[j] >> 4];
  }
}

}  // namespace

void dequantize_row_iq4_nl(const void* src, float* dst, int64_t n) {
  const BlockIQ4_NL* b = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    int8_t q[32];
    unpack_iq4_nl(b[i], q);
    const float d = h2f(b[i].d);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = d * q[j];
  }
}

void quantize_row_iq4_nl(const float* src, void* dst, int64_t n) {
  BlockIQ4_NL* b = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    const float d = quant::iq4_block_scale(x);
    b[i].d = f2h(d);
    pack_indices(x, d ? 1 / d : 0.f, b[i].qs);
  }
}

// §4.4 recipe 5 (as Q4_0, with grid values as the integer weights).
float vec_dot_iq4_nl_q8_0(int64_t n, const void* w, const void* a) {
  const BlockIQ4_NL* x = static_cast<const BlockIQ4_NL*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float acc[8] = {};
  for (int64_t i = 0; i < n / kQK; ++i) {
    int8_t q[32];
    int32_t P[8];
    unpack_iq4_nl(x[i], q);
    lane_sums(q, y[i].qs, P);
    const float d = h2f(x[i].d) * h2f(y[i].d);
    for (int r = 0; r < 8; ++r) acc[r] = std::fma(d, static_cast<float>(P[r]), acc[r]);
  }
  return hsum8(acc);
}

void dequantize_row_iq4_xs(const void* src, float* dst, int64_t n) {
  const BlockIQ4_XS* b = static_cast<const BlockIQ4_XS*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    unpack_iq4_xs(b[i], q);
    const float d = h2f(b[i].d);
    for (int ib = 0; ib < 8; ++ib) {
      const float dl = d * iq4_xs_scale(b[i], ib);
      for (int j = 0; j < 32; ++j) dst[i * kQK_K + 32 * ib + j] = dl * q[32 * ib + j];
    }
  }
}

void quantize_row_iq4_xs(const float* src, void* dst, int64_t n) {
  BlockIQ4_XS* b = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    float scales[8], max_scale = 0, amax_scale = 0;
    for (int ib = 0; ib < 8; ++ib) {
      scales[ib] = quant::iq4_block_scale(x + 32 * ib);
      if (std::fabs(scales[ib]) > amax_scale) {
        amax_scale = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    const float d = -max_scale / 32;
    b[i].d = f2h(d);
    const float id = d ? 1 / d : 0.f;
    b[i].scales_h = 0;
    std::memset(b[i].scales_l, 0, sizeof(b[i].scales_l));
    for (int ib = 0; ib < 8; ++ib) {
      int l = std::clamp(quant::nearest_int(id * scales[ib]), -32, 31);
      const float dl = d * l;
      pack_indices(x + 32 * ib, dl ? 1 / dl : 0.f, b[i].qs + 16 * ib);
      l += 32;
      b[i].scales_l[ib / 2] |= static_cast<uint8_t>((l & 15) << (4 * (ib % 2)));
      b[i].scales_h |= static_cast<uint16_t>((l >> 4) << (2 * ib));
    }
  }
}

// Integer form of §4.3; the float order is not fixed by the reference (§4.4 item 12), so this
// uses the K-quant lane pattern: L_r = sum_ib (ls_ib - 32) * P[ib][r], one fma per super-block.
float vec_dot_iq4_xs_q8_k(int64_t n, const void* w, const void* a) {
  const BlockIQ4_XS* x = static_cast<const BlockIQ4_XS*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[8] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    int32_t P[8][8];
    unpack_iq4_xs(x[i], q);
    chunk_lane_sums(q, y[i].qs, P);
    const float d = h2f(x[i].d) * y[i].d;
    for (int r = 0; r < 8; ++r) {
      int32_t L = 0;
      for (int ib = 0; ib < 8; ++ib) L += iq4_xs_scale(x[i], ib) * P[ib][r];
      acc[r] = std::fma(d, static_cast<float>(L), acc[r]);
    }
  }
  return hsum8(acc);
}

}  // namespace corral::ref
