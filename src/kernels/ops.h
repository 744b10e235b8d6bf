// The element-wise and row ops of the forward pass, as a table of function pointers per ISA
// (scalar references in ops_scalar.cpp, SIMD versions under <isa>/). Rows are contiguous f32;
// shapes are in the comments. The registry hands out the table of the best ISA.
#pragma once

#include <cstdint>

namespace corral::kernels {

struct RopeParams {
  int64_t n_rot = 0;  // rotated dimensions per head (<= head_dim, even)
  float freq_base = 10000.f;
  float freq_scale = 1.f;
  float attn_factor = 1.f;              // mscale: multiplies cos and sin
  const float* freq_factors = nullptr;  // [n_rot / 2] divisors of theta (rope_freqs.weight), or null
  bool neox = false;                    // pairs (i, i + n_rot/2) instead of (2i, 2i + 1)
};

// The element type of a KV cache: F16 (llama.cpp's default) or F32 (the fixtures' reference runs).
enum class KvType { kF16, kF32 };

// One query row against one KV head of a cache, with an online softmax over the cells (no score
// row is materialised): out = sum_j softmax_j(s_j) * V_j over the visible cells j, with
// s_j = scale * (q . K_j), optionally soft-capped: s = softcap * tanh(s / softcap).
// Cell j is visible iff kv_pos[j] <= q_pos and (window == 0 or q_pos - kv_pos[j] < window).
struct AttendArgs {
  KvType kv_type = KvType::kF16;
  const float* q = nullptr;         // [head_dim]
  const void* k = nullptr;          // cell j at element j * kv_stride, [head_dim] of kv_type
  const void* v = nullptr;          // cell j at element j * kv_stride, [head_dim] of kv_type
  int64_t kv_stride = 0;            // elements between consecutive cells
  const int32_t* kv_pos = nullptr;  // [n_kv] position held by each cell (-1: empty)
  int64_t n_kv = 0;
  int64_t head_dim = 0;
  int32_t q_pos = 0;
  int32_t window = 0;  // sliding window, 0 = none
  float scale = 1.f;
  float softcap = 0.f;   // 0 = off
  float* out = nullptr;  // [head_dim]
};

struct OpsTable {
  // y = x / sqrt(mean(x^2) + eps) * w (w may be null). Sum of squares in double (spec §5.2).
  void (*rms_norm)(const float* x, const float* w, float* y, int64_t n, float eps);
  // y = (x - mean) / sqrt(var + eps) * w + b (w, b may be null).
  void (*layer_norm)(const float* x, const float* w, const float* b, float* y, int64_t n, float eps);
  // In place on x[n_head][head_dim] for a token at position pos.
  void (*rope)(float* x, int64_t n_head, int64_t head_dim, int64_t pos, const RopeParams& p);
  // In place: x = softmax(cap(x * scale)); cap(v) = softcap * tanh(v / softcap) when softcap > 0.
  void (*softmax)(float* x, int64_t n, float scale, float softcap);
  // Gated products: y = act(g) * u. SiLU uses vexpf (libm for the last n % 8); GELU-tanh goes
  // through gelu_f16_table() (0 below -10, identity above 10), both as llama.cpp does.
  void (*silu_mul)(const float* g, const float* u, float* y, int64_t n);
  void (*gelu_tanh_mul)(const float* g, const float* u, float* y, int64_t n);
  void (*gelu_erf_mul)(const float* g, const float* u, float* y, int64_t n);
  void (*add)(const float* a, const float* b, float* y, int64_t n);
  void (*mul)(const float* a, const float* b, float* y, int64_t n);
  void (*attend)(const AttendArgs& args);
};

// The scalar reference table.
const OpsTable& scalar_ops();

// Scalar helpers shared with the SIMD tables: llama.cpp's AVX2 exp ("vexpf", engine-spec §5.2)
// for one lane, the f16 GELU table (built once, 64 Ki entries) and GELU through it.
float vexpf_scalar(float x);
const uint16_t* gelu_f16_table();
float gelu_tanh_f16(float g);

}  // namespace corral::kernels
