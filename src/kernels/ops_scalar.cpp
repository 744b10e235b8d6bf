// Scalar reference versions of the row ops (the executable spec of ops.h; formulas from
// engine-spec §5.2). SIMD versions are tested against these.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.h"
#include "tensor/fp16.h"

namespace corral::kernels {
namespace {

void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = w ? (x[i] * scale) * w[i] : x[i] * scale;
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum / n);
  double var = 0.0;
  for (int64_t i = 0; i < n; ++i) var += static_cast<double>((x[i] - mean) * (x[i] - mean));
  const float scale = 1.0f / std::sqrt(static_cast<float>(var / n) + eps);
  for (int64_t i = 0; i < n; ++i) {
    float v = (x[i] - mean) * scale;
    if (w) v = v * w[i];
    if (b) v = v + b[i];
    y[i] = v;
  }
}

// theta advances by an f32 product per pair (not powf per pair), as llama.cpp does.
void rope(float* x, int64_t n_head, int64_t head_dim, int64_t pos, const RopeParams& p) {
  const int64_t half = p.n_rot / 2;
  std::vector<float> c(half), s(half);
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < half; ++i) {
    const float t = p.freq_scale * (p.freq_factors ? theta / p.freq_factors[i] : theta);
    c[i] = std::cos(t) * p.attn_factor;
    s[i] = std::sin(t) * p.attn_factor;
    theta *= theta_scale;
  }
  for (int64_t h = 0; h < n_head; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      float& x0 = p.neox ? v[i] : v[2 * i];
      float& x1 = p.neox ? v[i + half] : v[2 * i + 1];
      const float a = x0, b = x1;
      x0 = std::fma(a, c[i], -(b * s[i]));
      x1 = std::fma(a, s[i], b * c[i]);
    }
  }
}

void softmax(float* x, int64_t n, float scale, float softcap) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] * scale;
    if (softcap > 0) v = softcap * std::tanh(v / softcap);
    x[i] = v;
    max = std::max(max, v);
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(const float* g, const float* u, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n) {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = g[i];
    y[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + 0.044715f * v * v))) * u[i];
  }
}

void gelu_erf_mul(const float* g, const float* u, float* y, int64_t n) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * g[i] * (1.0f + std::erf(g[i] * kInvSqrt2)) * u[i];
}

void add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
void mul(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

// Online softmax: a running max m, running sum l and running weighted sum acc, rescaled by
// exp(m_old - m_new) whenever the max grows.
void attend(const AttendArgs& a) {
  std::vector<float> acc(a.head_dim, 0.f);
  float m = -std::numeric_limits<float>::infinity();
  float l = 0.f;
  for (int64_t j = 0; j < a.n_kv; ++j) {
    const int32_t pj = a.kv_pos[j];
    if (pj < 0 || pj > a.q_pos || (a.window > 0 && a.q_pos - pj >= a.window)) continue;
    const uint16_t* k = a.k + j * a.kv_stride;
    const uint16_t* v = a.v + j * a.kv_stride;
    float s = 0;
    for (int64_t d = 0; d < a.head_dim; ++d) s += a.q[d] * h2f(k[d]);
    s *= a.scale;
    if (a.softcap > 0) s = a.softcap * std::tanh(s / a.softcap);
    if (s > m) {
      const float corr = std::exp(m - s);  // 0 for the first visible cell
      for (float& x : acc) x *= corr;
      l *= corr;
      m = s;
    }
    const float p = std::exp(s - m);
    l += p;
    for (int64_t d = 0; d < a.head_dim; ++d) acc[d] += p * h2f(v[d]);
  }
  const float inv = l > 0 ? 1.f / l : 0.f;
  for (int64_t d = 0; d < a.head_dim; ++d) a.out[d] = acc[d] * inv;
}

constexpr OpsTable kScalarOps = {rms_norm,      layer_norm,   rope, softmax, silu_mul,
                                 gelu_tanh_mul, gelu_erf_mul, add,  mul,     attend};

}  // namespace

const OpsTable& scalar_ops() {
  return kScalarOps;
}

}  // namespace corral::kernels
