// Reference code for the 32-element "legacy" types and their activation types.
//   Q4_0 (18 B): d f16 | qs[16]            y = (nibble - 8) * d
//   Q4_1 (20 B): d f16 | m f16 | qs[16]    y = nibble * d + m
//   Q5_0 (22 B): d f16 | qh[4] | qs[16]    y = ((nibble | hbit << 4) - 16) * d
//   Q5_1 (24 B): d f16 | m f16 | qh[4] | qs[16]   y = (nibble | hbit << 4) * d + m
//   Q8_0 (34 B): d f16 | qs[32] int8       y = qs * d
//   Q8_1 (36 B): d f16 | s f16 | qs[32]    s = d * sum(qs), for the Q4_1/Q5_1 dot products
// Nibbles: byte qs[j] holds element j (low nibble) and element j + 16 (high nibble). qh is a
// little-endian u32 whose bit j is bit 4 of element j (j < 32).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "tensor/dot_lanes.h"
#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_ref.h"
#include "tensor/quant_search.h"

namespace corral::ref {
namespace {

template <typename Block>
const Block* blocks(const void* p) {
  return static_cast<const Block*>(p);
}
template <typename Block>
Block* blocks(void* p) {
  return static_cast<Block*>(p);
}

uint32_t load_qh(const uint8_t* qh) {
  uint32_t h;
  std::memcpy(&h, qh, 4);
  return h;
}

// The 32 integer weights of one block (signed, as the dot product uses them).
void unpack_q4_0(const BlockQ4_0& b, int8_t q[32]) {
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>((b.qs[j] & 15) - 8);
    q[j + 16] = static_cast<int8_t>((b.qs[j] >> 4) - 8);
  }
}
void unpack_q4_1(const BlockQ4_1& b, int8_t q[32]) {
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>(b.qs[j] & 15);
    q[j + 16] = static_cast<int8_t>(b.qs[j] >> 4);
  }
}
void unpack_q5(const uint8_t* qs, const uint8_t* qh, int offset, int8_t q[32]) {
  const uint32_t h = load_qh(qh);
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<int8_t>(((qs[j] & 15) | (((h >> j) & 1) << 4)) - offset);
    q[j + 16] = static_cast<int8_t>(((qs[j] >> 4) | (((h >> (j + 16)) & 1) << 4)) - offset);
  }
}

// §4.4 recipe 5: acc[r] = fma(dw * da, P_r, acc[r]) per block; Q4_1/Q5_1 add m * s per block.
template <typename Block, typename ActBlock, typename Unpack, typename Extra>
float dot_lanes(int64_t n, const void* w, const void* a, Unpack unpack, Extra extra) {
  const Block* x = blocks<Block>(w);
  const ActBlock* y = blocks<ActBlock>(a);
  float acc[8] = {};
  float summs = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int8_t q[32];
    int32_t P[8];
    unpack(x[i], q);
    lane_sums(q, y[i].qs, P);
    const float d = h2f(x[i].d) * h2f(y[i].d);
    for (int r = 0; r < 8; ++r) acc[r] = std::fma(d, static_cast<float>(P[r]), acc[r]);
    summs += extra(x[i], y[i]);
  }
  return hsum8(acc) + summs;
}

constexpr auto kNoExtra = [](const auto&, const auto&) { return 0.f; };
constexpr auto kMinTimesSum = [](const auto& x, const auto& y) { return h2f(x.m) * h2f(y.s); };

void min_max(const float* x, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < kQK; ++j) {
    *min = std::min(*min, x[j]);
    *max = std::max(*max, x[j]);
  }
}

}  // namespace

void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const BlockQ4_0& b = blocks<BlockQ4_0>(src)[i];
    const float d = h2f(b.d);
    int8_t q[32];
    unpack_q4_0(b, q);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = q[j] * d;
  }
}

void quantize_row_q4_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    BlockQ4_0& b = blocks<BlockQ4_0>(dst)[i];
    const float d = quant::signed_absmax(x, kQK) / -8;
    const float id = d ? 1.0f / d : 0.0f;
    b.d = f2h(d);
    for (int j = 0; j < 16; ++j) {
      const uint8_t lo = std::min<uint8_t>(15, static_cast<int8_t>(x[j] * id + 8.5f));
      const uint8_t hi = std::min<uint8_t>(15, static_cast<int8_t>(x[j + 16] * id + 8.5f));
      b.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
  return dot_lanes<BlockQ4_0, BlockQ8_0>(n, w, a, unpack_q4_0, kNoExtra);
}

void dequantize_row_q4_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const BlockQ4_1& b = blocks<BlockQ4_1>(src)[i];
    const float d = h2f(b.d), m = h2f(b.m);
    int8_t q[32];
    unpack_q4_1(b, q);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = q[j] * d + m;
  }
}

void quantize_row_q4_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    BlockQ4_1& b = blocks<BlockQ4_1>(dst)[i];
    float min, max;
    min_max(x, &min, &max);
    const float d = (max - min) / 15;
    const float id = d ? 1.0f / d : 0.0f;
    b.d = f2h(d);
    b.m = f2h(min);
    for (int j = 0; j < 16; ++j) {
      const uint8_t lo = std::min<uint8_t>(15, static_cast<int8_t>((x[j] - min) * id + 0.5f));
      const uint8_t hi = std::min<uint8_t>(15, static_cast<int8_t>((x[j + 16] - min) * id + 0.5f));
      b.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
  return dot_lanes<BlockQ4_1, BlockQ8_1>(n, w, a, unpack_q4_1, kMinTimesSum);
}

void dequantize_row_q5_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const BlockQ5_0& b = blocks<BlockQ5_0>(src)[i];
    const float d = h2f(b.d);
    int8_t q[32];
    unpack_q5(b.qs, b.qh, 16, q);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = q[j] * d;
  }
}

void quantize_row_q5_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    BlockQ5_0& b = blocks<BlockQ5_0>(dst)[i];
    const float d = quant::signed_absmax(x, kQK) / -16;
    const float id = d ? 1.0f / d : 0.0f;
    b.d = f2h(d);
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
      const uint8_t lo = std::min<uint8_t>(31, static_cast<int8_t>(x[j] * id + 16.5f));
      const uint8_t hi = std::min<uint8_t>(31, static_cast<int8_t>(x[j + 16] * id + 16.5f));
      b.qs[j] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
      qh |= static_cast<uint32_t>(lo >> 4) << j;
      qh |= static_cast<uint32_t>(hi >> 4) << (j + 16);
    }
    std::memcpy(b.qh, &qh, 4);
  }
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
  auto unpack = [](const BlockQ5_0& b, int8_t q[32]) { unpack_q5(b.qs, b.qh, 16, q); };
  return dot_lanes<BlockQ5_0, BlockQ8_0>(n, w, a, unpack, kNoExtra);
}

void dequantize_row_q5_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const BlockQ5_1& b = blocks<BlockQ5_1>(src)[i];
    const float d = h2f(b.d), m = h2f(b.m);
    int8_t q[32];
    unpack_q5(b.qs, b.qh, 0, q);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = q[j] * d + m;
  }
}

void quantize_row_q5_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    BlockQ5_1& b = blocks<BlockQ5_1>(dst)[i];
    float min, max;
    min_max(x, &min, &max);
    const float d = (max - min) / 31;
    const float id = d ? 1.0f / d : 0.0f;
    b.d = f2h(d);
    b.m = f2h(min);
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
      const uint8_t lo = static_cast<uint8_t>((x[j] - min) * id + 0.5f);
      const uint8_t hi = static_cast<uint8_t>((x[j + 16] - min) * id + 0.5f);
      b.qs[j] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
      qh |= static_cast<uint32_t>((lo >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((hi >> 4) & 1) << (j + 16);
    }
    std::memcpy(b.qh, &qh, 4);
  }
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
  auto unpack = [](const BlockQ5_1& b, int8_t q[32]) { unpack_q5(b.qs, b.qh, 0, q); };
  return dot_lanes<BlockQ5_1, BlockQ8_1>(n, w, a, unpack, kMinTimesSum);
}

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const BlockQ8_0& b = blocks<BlockQ8_0>(src)[i];
    const float d = h2f(b.d);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = b.qs[j] * d;
  }
}

void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    BlockQ8_0& b = blocks<BlockQ8_0>(dst)[i];
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    b.d = f2h(d);
    for (int j = 0; j < kQK; ++j) b.qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  auto unpack = [](const BlockQ8_0& b, int8_t q[32]) { std::memcpy(q, b.qs, 32); };
  return dot_lanes<BlockQ8_0, BlockQ8_0>(n, w, a, unpack, kNoExtra);
}

void dequantize_row_q8_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const BlockQ8_1& b = blocks<BlockQ8_1>(src)[i];
    const float d = h2f(b.d);
    for (int j = 0; j < 32; ++j) dst[i * kQK + j] = b.qs[j] * d;
  }
}

namespace {
// The AVX2 activation form: id = 127 / amax and round half to even; returns d (f32) and sum(q).
float quantize_act_block(const float* x, int8_t* q, int* sum) {
  float amax = 0;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.f ? 127.f / amax : 0.f;
  *sum = 0;
  for (int j = 0; j < kQK; ++j) {
    const float v = std::clamp(std::nearbyint(x[j] * id), -128.f, 127.f);
    q[j] = static_cast<int8_t>(v);
    *sum += q[j];
  }
  return amax / 127.f;
}
}  // namespace

void quantize_act_q8_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    BlockQ8_0& b = blocks<BlockQ8_0>(dst)[i];
    int sum;
    b.d = f2h(quantize_act_block(src + i * kQK, b.qs, &sum));
  }
}

void quantize_act_q8_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    BlockQ8_1& b = blocks<BlockQ8_1>(dst)[i];
    int sum;
    const float d = quantize_act_block(src + i * kQK, b.qs, &sum);
    b.d = f2h(d);
    b.s = f2h(d * static_cast<float>(sum));
  }
}

}  // namespace corral::ref
