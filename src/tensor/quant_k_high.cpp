// Reference code for Q4_K, Q5_K and Q6_K (256-element super-blocks, dot products against Q8_K).
//   Q4_K (144 B): d f16 | dmin f16 | scales[12] (eight 6-bit scales + eight 6-bit mins) | qs[128]
//                 element 64c + 32u + l = nibble u of qs[32c + l];  y = (d*sc_j)*q - dmin*m_j
//   Q5_K (176 B): d f16 | dmin f16 | scales[12] | qh[32] | qs[128]
//                 as Q4_K plus bit 4 = bit e/32 of qh[e % 32];     y = (d*sc_j)*q - dmin*m_j
//   Q6_K (210 B): ql[128] | qh[64] | scales[16] int8 | d f16
//                 6-bit q (4 low bits in ql, 2 high in qh);        y = (d*sc_{e/16})*(q - 32)
// Scale packing of Q4_K/Q5_K: see k4_scale_min() in quant_blocks.h.
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

// Sub-block searches and scale packing shared by Q4_K (nmax 15) and Q5_K (nmax 31). Leaves the
// requantized levels in L and writes d, dmin and scales.
void quantize_scales_k4(const float* x, int nmax, float rmin, int nstep, uint8_t L[256], uint16_t* d, uint16_t* dmin,
                        uint8_t scales_out[12]) {
  float weights[32], mins[8], scales[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xj = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xj[l] * xj[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xj[l]);
    scales[j] = quant::make_qkx2_quants(32, nmax, xj, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    const uint8_t lm = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
    if (j < 4) {
      scales_out[j] = ls;
      scales_out[j + 4] = lm;
    } else {
      scales_out[j + 4] = static_cast<uint8_t>((ls & 15) | ((lm & 15) << 4));
      scales_out[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      scales_out[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  *d = f2h(max_scale / 63.f);
  *dmin = f2h(max_min / 63.f);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k4_scale_min(j, scales_out, &sc, &m);
    const float dq = h2f(*d) * sc;
    if (!dq) continue;
    const float dm = h2f(*dmin) * m;
    for (int i = 0; i < 32; ++i)
      L[32 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / dq), 0, nmax));
  }
}

// Integer parts of recipes 9/10: L_r = sum_c sc_c * P[c][r]; the min terms use bsums.
template <typename Block>
void k4_lane_terms(const Block& x, const BlockQ8_K& y, const int8_t q[256], int32_t L[8], int32_t mprod[8]) {
  int32_t P[8][8];
  chunk_lane_sums(q, y.qs, P);
  std::fill(L, L + 8, 0);
  for (int c = 0; c < 8; ++c) {
    uint8_t sc, m;
    k4_scale_min(c, x.scales, &sc, &m);
    for (int r = 0; r < 8; ++r) L[r] += sc * P[c][r];
    mprod[c] = m * (y.bsums[2 * c] + y.bsums[2 * c + 1]);
  }
}

template <typename Block>
void dequantize_k4(const Block& b, const int8_t q[256], float* dst) {
  const float d = h2f(b.d), dmin = h2f(b.dmin);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k4_scale_min(j, b.scales, &sc, &m);
    const float d1 = d * sc, m1 = dmin * m;
    for (int l = 0; l < 32; ++l) dst[32 * j + l] = d1 * q[32 * j + l] - m1;
  }
}

}  // namespace

void dequantize_row_q4_k(const void* src, float* dst, int64_t n) {
  const BlockQ4_K* b = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    unpack_q4_k(b[i], q);
    dequantize_k4(b[i], q, dst + i * kQK_K);
  }
}

void quantize_row_q4_k(const float* src, void* dst, int64_t n) {
  BlockQ4_K* b = static_cast<BlockQ4_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t L[256];
    std::memset(b[i].scales, 0, sizeof(b[i].scales));
    quantize_scales_k4(src + i * kQK_K, 15, -1.f, 20, L, &b[i].d, &b[i].dmin, b[i].scales);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        b[i].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
  }
}

// §4.4 recipe 10: scaled lane sums into acc[r]; the min term in four lanes of pairs.
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[8] = {}, accm[4] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    int32_t L[8], mprod[8];
    unpack_q4_k(x[i], q);
    k4_lane_terms(x[i], y[i], q, L, mprod);
    const float d = y[i].d * h2f(x[i].d);
    const float dmin = -y[i].d * h2f(x[i].dmin);
    for (int r = 0; r < 8; ++r) acc[r] = std::fma(d, static_cast<float>(L[r]), acc[r]);
    for (int k = 0; k < 4; ++k) accm[k] = std::fma(dmin, static_cast<float>(mprod[2 * k] + mprod[2 * k + 1]), accm[k]);
  }
  return hsum8(acc) + ((accm[0] + accm[2]) + (accm[1] + accm[3]));
}

void dequantize_row_q5_k(const void* src, float* dst, int64_t n) {
  const BlockQ5_K* b = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    unpack_q5_k(b[i], q);
    dequantize_k4(b[i], q, dst + i * kQK_K);
  }
}

void quantize_row_q5_k(const float* src, void* dst, int64_t n) {
  BlockQ5_K* b = static_cast<BlockQ5_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t L[256];
    std::memset(b[i].scales, 0, sizeof(b[i].scales));
    quantize_scales_k4(src + i * kQK_K, 31, -0.5f, 15, L, &b[i].d, &b[i].dmin, b[i].scales);
    std::memset(b[i].qh, 0, sizeof(b[i].qh));
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) {
        const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
        b[i].qs[32 * c + l] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
        b[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
  }
}

// §4.4 recipe 9: as Q4_K but the min term is one scalar, fused, per super-block.
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[8] = {}, summs = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    int32_t L[8], mprod[8];
    unpack_q5_k(x[i], q);
    k4_lane_terms(x[i], y[i], q, L, mprod);
    const float d = y[i].d * h2f(x[i].d);
    const float dmin = -y[i].d * h2f(x[i].dmin);
    for (int r = 0; r < 8; ++r) acc[r] = std::fma(d, static_cast<float>(L[r]), acc[r]);
    int32_t H = 0;
    for (int c = 0; c < 8; ++c) H += mprod[c];
    summs = std::fma(dmin, static_cast<float>(H), summs);
  }
  return hsum8(acc) + summs;
}

void dequantize_row_q6_k(const void* src, float* dst, int64_t n) {
  const BlockQ6_K* b = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    unpack_q6_k(b[i], q);
    const float d = h2f(b[i].d);
    for (int e = 0; e < 256; ++e) dst[i * kQK_K + e] = (d * b[i].scales[e / 16]) * q[e];
  }
}

void quantize_row_q6_k(const float* src, void* dst, int64_t n) {
  BlockQ6_K* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    int8_t L[256];
    float scales[16], max_scale = 0, max_abs = 0;
    for (int ib = 0; ib < 16; ++ib) {
      scales[ib] = quant::make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      if (std::fabs(scales[ib]) > max_abs) {
        max_abs = std::fabs(scales[ib]);
        max_scale = scales[ib];
      }
    }
    if (max_abs < 1e-15f) {
      std::memset(&b[i], 0, sizeof(BlockQ6_K));
      continue;
    }
    const float iscale = -128.f / max_scale;
    b[i].d = f2h(1 / iscale);
    for (int ib = 0; ib < 16; ++ib)
      b[i].scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    for (int j = 0; j < 16; ++j) {
      const float d = h2f(b[i].d) * b[i].scales[j];
      if (!d) continue;
      for (int k = 0; k < 16; ++k)
        L[16 * j + k] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + k] / d), -32, 31) + 32);
    }
    for (int h = 0; h < 2; ++h)
      for (int l = 0; l < 32; ++l) {
        const int8_t* Lh = L + 128 * h + l;
        b[i].ql[64 * h + l] = static_cast<uint8_t>((Lh[0] & 15) | ((Lh[64] & 15) << 4));
        b[i].ql[64 * h + 32 + l] = static_cast<uint8_t>((Lh[32] & 15) | ((Lh[96] & 15) << 4));
        b[i].qh[32 * h + l] =
            static_cast<uint8_t>((Lh[0] >> 4) | ((Lh[32] >> 4) << 2) | ((Lh[64] >> 4) << 4) | ((Lh[96] >> 4) << 6));
      }
  }
}

// §4.4 recipe 7 with the int8 scales and q - 32.
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[8] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t q[256];
    int32_t P[8][8];
    unpack_q6_k(x[i], q);
    chunk_lane_sums(q, y[i].qs, P);
    const float d = y[i].d * h2f(x[i].d);
    for (int r = 0; r < 8; ++r) {
      int32_t L = 0;
      for (int c = 0; c < 8; ++c) L += x[i].scales[2 * c + (r >= 4)] * P[c][r];
      acc[r] = std::fma(d, static_cast<float>(L), acc[r]);
    }
  }
  return hsum8(acc);
}

}  // namespace corral::ref
