// AVX2 versions of the row ops. Results agree with ops_scalar.cpp within the tolerances stated in
// tests/kernels/ops_test.cpp (the exp here is the 8-lane vexpf of engine-spec §5.2, libm's in the
// reference). RoPE's coefficients and erf-GELU stay scalar: they are cheap or need libm.
#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "kernels/avx2/avx2_kernels.h"
#include "kernels/avx2/avx2_util.h"

namespace corral::kernels::avx2 {
namespace {

inline __m256 abs_ps(__m256 v) {
  return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

// exp(x) for 8 lanes (engine-spec §5.2 "vexpf"): 2^n * p(b) with a degree-5 polynomial.
inline __m256 vexpf(__m256 x) {
  const __m256 r = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
  const __m256 n = _mm256_sub_ps(z, r);
  const __m256 b =
      _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
  const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1.f))));
  const __m256i c = _mm256_castps_si256(_mm256_cmp_ps(abs_ps(n), _mm256_set1_ps(126), _CMP_GT_OQ));
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 j = _mm256_fmadd_ps(
      _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                      _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
      u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
  const __m256 normal = _mm256_fmadd_ps(j, k, k);
  if (_mm256_testz_si256(c, c)) return normal;
  const __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                     _mm256_set1_epi32(static_cast<int>(0x82000000u)));
  const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
  const __m256 d = _mm256_cmp_ps(abs_ps(n), _mm256_set1_ps(192), _CMP_GT_OQ);
  const __m256 big = _mm256_blendv_ps(_mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1), _mm256_mul_ps(s1, s1), d);
  return _mm256_blendv_ps(normal, big, _mm256_castsi256_ps(c));
}

// The sum of squares stays a sequential double sum, as in llama.cpp (a vectorised double sum
// would change its last bits); only the scaling is vectorised.
void rms_norm(const float* x, const float* w, float* y, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  int64_t i;
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), vs);
    if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
    _mm256_storeu_ps(y + i, v);
  }
  for (; i < n; ++i) y[i] = w ? (x[i] * scale) * w[i] : x[i] * scale;
}

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum / n);
  const __m256 vm = _mm256_set1_ps(mean);
  __m256d acc = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
    const __m256 sq = _mm256_mul_ps(d, d);
    acc = _mm256_add_pd(
        acc, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(sq)), _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1))));
  }
  alignas(32) double t[4];
  _mm256_store_pd(t, acc);
  double var = (t[0] + t[1]) + (t[2] + t[3]);
  for (; i < n; ++i) var += static_cast<double>((x[i] - mean) * (x[i] - mean));
  const float scale = 1.0f / std::sqrt(static_cast<float>(var / n) + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vs);
    if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
    if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b + i));
    _mm256_storeu_ps(y + i, v);
  }
  for (; i < n; ++i) {
    float v = (x[i] - mean) * scale;
    if (w) v = v * w[i];
    if (b) v = v + b[i];
    y[i] = v;
  }
}

// Coefficients as the reference (scalar libm cos/sin); the rotation 4 (normal) or 8 (NeoX) pairs
// at a time, in the reference's fused form.
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
    int64_t i = 0;
    if (!p.neox) {
      // Interleaved pairs (x0, x1): four pairs per vector, with cos/sin duplicated per pair.
      for (; i + 4 <= half; i += 4) {
        const __m256 a = _mm256_loadu_ps(v + 2 * i);
        const __m256 b = _mm256_permute_ps(a, 0xB1);  // (x1, x0)
        const __m128 c4 = _mm_loadu_ps(c.data() + i), s4 = _mm_loadu_ps(s.data() + i);
        const __m256 vc = _mm256_set_m128(_mm_unpackhi_ps(c4, c4), _mm_unpacklo_ps(c4, c4));
        const __m256 vs = _mm256_set_m128(_mm_unpackhi_ps(s4, s4), _mm_unpacklo_ps(s4, s4));
        const __m256 even = _mm256_fmsub_ps(a, vc, _mm256_mul_ps(b, vs));  // fma(x0, c, -(x1 s))
        const __m256 odd = _mm256_fmadd_ps(b, vs, _mm256_mul_ps(a, vc));   // fma(x0, s, x1 c)
        _mm256_storeu_ps(v + 2 * i, _mm256_blend_ps(even, odd, 0xAA));
      }
    } else {
      for (; i + 8 <= half; i += 8) {
        const __m256 a = _mm256_loadu_ps(v + i), b = _mm256_loadu_ps(v + i + half);
        const __m256 vc = _mm256_loadu_ps(c.data() + i), vs = _mm256_loadu_ps(s.data() + i);
        _mm256_storeu_ps(v + i, _mm256_fmsub_ps(a, vc, _mm256_mul_ps(b, vs)));
        _mm256_storeu_ps(v + i + half, _mm256_fmadd_ps(a, vs, _mm256_mul_ps(b, vc)));
      }
    }
    for (; i < half; ++i) {
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
  const __m256 vmax = _mm256_set1_ps(max);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = vexpf(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(x + i, e);
    sum += hsum8(e);
  }
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; ++i) x[i] *= static_cast<float>(1.0 / sum);  // same f32 factor as the vector part
}

void silu_mul(const float* g, const float* u, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(g + i);
    const __m256 silu =
        _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.f), vexpf(_mm256_sub_ps(_mm256_setzero_ps(), v))));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

// The table lookup itself is scalar (no byte gathers in AVX2); the conversions are not.
void gelu_tanh_mul(const float* g, const float* u, float* y, int64_t n) {
  const uint16_t* table = gelu_f16_table();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(g + i);
    alignas(16) uint16_t h[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(h), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    for (uint16_t& e : h) e = table[e];
    __m256 r = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
    r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, _mm256_set1_ps(10.f), _CMP_GE_OQ));
    r = _mm256_andnot_ps(_mm256_cmp_ps(v, _mm256_set1_ps(-10.f), _CMP_LE_OQ), r);
    _mm256_storeu_ps(y + i, _mm256_mul_ps(r, _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) y[i] = gelu_tanh_f16(g[i]) * u[i];
}

void gelu_erf_mul(const float* g, const float* u, float* y, int64_t n) {
  scalar_ops().gelu_erf_mul(g, u, y, n);
}

void add(const float* a, const float* b, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  for (; i < n; ++i) y[i] = a[i] + b[i];
}
void mul(const float* a, const float* b, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  for (; i < n; ++i) y[i] = a[i] * b[i];
}

// Online-softmax attention for one query row and one KV head (see AttendArgs).
struct KvF16 {
  using T = uint16_t;
  static __m256 load8(const T* p) { return _mm256_cvtph_ps(load128(p)); }
  static float load1(T v) { return _cvtsh_ss(v); }
};
struct KvF32 {
  using T = float;
  static __m256 load8(const T* p) { return _mm256_loadu_ps(p); }
  static float load1(T v) { return v; }
};

// Scores in blocks of eight cells: one max, one rescale of the accumulator and one 8-lane exp per
// block instead of a libm exp per cell. Masked cells get p = 0.
template <typename Kv>
void attend_typed(const AttendArgs& a) {
  using T = typename Kv::T;
  const int64_t hd = a.head_dim, hd8 = hd - hd % 8;
  // Called per head and query row: no heap allocation for the usual head sizes.
  std::array<float, 512> acc_small;
  std::vector<float> acc_large;
  std::span<float> acc = hd <= 512 ? std::span<float>(acc_small.data(), hd) : (acc_large.resize(hd), acc_large);
  std::fill(acc.begin(), acc.end(), 0.f);
  float m = -std::numeric_limits<float>::infinity(), l = 0.f;
  auto visible = [&](int64_t j) {
    const int32_t pj = a.kv_pos[j];
    return !(pj < 0 || pj > a.q_pos || (a.window > 0 && a.q_pos - pj >= a.window));
  };
  auto score = [&](int64_t j) {
    const T* k = static_cast<const T*>(a.k) + j * a.kv_stride;
    __m256 sv = _mm256_setzero_ps();
    for (int64_t d = 0; d < hd8; d += 8) sv = _mm256_fmadd_ps(_mm256_loadu_ps(a.q + d), Kv::load8(k + d), sv);
    float s = hsum8(sv);
    for (int64_t d = hd8; d < hd; ++d) s += a.q[d] * Kv::load1(k[d]);
    s *= a.scale;
    if (a.softcap > 0) s = a.softcap * std::tanh(s / a.softcap);
    return s;
  };
  for (int64_t j0 = 0; j0 < a.n_kv; j0 += 8) {
    alignas(32) float s[8];
    alignas(32) int32_t valid[8];
    float block_max = -std::numeric_limits<float>::infinity();
    bool any = false;
    for (int u = 0; u < 8; ++u) {
      const int64_t j = j0 + u;
      valid[u] = j < a.n_kv && visible(j) ? -1 : 0;
      s[u] = valid[u] ? score(j) : -std::numeric_limits<float>::max();
      if (valid[u]) block_max = std::max(block_max, s[u]), any = true;
    }
    if (!any) continue;
    if (block_max > m) {
      const float corr = std::exp(m - block_max);
      const __m256 vc = _mm256_set1_ps(corr);
      for (int64_t d = 0; d < hd8; d += 8)
        _mm256_storeu_ps(acc.data() + d, _mm256_mul_ps(_mm256_loadu_ps(acc.data() + d), vc));
      for (int64_t d = hd8; d < hd; ++d) acc[d] *= corr;
      l *= corr;
      m = block_max;
    }
    alignas(32) float p[8];
    const __m256 e = vexpf(_mm256_sub_ps(_mm256_load_ps(s), _mm256_set1_ps(m)));
    _mm256_store_ps(p,
                    _mm256_and_ps(e, _mm256_castsi256_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(valid)))));
    for (int u = 0; u < 8; ++u) {
      if (!valid[u]) continue;
      l += p[u];
      const T* v = static_cast<const T*>(a.v) + (j0 + u) * a.kv_stride;
      const __m256 vp = _mm256_set1_ps(p[u]);
      for (int64_t d = 0; d < hd8; d += 8)
        _mm256_storeu_ps(acc.data() + d, _mm256_fmadd_ps(vp, Kv::load8(v + d), _mm256_loadu_ps(acc.data() + d)));
      for (int64_t d = hd8; d < hd; ++d) acc[d] += p[u] * Kv::load1(v[d]);
    }
  }
  const float inv = l > 0 ? 1.f / l : 0.f;
  for (int64_t d = 0; d < hd; ++d) a.out[d] = acc[d] * inv;
}

void attend(const AttendArgs& a) {
  if (a.kv_type == KvType::kF32)
    attend_typed<KvF32>(a);
  else
    attend_typed<KvF16>(a);
}

constexpr OpsTable kOps = {rms_norm,      layer_norm,   rope, softmax, silu_mul,
                           gelu_tanh_mul, gelu_erf_mul, add,  mul,     attend};

}  // namespace

const OpsTable& ops_table() {
  return kOps;
}

}  // namespace corral::kernels::avx2
