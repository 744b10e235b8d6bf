// Scalar reference versions of the row ops (the executable spec of ops.h; formulas from
// engine-spec §5.2). SIMD versions are tested against these.
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/ops.h"
#include "tensor/dot_lanes.h"
#include "tensor/fp16.h"

namespace corral::kernels {

float vexpf_scalar(float x) {
  const float z = std::fma(x, 0x1.715476p+0f, 0x1.8p23f);
  const float n = z - 0x1.8p23f;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const uint32_t e = std::bit_cast<uint32_t>(z) << 23;
  const float k = std::bit_cast<float>(e + std::bit_cast<uint32_t>(1.0f));
  const float u = b * b;
  const float j =
      std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
               0x1.ffffecp-1f * b);
  if (std::fabs(n) <= 126) return std::fma(j, k, k);
  const uint32_t g = n <= 0 ? 0x82000000u : 0u;
  const float s1 = std::bit_cast<float>(g + 0x7f000000u);
  const float s2 = std::bit_cast<float>(e - g);
  return std::fabs(n) > 192 ? s1 * s1 : std::fma(s2, j, s2) * s1;
}

const uint16_t* gelu_f16_table() {
  static const std::vector<uint16_t> table = [] {
    constexpr float kSqrt2OverPi = 0.79788456080286535588f;
    std::vector<uint16_t> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) {
      const float v = h2f(static_cast<uint16_t>(h));
      t[h] = f2h(0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * v * (1.0f + 0.044715f * v * v))));
    }
    return t;
  }();
  return table.data();
}

float gelu_tanh_f16(float g) {
  if (g <= -10.f) return 0.f;
  if (g >= 10.f) return g;
  return h2f(gelu_f16_table()[f2h(g)]);
}

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

// exp through vexpf in blocks of 8 (libm for the rest); the sum is a double of each block's f32
// hsum8, as llama.cpp's AVX2 softmax (engine-spec §5.2).
void softmax(float* x, int64_t n, float scale, float softcap) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] * scale;
    if (softcap > 0) v = softcap * std::tanh(v / softcap);
    x[i] = v;
    max = std::max(max, v);
  }
  double sum = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) x[i + k] = vexpf_scalar(x[i + k] - max);
    sum += ref::hsum8(x + i);
  }
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (i = 0; i < n; ++i) x[i] *= inv;
}

// silu(g) = g / (1 + exp(-g)): vexpf below n - n % 8, libm for the rest (§5.2 SwiGLU).
void silu_mul(const float* g, const float* u, float* y, int64_t n) {
  const int64_t n8 = n - n % 8;
  for (int64_t i = 0; i < n; ++i) {
    const float e = i < n8 ? vexpf_scalar(0.f - g[i]) : std::exp(-g[i]);
    y[i] = g[i] / (1.0f + e) * u[i];
  }
}

// GELU (tanh form) through the f16 table, as llama.cpp computes it (§5.2).
void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_tanh_f16(g[i]) * u[i];
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
template <typename T>
void attend_typed(const AttendArgs& a) {
  auto load = [](T v) { return std::is_same_v<T, float> ? static_cast<float>(v) : h2f(static_cast<uint16_t>(v)); };
  std::vector<float> acc(a.head_dim, 0.f);
  float m = -std::numeric_limits<float>::infinity();
  float l = 0.f;
  for (int64_t j = 0; j < a.n_kv; ++j) {
    const int32_t pj = a.kv_pos[j];
    if (pj < 0 || pj > a.q_pos || (a.window > 0 && a.q_pos - pj >= a.window)) continue;
    const T* k = static_cast<const T*>(a.k) + j * a.kv_stride;
    const T* v = static_cast<const T*>(a.v) + j * a.kv_stride;
    float s = 0;
    for (int64_t d = 0; d < a.head_dim; ++d) s += a.q[d] * load(k[d]);
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
    for (int64_t d = 0; d < a.head_dim; ++d) acc[d] += p * load(v[d]);
  }
  const float inv = l > 0 ? 1.f / l : 0.f;
  for (int64_t d = 0; d < a.head_dim; ++d) a.out[d] = acc[d] * inv;
}

void attend(const AttendArgs& a) {
  if (a.kv_type == KvType::kF32)
    attend_typed<float>(a);
  else
    attend_typed<uint16_t>(a);
}

constexpr OpsTable kScalarOps = {rms_norm,      layer_norm,   rope, softmax, silu_mul,
                                 gelu_tanh_mul, gelu_erf_mul, add,  mul,     attend};

}  // namespace

const OpsTable& scalar_ops() {
  return kScalarOps;
}

}  // namespace corral::kernels
