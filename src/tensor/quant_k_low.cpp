// Reference code for Q2_K, Q3_K and the activation type Q8_K (256-element super-blocks).
//   Q2_K (84 B):  scales[16] (low nibble: scale, high nibble: min, per 16 elements) | qs[64] |
//                 d f16 | dmin f16.   y = d*(sc&15) * q - dmin*(sc>>4),  q in 0..3
//   Q3_K (110 B): hmask[32] | qs[64] | scales[12] (sixteen 6-bit signed scales) | d f16.
//                 y = (d * sc) * q,  q in -4..3 (2 low bits in qs, high bit in hmask)
//   Q8_K (292 B): d f32 | qs[256] int8 | bsums[16] int16 (sum of each group of 16 qs).
// Bit positions: element e = 128h + 32k + l takes bits 2k..2k+1 of qs[32h + l] and (Q3_K) bit
// 4h + k of hmask[l].
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

using quant::nearest_int;

void pack_2bit(const uint8_t L[256], uint8_t qs[64]) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) {
      const uint8_t* x = L + 128 * h + l;
      qs[32 * h + l] = static_cast<uint8_t>(x[0] | (x[32] << 2) | (x[64] << 4) | (x[96] << 6));
    }
}

void quantize_block_q2_k(const float* x, BlockQ2_K& y) {
  uint8_t L[256];
  float weights[16], mins[16], scales[16];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 16; ++j) {
    for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
    scales[j] = quant::make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  if (max_scale > 0) {
    const float iscale = 15 / max_scale;
    for (int j = 0; j < 16; ++j) y.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
    y.d = f2h(max_scale / 15);
  } else {
    std::fill(y.scales, y.scales + 16, 0);
    y.d = f2h(0.f);
  }
  if (max_min > 0) {
    const float iscale = 15 / max_min;
    for (int j = 0; j < 16; ++j) y.scales[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
    y.dmin = f2h(max_min / 15);
  } else {
    y.dmin = f2h(0.f);
  }
  for (int j = 0; j < 16; ++j) {
    const float d = h2f(y.d) * (y.scales[j] & 15);
    if (!d) continue;
    const float dm = h2f(y.dmin) * (y.scales[j] >> 4);
    for (int i = 0; i < 16; ++i)
      L[16 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
  }
  pack_2bit(L, y.qs);
}

void quantize_block_q3_k(const float* x, BlockQ3_K& y) {
  int8_t L[256];
  float scales[16];
  float max_scale = 0, amax = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = quant::make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
    if (std::fabs(scales[j]) > amax) {
      amax = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  std::memset(y.scales, 0, sizeof(y.scales));
  if (max_scale) {
    const float iscale = -32 / max_scale;
    for (int j = 0; j < 16; ++j) {
      int l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
      l = std::clamp(l, -32, 31) + 32;
      if (j < 8)
        y.scales[j] = static_cast<uint8_t>(l & 15);
      else
        y.scales[j - 8] |= static_cast<uint8_t>((l & 15) << 4);
      y.scales[8 + j % 4] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
    }
    y.d = f2h(1 / iscale);
  } else {
    y.d = f2h(0.f);
  }
  for (int j = 0; j < 16; ++j) {
    const float d = h2f(y.d) * q3k_scale(j, y.scales);
    if (!d) continue;
    for (int i = 0; i < 16; ++i)
      L[16 * j + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
  }
  std::memset(y.hmask, 0, sizeof(y.hmask));
  uint8_t low[256];
  for (int e = 0; e < 256; ++e) {
    int l = L[e];
    if (l > 3) {
      y.hmask[e % 32] |= static_cast<uint8_t>(1 << (e / 32));
      l -= 4;
    }
    low[e] = static_cast<uint8_t>(l);
  }
  pack_2bit(low, y.qs);
}

}  // namespace

void dequantize_row_q2_k(const void* src, float* dst, int64_t n) {
  const BlockQ2_K* b = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    unpack_q2_k(b[i], q);
    const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
    for (int e = 0; e < 256; ++e) {
      const uint8_t sc = b[i].scales[e / 16];
      dst[i * kQK_K + e] = d * (sc & 15) * q[e] - dmin * (sc >> 4);
    }
  }
}

void quantize_row_q2_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) quantize_block_q2_k(src + i * kQK_K, static_cast<BlockQ2_K*>(dst)[i]);
}

// §4.4 recipe 8: the min term first, then the scaled lane sums, both fused into acc[r].
float vec_dot_q2_k_q8_k(int64_t n, const void* w, const void* a) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[8] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    int32_t P[8][8];
    unpack_q2_k(x[i], q);
    chunk_lane_sums(q, y[i].qs, P);
    const float d = y[i].d * h2f(x[i].d);
    const float dmin = -y[i].d * h2f(x[i].dmin);
    for (int r = 0; r < 8; ++r) {
      const int32_t M =
          (x[i].scales[2 * r] >> 4) * y[i].bsums[2 * r] + (x[i].scales[2 * r + 1] >> 4) * y[i].bsums[2 * r + 1];
      acc[r] = std::fma(dmin, static_cast<float>(M), acc[r]);
      int32_t L = 0;
      for (int c = 0; c < 8; ++c) L += (x[i].scales[2 * c + (r >= 4)] & 15) * P[c][r];
      acc[r] = std::fma(d, static_cast<float>(L), acc[r]);
    }
  }
  return hsum8(acc);
}

void dequantize_row_q3_k(const void* src, float* dst, int64_t n) {
  const BlockQ3_K* b = static_cast<const BlockQ3_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    unpack_q3_k(b[i], q);
    const float d = h2f(b[i].d);
    for (int e = 0; e < 256; ++e) dst[i * kQK_K + e] = (d * q3k_scale(e / 16, b[i].scales)) * q[e];
  }
}

void quantize_row_q3_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) quantize_block_q3_k(src + i * kQK_K, static_cast<BlockQ3_K*>(dst)[i]);
}

// §4.4 recipe 7 with the decoded -32..31 scales and q in -4..3.
float vec_dot_q3_k_q8_k(int64_t n, const void* w, const void* a) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[8] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    int32_t P[8][8];
    unpack_q3_k(x[i], q);
    chunk_lane_sums(q, y[i].qs, P);
    const float d = y[i].d * h2f(x[i].d);
    for (int r = 0; r < 8; ++r) {
      int32_t L = 0;
      for (int c = 0; c < 8; ++c) L += q3k_scale(2 * c + (r >= 4), x[i].scales) * P[c][r];
      acc[r] = std::fma(d, static_cast<float>(L), acc[r]);
    }
  }
  return hsum8(acc);
}

void dequantize_row_q8_k(const void* src, float* dst, int64_t n) {
  const BlockQ8_K* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i)
    for (int e = 0; e < 256; ++e) dst[i * kQK_K + e] = b[i].d * b[i].qs[e];
}

void quantize_row_q8_k(const float* src, void* dst, int64_t n) {
  BlockQ8_K* b = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    const float max = quant::signed_absmax(x, kQK_K);
    if (max == 0) {
      b[i].d = 0;
      std::memset(b[i].qs, 0, sizeof(b[i].qs));
      std::memset(b[i].bsums, 0, sizeof(b[i].bsums));
      continue;
    }
    const float iscale = -127.f / max;
    for (int e = 0; e < 256; ++e) b[i].qs[e] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[e])));
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += b[i].qs[16 * g + k];
      b[i].bsums[g] = static_cast<int16_t>(sum);
    }
    b[i].d = 1 / iscale;
  }
}

}  // namespace corral::ref
