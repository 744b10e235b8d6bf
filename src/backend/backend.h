// The device interface: the operations a forward pass needs, on activations the caller owns.
// Activations are row-major f32 ([n_rows][n] with rows back to back unless a stride is given);
// weights are borrowed views (weight.h). The CPU backend (cpu/) runs them on kernels/ and a
// ThreadPool; a GPU backend would implement the same calls on device buffers.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/weight.h"
#include "kernels/attention.h"
#include "kernels/ops.h"

namespace corral {

class ThreadPool;

enum class GatedActivation { kSilu, kGeluTanh };

class Backend {
 public:
  virtual ~Backend() = default;

  // y[n][w.rows] = x[n][w.cols] . W^T
  virtual void matmul(const Weight& w, const float* x, int64_t n, float* y) = 0;
  // y[n][w.cols] = rows ids[0..n) of W, dequantized (embedding lookup).
  virtual void get_rows(const Weight& w, const int32_t* ids, int64_t n, float* y) = 0;
  // Each of n_rows rows of `dim` (x and y row strides given) RMS-normalised, times w if not null.
  virtual void rms_norm(const float* x, int64_t x_stride, const float* w, float* y, int64_t y_stride, int64_t n_rows,
                        int64_t dim, float eps) = 0;
  // x[n_tokens][n_head][head_dim] (token rows contiguous), token t at position pos[t].
  virtual void rope(float* x, int64_t n_tokens, int64_t n_head, int64_t head_dim, const int32_t* pos,
                    const kernels::RopeParams& params) = 0;
  virtual void attention(const kernels::AttentionArgs& args) = 0;
  // y[r][0..n) = act(g[r]) * u[r] for n_rows rows; g and u rows are `in_stride` apart.
  virtual void gated(GatedActivation act, const float* g, const float* u, int64_t in_stride, float* y, int64_t n_rows,
                     int64_t n) = 0;
  // y = a + b over n elements.
  virtual void add(const float* a, const float* b, float* y, int64_t n) = 0;
  // x[r] += b for each of n_rows rows of n (bias).
  virtual void add_row(float* x, const float* b, int64_t n_rows, int64_t n) = 0;
  // x *= s over n elements.
  virtual void scale(float* x, float s, int64_t n) = 0;
  // x = cap * tanh(x / cap) over n elements.
  virtual void softcap(float* x, float cap, int64_t n) = 0;

  virtual ThreadPool* pool() = 0;
};

// The CPU backend over a pool of n_threads (0 = physical cores).
std::unique_ptr<Backend> make_cpu_backend(size_t n_threads);

}  // namespace corral
