// The CPU backend: weights used in place (any GGUF type the kernels registry computes with),
// products through kernels::matmul, row ops through the selected OpsTable, all on one ThreadPool.
#pragma once

#include "backend/backend.h"
#include "base/thread_pool.h"

namespace corral {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(size_t n_threads);

  void matmul(const Weight& w, const float* x, int64_t n, float* y) override;
  void get_rows(const Weight& w, const int32_t* ids, int64_t n, float* y) override;
  void rms_norm(const float* x, int64_t x_stride, const float* w, float* y, int64_t y_stride, int64_t n_rows,
                int64_t dim, float eps) override;
  void rope(float* x, int64_t n_tokens, int64_t n_head, int64_t head_dim, const int32_t* pos,
            const kernels::RopeParams& params) override;
  void attention(const kernels::AttentionArgs& args) override;
  void gated(GatedActivation act, const float* g, const float* u, int64_t in_stride, float* y, int64_t n_rows,
             int64_t n) override;
  void add(const float* a, const float* b, float* y, int64_t n) override;
  void add_row(float* x, const float* b, int64_t n_rows, int64_t n) override;
  void scale(float* x, float s, int64_t n) override;
  void softcap(float* x, float cap, int64_t n) override;

  ThreadPool* pool() override { return &pool_; }

 private:
  // fn(begin, end) over rows, in parallel when there are enough of them to pay for the wake-up.
  template <typename Fn>
  void for_rows(int64_t n_rows, Fn&& fn);

  ThreadPool pool_;
  const kernels::OpsTable& ops_;
};

}  // namespace corral
