// CPU backend: thin loops over the kernels registry; the only threading decisions of the
// forward pass (which op splits over which rows) are made here.
#include "backend/cpu/cpu_backend.h"

#include <cmath>

#include "base/check.h"
#include "kernels/matmul.h"
#include "kernels/registry.h"

namespace corral {

CpuBackend::CpuBackend(size_t n_threads) : pool_(n_threads), ops_(kernels::select_ops()) {}

template <typename Fn>
void CpuBackend::for_rows(int64_t n_rows, Fn&& fn) {
  if (n_rows >= 8 && pool_.size() > 1)
    pool_.parallel_for(0, static_cast<size_t>(n_rows), 4,
                       [&](size_t b, size_t e) { fn(static_cast<int64_t>(b), static_cast<int64_t>(e)); });
  else
    fn(0, n_rows);
}

void CpuBackend::matmul(const Weight& w, const float* x, int64_t n, float* y) {
  const kernels::WeightView view{w.type, w.data, w.rows, w.cols};
  kernels::matmul(view, x, n, y, &pool_);
}

void CpuBackend::get_rows(const Weight& w, const int32_t* ids, int64_t n, float* y) {
  const kernels::QuantKernel* k = kernels::select_kernel(w.type);
  CORRAL_CHECK(k && k->to_float, "no dequantizer for {}", ggml_type_name(w.type));
  const size_t row_bytes = *ggml_row_bytes(w.type, w.cols);
  for (int64_t t = 0; t < n; ++t) {
    CORRAL_CHECK(ids[t] >= 0 && ids[t] < w.rows, "token id {} out of range", ids[t]);
    k->to_float(static_cast<const uint8_t*>(w.data) + static_cast<size_t>(ids[t]) * row_bytes, y + t * w.cols, w.cols);
  }
}

void CpuBackend::rms_norm(const float* x, int64_t x_stride, const float* w, float* y, int64_t y_stride, int64_t n_rows,
                          int64_t dim, float eps) {
  for_rows(n_rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) ops_.rms_norm(x + r * x_stride, w, y + r * y_stride, dim, eps);
  });
}

void CpuBackend::rope(float* x, int64_t n_tokens, int64_t n_head, int64_t head_dim, const int32_t* pos,
                      const kernels::RopeParams& params) {
  for_rows(n_tokens, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) ops_.rope(x + t * n_head * head_dim, n_head, head_dim, pos[t], params);
  });
}

void CpuBackend::attention(const kernels::AttentionArgs& args) {
  kernels::attention(args, &pool_, &ops_);
}

void CpuBackend::gated(GatedActivation act, const float* g, const float* u, int64_t in_stride, float* y, int64_t n_rows,
                       int64_t n) {
  const auto fn = act == GatedActivation::kSilu ? ops_.silu_mul : ops_.gelu_tanh_mul;
  for_rows(n_rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) fn(g + r * in_stride, u + r * in_stride, y + r * n, n);
  });
}

void CpuBackend::add(const float* a, const float* b, float* y, int64_t n) {
  ops_.add(a, b, y, n);
}

void CpuBackend::add_row(float* x, const float* b, int64_t n_rows, int64_t n) {
  for (int64_t r = 0; r < n_rows; ++r) ops_.add(x + r * n, b, x + r * n, n);
}

void CpuBackend::scale(float* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void CpuBackend::softcap(float* x, float cap, int64_t n) {
  const float inv = 1.0f / cap;
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

}  // namespace corral
