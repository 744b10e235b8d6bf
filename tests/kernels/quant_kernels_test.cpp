// Every SIMD variant in the registry against its scalar reference: dequantize bit-exact, dot
// product bit-exact (tolerance 0: the kernels use the references' lanes and fused operations),
// activation quantizers byte-identical. Lengths cover 0..9 blocks (every vector-width tail of the
// float types: n = 0..2 vector widths past a multiple of 32), pointers misaligned.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernel_test_util.h"
#include "tensor/quant_blocks.h"

namespace corral::kernels {
namespace {

using testing::gaussian;
using testing::Misaligned;

// Element counts to test for a type with `block` elements per block.
std::vector<int64_t> lengths(uint32_t block) {
  std::vector<int64_t> out;
  if (block == 1) {
    for (int64_t base : {0, 32, 96, 256})
      for (int64_t t = 0; t <= 16; ++t) out.push_back(base + t);
  } else {
    for (int64_t nb = 0; nb <= 9; ++nb) out.push_back(nb * block);
    out.push_back(17 * block);
  }
  return out;
}

// Valid weight bytes: the reference quantizer on Gaussian data whose scale varies per block.
std::vector<uint8_t> make_weights(GgmlType type, int64_t n, uint32_t seed) {
  auto x = gaussian(n, seed);
  const uint32_t bs = traits_of(type).block_size;
  std::mt19937 rng(seed + 1);
  for (int64_t b = 0; bs > 1 && b < n / bs; ++b) {
    const float s = std::ldexp(1.f, static_cast<int>(rng() % 12) - 8);
    for (uint32_t k = 0; k < bs; ++k) x[b * bs + k] *= s;
  }
  std::vector<uint8_t> q(*ggml_row_bytes(type, n) + 1);
  type_fns(type)->from_float(x.data(), q.data(), n);
  return q;
}

class SimdDequantize : public ::testing::TestWithParam<QuantKernel> {};
class SimdDot : public ::testing::TestWithParam<QuantKernel> {};
class SimdDot4 : public ::testing::TestWithParam<QuantKernel> {};
class SimdDotTile : public ::testing::TestWithParam<QuantKernel> {};
class SimdActivationQuantizer : public ::testing::TestWithParam<QuantKernel> {};

// Offsets keep the struct alignment of the blocks (2 bytes, 4 for Q8_K's f32 scale) but never a
// vector alignment.
size_t weight_offset(GgmlType type, int i) {
  return (type == GgmlType::kQ8_K || type == GgmlType::kF32 ? 4 : 2) * (2 * i + 1);
}

TEST_P(SimdDequantize, EqualsScalarExactly) {
  const QuantKernel& k = GetParam();
  const QuantKernel* ref = reference_kernel(k.type);
  std::mt19937 rng(17);
  for (int64_t n : lengths(traits_of(k.type).block_size)) {
    const size_t bytes = *ggml_row_bytes(k.type, n);
    for (int off = 0; off < 3; ++off) {
      // Random bytes (every bit pattern, NaN scales included) and realistic quantized data.
      Misaligned w(bytes, weight_offset(k.type, off));
      for (size_t i = 0; i < bytes; ++i) w.data()[i] = static_cast<uint8_t>(rng());
      for (int pass = 0; pass < 2; ++pass) {
        if (pass == 1 && k.type != GgmlType::kQ8_K) {
          const auto q = make_weights(k.type, n, 5 + static_cast<uint32_t>(n));
          std::memcpy(w.data(), q.data(), bytes);
        }
        Misaligned a(n * 4 + 4, 4 * (off + 1)), b(n * 4 + 4, 4 * (off + 2));
        ref->to_float(w.data(), a.floats(), n);
        k.to_float(w.data(), b.floats(), n);
        ASSERT_EQ(std::memcmp(a.data(), b.data(), n * 4), 0)
            << testing::variant_name(k) << " n=" << n << " off=" << off;
      }
    }
  }
}

TEST_P(SimdDot, EqualsScalarExactly) {
  const QuantKernel& k = GetParam();
  const QuantKernel* ref = reference_kernel(k.type);
  const GgmlType act = type_fns(k.type)->vec_dot_type;
  for (int64_t n : lengths(traits_of(k.type).block_size)) {
    if (traits_of(act).block_size > 1 && n % traits_of(act).block_size) continue;
    const auto wq = make_weights(k.type, n, 100 + static_cast<uint32_t>(n));
    const auto x = gaussian(n, 200 + static_cast<uint32_t>(n));
    const size_t wbytes = *ggml_row_bytes(k.type, n), abytes = *ggml_row_bytes(act, n);
    for (int off = 0; off < 2; ++off) {
      Misaligned w(wbytes, weight_offset(k.type, off)), a(abytes, 4 * (off + 1));
      std::memcpy(w.data(), wq.data(), wbytes);
      reference_kernel(act)->from_float_act(x.data(), a.data(), n);
      const float expect = ref->vec_dot(n, w.data(), a.data());
      const float got = k.vec_dot(n, w.data(), a.data());
      EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(expect))
          << testing::variant_name(k) << " n=" << n << " got " << got << " want " << expect;
    }
  }
}

TEST_P(SimdDot4, EqualsFourOneRowDots) {
  const QuantKernel& k = GetParam();
  const GgmlType act = type_fns(k.type)->vec_dot_type;
  for (int64_t n : lengths(traits_of(k.type).block_size)) {
    const auto wq = make_weights(k.type, n, 400 + static_cast<uint32_t>(n));
    const size_t abytes = *ggml_row_bytes(act, n), stride = abytes + 4 * ((abytes + 3) / 4 % 3 + 1);
    std::vector<uint8_t> a(4 * stride + 4);
    for (int t = 0; t < 4; ++t) {
      const auto x = gaussian(n, 500 + t + static_cast<uint32_t>(n));
      reference_kernel(act)->from_float_act(x.data(), a.data() + t * stride, n);
    }
    float out[4];
    k.vec_dot4(n, wq.data(), a.data(), stride, out);
    for (int t = 0; t < 4; ++t)
      EXPECT_EQ(std::bit_cast<uint32_t>(out[t]),
                std::bit_cast<uint32_t>(k.vec_dot(n, wq.data(), a.data() + t * stride)))
          << testing::variant_name(k) << " n=" << n << " row " << t;
  }
}

TEST_P(SimdDotTile, EqualsOneRowDotsForEveryRowCount) {
  const QuantKernel& k = GetParam();
  const GgmlType act = type_fns(k.type)->vec_dot_type;
  for (int64_t n : lengths(traits_of(k.type).block_size)) {
    const size_t wbytes = *ggml_row_bytes(k.type, n), wstride = wbytes + 8;  // rows need not be adjacent
    std::vector<uint8_t> w(kMaxTileRows * wstride);
    for (int r = 0; r < kMaxTileRows; ++r) {
      const auto row = make_weights(k.type, n, 700 + 31 * static_cast<uint32_t>(r) + static_cast<uint32_t>(n));
      std::copy(row.begin(), row.end(), w.begin() + static_cast<ptrdiff_t>(r * wstride));
    }
    const size_t abytes = *ggml_row_bytes(act, n), astride = abytes + 12;
    std::vector<uint8_t> a(kTileTokens * astride);
    for (int t = 0; t < kTileTokens; ++t) {
      const auto x = gaussian(n, 600 + t + static_cast<uint32_t>(n));
      reference_kernel(act)->from_float_act(x.data(), a.data() + t * astride, n);
    }
    for (int n_rows : {1, 3, kMaxTileRows}) {
      std::vector<float> out(kTileTokens * kMaxTileRows, -1.f);
      k.vec_dot_tile(n, w.data(), wstride, n_rows, a.data(), astride, out.data());
      for (int r = 0; r < n_rows; ++r)
        for (int t = 0; t < kTileTokens; ++t)
          ASSERT_EQ(std::bit_cast<uint32_t>(out[kTileTokens * r + t]),
                    std::bit_cast<uint32_t>(k.vec_dot(n, w.data() + r * wstride, a.data() + t * astride)))
              << testing::variant_name(k) << " n=" << n << " rows=" << n_rows << " row " << r << " token " << t;
    }
  }
}

TEST_P(SimdActivationQuantizer, EqualsScalar) {
  const QuantKernel& k = GetParam();
  const QuantKernel* ref = reference_kernel(k.type);
  for (int64_t n : lengths(traits_of(k.type).block_size)) {
    auto x = gaussian(n, 300 + static_cast<uint32_t>(n));
    if (n >= 64) {
      x[3] = 0.5f;                                     // exact ties after scaling are where rounding modes differ
      std::fill(x.begin() + 32, x.begin() + 64, 0.f);  // an all-zero block
    }
    const size_t bytes = *ggml_row_bytes(k.type, n);
    Misaligned a(bytes, 4), b(bytes, 8), src(n * 4, 4);
    if (n > 0) std::memcpy(src.data(), x.data(), n * 4);
    ref->from_float_act(src.floats(), a.data(), n);
    k.from_float_act(src.floats(), b.data(), n);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), bytes), 0) << testing::variant_name(k) << " n=" << n;
  }
}

auto kernel_name = [](const auto& param_info) { return testing::variant_name(param_info.param); };
INSTANTIATE_TEST_SUITE_P(Registry, SimdDequantize,
                         ::testing::ValuesIn(testing::simd_quant_kernels([](const QuantKernel& k) {
                           return k.to_float != nullptr;
                         })),
                         kernel_name);
INSTANTIATE_TEST_SUITE_P(Registry, SimdDot, ::testing::ValuesIn(testing::simd_quant_kernels([](const QuantKernel& k) {
                           return k.vec_dot != nullptr;
                         })),
                         kernel_name);
INSTANTIATE_TEST_SUITE_P(Registry, SimdDot4, ::testing::ValuesIn(testing::simd_quant_kernels([](const QuantKernel& k) {
                           return k.vec_dot4 != nullptr;
                         })),
                         kernel_name);
INSTANTIATE_TEST_SUITE_P(Registry, SimdDotTile,
                         ::testing::ValuesIn(testing::simd_quant_kernels([](const QuantKernel& k) {
                           return k.vec_dot_tile != nullptr;
                         })),
                         kernel_name);
INSTANTIATE_TEST_SUITE_P(Registry, SimdActivationQuantizer,
                         ::testing::ValuesIn(testing::simd_quant_kernels([](const QuantKernel& k) {
                           return k.from_float_act != nullptr;
                         })),
                         kernel_name);
// A CPU without SIMD variants has nothing to instantiate these with.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdDequantize);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdDot);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdDot4);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdDotTile);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdActivationQuantizer);

TEST(Registry, EveryWeightTypeHasAnAvx2DotAndDequantizer) {
  for (GgmlType t : weight_types()) {
    bool dot = false, deq = t == GgmlType::kF32;  // F32 "dequantize" is a copy
    for (const QuantKernel& k : all_quant_kernels()) {
      if (k.type != t || k.isa != Isa::kAvx2) continue;
      dot = dot || k.vec_dot;
      deq = deq || k.to_float;
    }
    EXPECT_TRUE(dot && deq) << ggml_type_name(t);
  }
}

TEST(Registry, SelectionPrefersTheBestSupportedIsa) {
  for (GgmlType t : weight_types()) {
    const QuantKernel* k = select_kernel(t);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->isa, best_isa()) << ggml_type_name(t);
    EXPECT_TRUE(k->to_float && k->vec_dot);
  }
  EXPECT_EQ(select_kernel(GgmlType::kIQ2_XXS), nullptr);
}

}  // namespace
}  // namespace corral::kernels
