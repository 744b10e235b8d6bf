// Reference code for the float types.
//   F32:  4 bytes per element, IEEE single.
//   F16:  2 bytes per element, IEEE half (h2f / f2h, round to nearest-even).
//   BF16: 2 bytes per element, the top half of an f32 (bf2f / f2bf, round to nearest-even).
// Dot products run on f32 x f32, f16 x f16, bf16 x bf16 (activations are rounded to the weight
// type first, engine-spec §4.1) in the accumulation order of §4.4 recipes 2-4.
#include <cmath>
#include <cstring>

#include "tensor/dot_lanes.h"
#include "tensor/fp16.h"
#include "tensor/quant_ref.h"

namespace corral::ref {
namespace {

// Four 8-lane accumulators over steps of 32: acc[j][r] covers element i + 8j + r.
// Fused (recipes 2, 3): fma per element; BF16 (recipe 4): separate multiply and add.
template <bool kFused, typename Load>
void accumulate_four(int64_t np, Load load, float acc[4][8]) {
  for (int64_t i = 0; i < np; i += 32) {
    for (int j = 0; j < 4; ++j) {
      for (int r = 0; r < 8; ++r) {
        const int64_t e = i + 8 * j + r;
        if constexpr (kFused)
          acc[j][r] = std::fma(load.w(e), load.x(e), acc[j][r]);
        else
          acc[j][r] = acc[j][r] + load.w(e) * load.x(e);
      }
    }
  }
}

// s0 += s2, s1 += s3, s0 += s1; t[r] = s0[r] + s0[r+4]; (t0 + t1) + (t2 + t3).
float reduce_f32(float acc[4][8]) {
  float t[4];
  for (int r = 0; r < 8; ++r) acc[0][r] = acc[0][r] + acc[2][r];
  for (int r = 0; r < 8; ++r) acc[1][r] = acc[1][r] + acc[3][r];
  for (int r = 0; r < 8; ++r) acc[0][r] = acc[0][r] + acc[1][r];
  for (int r = 0; r < 4; ++r) t[r] = acc[0][r] + acc[0][r + 4];
  return (t[0] + t[1]) + (t[2] + t[3]);
}

struct LoadF32 {
  const float* a;
  const float* b;
  float w(int64_t e) const { return a[e]; }
  float x(int64_t e) const { return b[e]; }
};
struct LoadF16 {
  const uint16_t* a;
  const uint16_t* b;
  float w(int64_t e) const { return h2f(a[e]); }
  float x(int64_t e) const { return h2f(b[e]); }
};
struct LoadBF16 {
  const uint16_t* a;
  const uint16_t* b;
  float w(int64_t e) const { return bf2f(a[e]); }
  float x(int64_t e) const { return bf2f(b[e]); }
};

}  // namespace

// Empty rows may come with null pointers, which memcpy must not see.
void dequantize_row_f32(const void* src, float* dst, int64_t n) {
  if (n > 0) std::memcpy(dst, src, n * sizeof(float));
}
void quantize_row_f32(const float* src, void* dst, int64_t n) {
  if (n > 0) std::memcpy(dst, src, n * sizeof(float));
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const LoadF32 load{static_cast<const float*>(w), static_cast<const float*>(a)};
  const int64_t np = n - n % 32;
  float acc[4][8] = {};
  accumulate_four<true>(np, load, acc);
  float sum = reduce_f32(acc);
  for (int64_t i = np; i < n; ++i) sum += load.w(i) * load.x(i);
  return sum;
}

void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = h2f(s[i]);
}
void quantize_row_f16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = f2h(src[i]);
}

// Recipe 3: the f32 lanes reduce as for F32; the tail products are summed in double.
float vec_dot_f16(int64_t n, const void* w, const void* a) {
  const LoadF16 load{static_cast<const uint16_t*>(w), static_cast<const uint16_t*>(a)};
  const int64_t np = n - n % 32;
  float acc[4][8] = {};
  accumulate_four<true>(np, load, acc);
  double sum = reduce_f32(acc);
  for (int64_t i = np; i < n; ++i) sum += static_cast<double>(load.w(i) * load.x(i));
  return static_cast<float>(sum);
}

void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf2f(s[i]);
}
void quantize_row_bf16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = f2bf(src[i]);
}

// Recipe 4: unfused lanes, (c0 + c2) + (c1 + c3) lane-wise, hsum8, tail in double.
float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  const LoadBF16 load{static_cast<const uint16_t*>(w), static_cast<const uint16_t*>(a)};
  const int64_t np = n - n % 32;
  float acc[4][8] = {};
  accumulate_four<false>(np, load, acc);
  float c[8];
  for (int r = 0; r < 8; ++r) c[r] = (acc[0][r] + acc[2][r]) + (acc[1][r] + acc[3][r]);
  double sum = hsum8(c);
  for (int64_t i = np; i < n; ++i) sum += static_cast<double>(load.w(i) * load.x(i));
  return static_cast<float>(sum);
}

}  // namespace corral::ref
