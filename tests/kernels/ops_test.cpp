// Every registered ops table against the scalar reference (and the scalar reference against
// plain formulas in double), over lengths 0..2 vector widths past several multiples of 8 and
// misaligned pointers. Tolerances: element-wise ops, SiLU, GELU and softmax exact (same vexpf,
// same table, same sums), RMSNorm exact; LayerNorm 1e-6 relative (its double sum is vectorised);
// attention 1e-5 against a two-pass softmax in double.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "kernel_test_util.h"
#include "kernels/attention.h"
#include "tensor/fp16.h"

namespace corral::kernels {
namespace {

using testing::gaussian;
using testing::Misaligned;

std::vector<int64_t> lengths() {
  std::vector<int64_t> out;
  for (int64_t base : {0, 64, 256})
    for (int64_t t = 0; t <= 16; ++t) out.push_back(base + t);
  return out;
}

class OpsTest : public ::testing::TestWithParam<OpsKernel> {
 protected:
  void SetUp() override {
    if (!isa_supported(GetParam().isa)) GTEST_SKIP() << "ISA not supported here";
  }
  const OpsTable& ops() const { return *GetParam().ops; }
  const OpsTable& ref() const { return scalar_ops(); }
};

void expect_close(const float* a, const float* b, int64_t n, double rel, const char* what, int64_t len) {
  for (int64_t i = 0; i < n; ++i)
    ASSERT_NEAR(a[i], b[i], rel * std::max(1.0, std::fabs(static_cast<double>(b[i]))))
        << what << " n=" << len << " i=" << i;
}

TEST_P(OpsTest, ElementwiseAndNorms) {
  for (int64_t n : lengths()) {
    const auto x = gaussian(n, 1 + n), u = gaussian(n, 2 + n), w = gaussian(n, 3 + n);
    Misaligned xa(n * 4, 4), ua(n * 4, 8), ya(n * 4, 12);
    std::copy(x.begin(), x.end(), xa.floats());
    std::copy(u.begin(), u.end(), ua.floats());
    std::vector<float> want(n);
    struct Binary {
      void (*got)(const float*, const float*, float*, int64_t);
      void (*want)(const float*, const float*, float*, int64_t);
      double tol;
      const char* name;
    };
    for (const Binary& op : {Binary{ops().add, ref().add, 0, "add"}, Binary{ops().mul, ref().mul, 0, "mul"},
                             Binary{ops().silu_mul, ref().silu_mul, 0, "silu_mul"},
                             Binary{ops().gelu_tanh_mul, ref().gelu_tanh_mul, 0, "gelu_tanh_mul"},
                             Binary{ops().gelu_erf_mul, ref().gelu_erf_mul, 0, "gelu_erf_mul"}}) {
      op.got(xa.floats(), ua.floats(), ya.floats(), n);
      op.want(x.data(), u.data(), want.data(), n);
      expect_close(ya.floats(), want.data(), n, op.tol, op.name, n);
    }
    if (n == 0) continue;
    ops().rms_norm(xa.floats(), w.data(), ya.floats(), n, 1e-5f);
    ref().rms_norm(x.data(), w.data(), want.data(), n, 1e-5f);
    expect_close(ya.floats(), want.data(), n, 0, "rms_norm", n);
    ops().layer_norm(xa.floats(), w.data(), u.data(), ya.floats(), n, 1e-5f);
    ref().layer_norm(x.data(), w.data(), u.data(), want.data(), n, 1e-5f);
    expect_close(ya.floats(), want.data(), n, 1e-6, "layer_norm", n);
    for (float cap : {0.f, 3.f}) {
      std::copy(x.begin(), x.end(), ya.floats());
      std::copy(x.begin(), x.end(), want.begin());
      ops().softmax(ya.floats(), n, 2.f, cap);
      ref().softmax(want.data(), n, 2.f, cap);
      expect_close(ya.floats(), want.data(), n, 0, "softmax", n);
    }
  }
}

// The scalar references against the formulas, in double.
TEST(ScalarOps, MatchFormulas) {
  const OpsTable& r = scalar_ops();
  const auto x = gaussian(40, 9), w = gaussian(40, 10);
  std::vector<float> y(40);
  r.rms_norm(x.data(), w.data(), y.data(), 40, 1e-5f);
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * v;
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(y[i], x[i] / std::sqrt(ss / 40 + 1e-5) * w[i], 1e-5);
  y = x;
  r.softmax(y.data(), 40, 0.5f, 2.f);
  double z = 0;
  for (float v : x) z += std::exp(2.0 * std::tanh(0.25 * v));
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(y[i], std::exp(2.0 * std::tanh(0.25 * x[i])) / z, 1e-6);
  r.silu_mul(x.data(), w.data(), y.data(), 40);
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(y[i], x[i] / (1 + std::exp(-double(x[i]))) * w[i], 1e-5);
  r.gelu_erf_mul(x.data(), w.data(), y.data(), 40);
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(y[i], 0.5 * x[i] * (1 + std::erf(x[i] / std::sqrt(2.0))) * w[i], 1e-5);
  // The tanh form through the f16 table: f16 rounding of input and output (2^-11 relative each).
  r.gelu_tanh_mul(x.data(), w.data(), y.data(), 40);
  for (int i = 0; i < 40; ++i) {
    const double g = x[i], t = 0.5 * g * (1 + std::tanh(0.7978845608028654 * g * (1 + 0.044715 * g * g)));
    EXPECT_NEAR(y[i], t * w[i], 1.5e-3 * (1 + std::fabs(g)) * std::fabs(w[i]));
  }
}

TEST(ScalarOps, VexpfWithinTwoUlpOfExp) {
  for (float v = -103.f; v < 88.7f; v += 0.0137f) {
    const double want = std::exp(static_cast<double>(v));
    EXPECT_NEAR(vexpf_scalar(v), want, want * 2.5e-7 + 1e-44) << v;
  }
  EXPECT_EQ(vexpf_scalar(-200.f), 0.f);
  EXPECT_TRUE(std::isinf(vexpf_scalar(100.f)));
  EXPECT_EQ(vexpf_scalar(0.f), 1.f);
}

TEST_P(OpsTest, RopeNormalAndNeox) {
  for (bool neox : {false, true}) {
    for (int64_t head_dim : {32, 64, 80}) {
      const int64_t n_head = 3;
      std::vector<float> ff(head_dim / 2);
      for (size_t i = 0; i < ff.size(); ++i) ff[i] = 1.f + static_cast<float>(i % 5);
      for (const float* factors : {static_cast<const float*>(nullptr), static_cast<const float*>(ff.data())}) {
        RopeParams p;
        p.n_rot = head_dim == 80 ? 64 : head_dim;  // partial rotation leaves the tail unchanged
        p.freq_base = 10000.f;
        p.neox = neox;
        p.freq_factors = factors;
        const auto x = gaussian(n_head * head_dim, 4 + head_dim);
        for (int64_t pos : {0, 1, 17, 4000}) {
          std::vector<float> a = x, b = x;
          ops().rope(a.data(), n_head, head_dim, pos, p);
          ref().rope(b.data(), n_head, head_dim, pos, p);
          expect_close(a.data(), b.data(), a.size(), 0, "rope", head_dim);
          if (pos == 0) expect_close(b.data(), x.data(), a.size(), 0, "rope at 0 is identity", head_dim);
          for (int64_t h = 0; h < n_head; ++h)
            for (int64_t i = p.n_rot; i < head_dim; ++i) EXPECT_EQ(b[h * head_dim + i], x[h * head_dim + i]);
          // A rotation keeps each pair's norm.
          double n0 = 0, n1 = 0;
          for (size_t i = 0; i < x.size(); ++i) n0 += double(x[i]) * x[i], n1 += double(b[i]) * b[i];
          EXPECT_NEAR(n0, n1, 1e-4 * n0);
        }
      }
    }
  }
}

// Attention against a two-pass softmax in double over the (dequantized) cache.
double cache_value(const AttentionArgs& a, const void* base, int64_t i) {
  return a.kv_type == KvType::kF32 ? static_cast<const float*>(base)[i] : h2f(static_cast<const uint16_t*>(base)[i]);
}

void naive_attention(const AttentionArgs& a, std::vector<float>& out) {
  const int64_t group = a.n_head / a.n_head_kv;
  for (int64_t t = 0; t < a.n_tokens; ++t)
    for (int64_t h = 0; h < a.n_head; ++h) {
      const float* q = a.q + (t * a.n_head + h) * a.head_dim;
      std::vector<double> s(a.n_kv, -INFINITY);
      double m = -INFINITY;
      for (int64_t j = 0; j < a.n_kv; ++j) {
        const int32_t pj = a.kv_pos[j], pq = a.q_pos[t];
        if (pj < 0 || pj > pq || (a.window > 0 && pq - pj >= a.window)) continue;
        double d = 0;
        for (int64_t c = 0; c < a.head_dim; ++c)
          d += q[c] * cache_value(a, a.k, (j * a.n_head_kv + h / group) * a.head_dim + c);
        d *= a.scale;
        if (a.softcap > 0) d = a.softcap * std::tanh(d / a.softcap);
        s[j] = d;
        m = std::max(m, d);
      }
      double z = 0;
      for (double& v : s) z += (v = std::exp(v - m));
      for (int64_t c = 0; c < a.head_dim; ++c) {
        double o = 0;
        for (int64_t j = 0; j < a.n_kv; ++j)
          if (s[j] > 0) o += s[j] / z * cache_value(a, a.v, (j * a.n_head_kv + h / group) * a.head_dim + c);
        out[(t * a.n_head + h) * a.head_dim + c] = static_cast<float>(o);
      }
    }
}

TEST_P(OpsTest, AttentionGqaCausalWindowSoftcap) {
  ThreadPool pool(2);
  for (const auto& [head_dim, kv_type] : {std::pair{int64_t{64}, KvType::kF16}, std::pair{int64_t{36}, KvType::kF16},
                                          std::pair{int64_t{64}, KvType::kF32}, std::pair{int64_t{36}, KvType::kF32}}) {
    for (int32_t window : {0, 5}) {
      for (float cap : {0.f, 20.f}) {
        AttentionArgs a;
        a.kv_type = kv_type;
        a.n_tokens = 7, a.n_kv = 23, a.n_head = 4, a.n_head_kv = 2, a.head_dim = head_dim;
        a.scale = 1.f / std::sqrt(float(head_dim)), a.softcap = cap, a.window = window;
        const auto q = gaussian(a.n_tokens * a.n_head * head_dim, 1);
        const auto kf = gaussian(a.n_kv * a.n_head_kv * head_dim, 2), vf = gaussian(a.n_kv * a.n_head_kv * head_dim, 3);
        std::vector<uint16_t> k(kf.size()), v(vf.size());
        for (size_t i = 0; i < kf.size(); ++i) k[i] = f2h(kf[i]), v[i] = f2h(vf[i]);
        std::vector<int32_t> kv_pos(a.n_kv), q_pos(a.n_tokens);
        std::iota(kv_pos.begin(), kv_pos.end(), 0);
        kv_pos[20] = kv_pos[21] = kv_pos[22] = -1;  // empty cells
        for (int64_t t = 0; t < a.n_tokens; ++t) q_pos[t] = static_cast<int32_t>(13 + t);
        if (kv_type == KvType::kF32)
          a.k = kf.data(), a.v = vf.data();
        else
          a.k = k.data(), a.v = v.data();
        a.q = q.data(), a.kv_pos = kv_pos.data(), a.q_pos = q_pos.data();
        std::vector<float> got(q.size()), want(q.size());
        a.out = got.data();
        attention(a, &pool, GetParam().ops);
        naive_attention(a, want);
        expect_close(got.data(), want.data(), got.size(), 1e-5, "attention", head_dim);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, OpsTest, ::testing::ValuesIn(all_ops_kernels().begin(), all_ops_kernels().end()),
                         [](const auto& param_info) { return std::string(isa_name(param_info.param.isa)); });

}  // namespace
}  // namespace corral::kernels
