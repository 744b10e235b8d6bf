// Quantized matrix-vector and matrix-matrix products, y = W x, threaded over output rows with
// base's ThreadPool. Activations are converted once into the weight type's vec_dot type
// (engine-spec §4.1/§4.2) and every output is one dot product of the selected kernel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/thread_pool.h"
#include "kernels/registry.h"

namespace corral::kernels {

// A row-major weight matrix W[rows][cols] whose rows are stored back to back in `type`.
struct WeightView {
  GgmlType type;
  const void* data;
  int64_t rows;  // output features (M)
  int64_t cols;  // input features (K), a multiple of the type's block size
};

// y[M] = W[M][K] . x[K]. `pool` may be null (single thread). `kernel` defaults to the selected
// variant of w.type; tests and benchmarks pass a specific one from the registry.
void matvec(const WeightView& w, const float* x, float* y, ThreadPool* pool, const QuantKernel* kernel = nullptr);

// Y[N][M] = X[N][K] . W^T for N tokens. The activations are quantized once; the product is
// computed in tiles of kTileRows weight rows x kBlockTokens tokens so that a tile's weight rows
// are read from memory once and reused from cache for every token of the tile.
void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool,
            const QuantKernel* kernel = nullptr);

inline constexpr int64_t kTileRows = 16;     // 16 floats = one cache line of y per token
inline constexpr int64_t kBlockTokens = 32;  // 32 Q8_K rows of 8192 fit a 512 KiB L2

}  // namespace corral::kernels
