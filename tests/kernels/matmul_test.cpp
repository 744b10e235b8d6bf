// matvec / matmul: every output equals the selected kernel's dot product of that weight row with
// the activations quantized once (bit-exact, whatever the tiling and thread count), and agrees
// with a double-precision product of the dequantized weights within the type's error.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"

namespace corral::kernels {
namespace {

using testing::gaussian;

struct Shape {
  int64_t rows, cols, tokens;
};

class MatmulTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(MatmulTest, EqualsRowDotsForAnyTilingAndThreads) {
  const GgmlType type = GetParam();
  const TypeFns* fns = type_fns(type);
  const QuantKernel* k = select_kernel(type);
  ThreadPool pool(2);
  const int64_t bs = std::max<int64_t>(256, traits_of(type).block_size);
  // 2, 3, 4 and 13 tokens: the small-batch path (groups of four, the last one padded with zero rows).
  for (const Shape s : {Shape{37, bs, 1}, Shape{16, bs, 2}, Shape{16, 2 * bs, 3}, Shape{21, bs, 4}, Shape{19, bs, 13},
                        Shape{70, bs, 65}, Shape{33, 2 * bs, 130}}) {
    const auto wf = gaussian(s.rows * s.cols, 1, 0.02f);
    std::vector<uint8_t> wq(*ggml_row_bytes(type, s.rows * s.cols));
    fns->from_float(wf.data(), wq.data(), s.rows * s.cols);
    const auto x = gaussian(s.tokens * s.cols, 2);
    const WeightView w{type, wq.data(), s.rows, s.cols};

    // Expected: one dot per output against activations quantized row by row.
    const size_t wrow = *ggml_row_bytes(type, s.cols), arow = *ggml_row_bytes(fns->vec_dot_type, s.cols);
    std::vector<uint8_t> act(arow);
    std::vector<float> expect(s.tokens * s.rows), deq(s.cols);
    double max_err = 0, scale = 0;
    for (int64_t t = 0; t < s.tokens; ++t) {
      select_kernel(fns->vec_dot_type)->from_float_act(x.data() + t * s.cols, act.data(), s.cols);
      for (int64_t r = 0; r < s.rows; ++r) {
        expect[t * s.rows + r] = k->vec_dot(s.cols, wq.data() + r * wrow, act.data());
        fns->to_float(wq.data() + r * wrow, deq.data(), s.cols);
        double exact = 0, mag = 0;
        for (int64_t c = 0; c < s.cols; ++c) {
          exact += static_cast<double>(deq[c]) * x[t * s.cols + c];
          mag += std::fabs(static_cast<double>(deq[c]) * x[t * s.cols + c]);
        }
        max_err = std::max(max_err, std::fabs(exact - expect[t * s.rows + r]));
        scale = std::max(scale, mag);
      }
    }
    // Activation quantization error: Q8 types about 1% of sum |w x| at worst; bf16/f16 less.
    EXPECT_LE(max_err, 0.02 * scale) << ggml_type_name(type);

    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      std::vector<float> y(s.tokens * s.rows, -1.f);
      matmul(w, x.data(), s.tokens, y.data(), p);
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_EQ(y[i], expect[i]) << ggml_type_name(type) << " rows=" << s.rows << " tokens=" << s.tokens
                                   << " i=" << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, MatmulTest, ::testing::ValuesIn(weight_types().begin(), weight_types().end()),
                         [](const auto& param_info) { return std::string(ggml_type_name(param_info.param)); });

}  // namespace
}  // namespace corral::kernels
