// Unit tests of the scalar references: f16/bf16 conversion, quantize -> dequantize error per
// type, activation quantizers, and each dot product against the float dot product of the
// dequantized rows.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quant_bounds.h"
#include "tensor/type_traits.h"

namespace corral {
namespace {

std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s / v.size());
}

std::vector<float> roundtrip(GgmlType type, const std::vector<float>& x) {
  const TypeFns* f = type_fns(type);
  std::vector<uint8_t> q(*ggml_row_bytes(type, x.size()));
  f->from_float(x.data(), q.data(), x.size());
  std::vector<float> y(x.size());
  f->to_float(q.data(), y.data(), x.size());
  return y;
}

TEST(Fp16, HalfRoundTripsEveryFiniteValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;  // NaN payloads
    EXPECT_EQ(f2h(h2f(static_cast<uint16_t>(h))), h) << h;
  }
}

TEST(Fp16, HalfRoundsToNearestEven) {
  EXPECT_EQ(f2h(65504.f), 0x7bff);
  EXPECT_EQ(f2h(65519.f), 0x7bff);
  EXPECT_EQ(f2h(65520.f), 0x7c00);                     // the tie rounds to even: infinity
  EXPECT_EQ(f2h(std::ldexp(1.f, -25)), 0);             // tie between 0 and 2^-24
  EXPECT_EQ(f2h(std::ldexp(3.f, -26)), 1);             // 1.5 * 2^-25 rounds up to 2^-24
  EXPECT_EQ(f2h(1.f + std::ldexp(1.f, -11)), 0x3c00);  // tie -> even mantissa
  EXPECT_EQ(f2h(1.f + std::ldexp(3.f, -11)), 0x3c02);
  EXPECT_EQ(f2h(-2.f), 0xc000);
  EXPECT_EQ(f2h(std::nanf("")) & 0x7e00, 0x7e00);
}

TEST(Fp16, BFloatRoundsToNearestEven) {
  EXPECT_EQ(f2bf(1.f), 0x3f80);
  EXPECT_EQ(f2bf(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(f2bf(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(f2bf(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  for (uint32_t b = 0; b < 65536; b += 7)
    if ((b & 0x7f80) != 0x7f80) {
      EXPECT_EQ(f2bf(bf2f(static_cast<uint16_t>(b))), b);
    }
}

class QuantRoundTrip : public ::testing::TestWithParam<GgmlType> {};

TEST_P(QuantRoundTrip, ErrorWithinTheTypeBound) {
  const GgmlType type = GetParam();
  const auto x = gaussian(256 * 64, 1234, 0.02f);
  const auto y = roundtrip(type, x);
  std::vector<float> diff(x.size());
  for (size_t i = 0; i < x.size(); ++i) diff[i] = y[i] - x[i];
  const double rel = rms(diff) / rms(x);
  EXPECT_LE(rel, testing::rms_error_bound(type)) << ggml_type_name(type);
  RecordProperty("relative_rms_error", std::to_string(rel));
}

TEST_P(QuantRoundTrip, ZerosStayZero) {
  const GgmlType type = GetParam();
  const std::vector<float> x(512, 0.f);
  for (float v : roundtrip(type, x)) EXPECT_EQ(v, 0.f) << ggml_type_name(type);
}

// The weight dot product against the activation type equals the float dot product of the
// dequantized rows up to the rounding of the float accumulation: |err| <= 1e-5 * sum|w*a|, plus
// for Q8_1 activations the f16 rounding of the stored block sum s (2^-11 relative, times |m|).
TEST_P(QuantRoundTrip, DotMatchesDequantizedDot) {
  const GgmlType type = GetParam();
  const TypeFns* f = type_fns(type);
  const TypeFns* act = type_fns(f->vec_dot_type);
  for (int64_t n : {256, 512, 2048}) {
    const auto w = gaussian(n, 7 + n, 0.02f);
    const auto x = gaussian(n, 99 + n);
    std::vector<uint8_t> wq(*ggml_row_bytes(type, n)), xq(*ggml_row_bytes(f->vec_dot_type, n));
    f->from_float(w.data(), wq.data(), n);
    act->from_float_act(x.data(), xq.data(), n);
    std::vector<float> wd(n), xd(n);
    f->to_float(wq.data(), wd.data(), n);
    act->to_float(xq.data(), xd.data(), n);
    double expect = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
      expect += static_cast<double>(wd[i]) * xd[i];
      mag += std::fabs(static_cast<double>(wd[i]) * xd[i]);
    }
    if (f->vec_dot_type == GgmlType::kQ8_1) {
      const auto* blocks = reinterpret_cast<const BlockQ8_1*>(xq.data());
      for (int64_t b = 0; b < n / 32; ++b) {
        double block_min = 0;  // the weight block's min: every element is q * d + m with q >= 0
        for (int k = 0; k < 32; ++k) block_min = k ? std::min<double>(block_min, wd[32 * b + k]) : wd[32 * b];
        mag += std::fabs(block_min * h2f(blocks[b].s)) * 1e-3 / 1e-5;
      }
    }
    EXPECT_NEAR(f->vec_dot(n, wq.data(), xq.data()), expect, 1e-5 * mag) << ggml_type_name(type) << " n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, QuantRoundTrip,
                         ::testing::ValuesIn(weight_types().begin(), weight_types().end()),
                         [](const auto& param_info) { return std::string(ggml_type_name(param_info.param)); });

TEST(ActivationQuant, Q8_0RoundsHalfToEvenWith127OverAmax) {
  std::vector<float> x(32, 0.f);
  x[0] = 127.f;  // amax 127: id = 1, so x * id is exact and ties are visible
  x[1] = 2.5f;
  x[2] = -3.5f;
  x[3] = 0.5f;
  BlockQ8_0 b;
  type_fns(GgmlType::kQ8_0)->from_float_act(x.data(), &b, 32);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 2);
  EXPECT_EQ(b.qs[2], -4);
  EXPECT_EQ(b.qs[3], 0);
  EXPECT_EQ(h2f(b.d), 1.f);
  // The weight quantizer rounds half away from zero instead.
  type_fns(GgmlType::kQ8_0)->from_float(x.data(), &b, 32);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[3], 1);
}

TEST(ActivationQuant, Q8_KSumsAndScale) {
  const auto x = gaussian(512, 5);
  BlockQ8_K b[2];
  type_fns(GgmlType::kQ8_K)->from_float_act(x.data(), b, 512);
  for (const BlockQ8_K& blk : b) {
    int peak = 0;
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int k = 0; k < 16; ++k) s += blk.qs[16 * g + k];
      EXPECT_EQ(blk.bsums[g], s);
    }
    for (int8_t q : blk.qs) peak = std::max(peak, std::abs(static_cast<int>(q)));
    EXPECT_EQ(peak, 127);
  }
  const std::vector<float> zeros(256, 0.f);
  type_fns(GgmlType::kQ8_K)->from_float_act(zeros.data(), b, 256);
  EXPECT_EQ(b[0].d, 0.f);
}

TEST(ActivationQuant, Q8_1StoresScaledSum) {
  const auto x = gaussian(64, 11);
  BlockQ8_1 b[2];
  type_fns(GgmlType::kQ8_1)->from_float_act(x.data(), b, 64);
  for (const BlockQ8_1& blk : b) {
    int s = 0;
    for (int8_t q : blk.qs) s += q;
    EXPECT_NEAR(h2f(blk.s), h2f(blk.d) * s, std::fabs(h2f(blk.d) * s) * 2e-3 + 1e-6);
  }
}

}  // namespace
}  // namespace corral
