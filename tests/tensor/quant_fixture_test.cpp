// Golden tests of the quantization references against llama.cpp's quantized copies of the
// fixture models (../shared/fixtures/models): every tensor dequantizes to the F32 source within
// the type's error, and re-quantizing the F32 source gives an RMS error no more than 1.05x
// llama.cpp's and, in fact, the same bytes for every type (the issue requires identity for F16,
// BF16, Q8_0 and Q4_0; engine-spec §3.3 reports it for the K-quants and IQ4_NL as well, and the
// references reach it, so a test of identity guards them all).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "tensor/quant_bounds.h"
#include "tensor/type_traits.h"
#include "testing/testing.h"

namespace corral {
namespace {

struct Case {
  const char* quantized;
  const char* source;
};

double rms_diff(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(s / n);
}

class QuantFixture : public ::testing::TestWithParam<Case> {};

TEST_P(QuantFixture, DequantizeAndRequantizeEveryTensor) {
  const auto dir = testing::fixtures_dir() / "models";
  const auto qpath = dir / (std::string(GetParam().quantized) + ".gguf");
  const auto spath = dir / (std::string(GetParam().source) + ".gguf");
  CORRAL_REQUIRE_FIXTURE(qpath);
  CORRAL_REQUIRE_FIXTURE(spath);
  auto qfile = GgufFile::open(qpath);
  auto sfile = GgufFile::open(spath);
  ASSERT_TRUE(qfile.ok() && sfile.ok());
  int n_checked = 0, n_identical = 0;
  for (const GgufTensor& t : qfile->tensors()) {
    if (t.type == GgmlType::kF32) continue;
    SCOPED_TRACE(t.name + " " + std::string(ggml_type_name(t.type)));
    const GgufTensor* src = sfile->find_tensor(t.name);
    ASSERT_NE(src, nullptr);
    ASSERT_EQ(src->type, GgmlType::kF32);
    const TypeFns* fns = type_fns(t.type);
    ASSERT_NE(fns, nullptr);
    const size_t n = t.n_elements();
    ASSERT_EQ(src->n_elements(), n);
    std::vector<float> x(n), deq(n), mine(n);
    std::memcpy(x.data(), src->data.data(), n * sizeof(float));
    fns->to_float(t.data.data(), deq.data(), n);  // whole tensor: rows are whole blocks
    std::vector<float> zeros(n, 0.f);
    const double scale = rms_diff(x.data(), zeros.data(), n);
    const double theirs = rms_diff(deq.data(), x.data(), n);
    EXPECT_LE(theirs, testing::rms_error_bound(t.type) * scale);

    std::vector<uint8_t> q(t.n_bytes);
    fns->from_float(x.data(), q.data(), n);
    const bool identical = std::memcmp(q.data(), t.data.data(), t.n_bytes) == 0;
    n_identical += identical;
    ++n_checked;
    EXPECT_TRUE(identical);
    fns->to_float(q.data(), mine.data(), n);
    EXPECT_LE(rms_diff(mine.data(), x.data(), n), 1.05 * theirs);
  }
  EXPECT_GT(n_checked, 0);
  RecordProperty("identical_tensors", std::to_string(n_identical) + "/" + std::to_string(n_checked));
  std::printf("%s: %d of %d quantized tensors byte-identical\n", GetParam().quantized, n_identical, n_checked);
}

constexpr const char* kSmall = "llama-small-llama3v4k-f32";
constexpr const char* kTiny = "llama-tiny-llama3v4k-f32";

INSTANTIATE_TEST_SUITE_P(
    Models, QuantFixture,
    ::testing::Values(Case{"llama-small-llama3v4k-q2_k", kSmall}, Case{"llama-small-llama3v4k-q3_k_m", kSmall},
                      Case{"llama-small-llama3v4k-q4_k_m", kSmall}, Case{"llama-small-llama3v4k-q5_k_m", kSmall},
                      Case{"llama-small-llama3v4k-q6_k", kSmall}, Case{"llama-small-llama3v4k-iq4_nl", kSmall},
                      Case{"llama-small-llama3v4k-q8_0", kSmall}, Case{"llama-tiny-llama3v4k-f16", kTiny},
                      Case{"llama-tiny-llama3v4k-bf16", kTiny}, Case{"llama-tiny-llama3v4k-q8_0", kTiny},
                      Case{"llama-tiny-llama3v4k-q4_0", kTiny}),
    [](const auto& param_info) {
      std::string s = param_info.param.quantized;
      for (char& c : s) {
        if (c == '-') c = '_';
      }
      return s;
    });

}  // namespace
}  // namespace corral
