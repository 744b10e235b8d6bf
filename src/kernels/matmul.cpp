// Matrix-vector and tiled matrix-matrix products over the registry's dot-product kernels.
#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "base/check.h"

namespace corral::kernels {
namespace {

struct Prepared {
  const QuantKernel* kernel;
  size_t w_row_bytes;
  size_t a_row_bytes;
  std::vector<uint8_t> act;  // N rows of the vec_dot type
};

Prepared prepare(const WeightView& w, const float* x, int64_t n_tokens, ThreadPool* pool, const QuantKernel* kernel) {
  Prepared p;
  p.kernel = kernel ? kernel : select_kernel(w.type);
  CORRAL_CHECK(p.kernel && p.kernel->vec_dot, "no dot product for {}", ggml_type_name(w.type));
  const TypeFns* fns = type_fns(w.type);
  const QuantKernel* act = select_kernel(fns->vec_dot_type);
  const auto w_row = ggml_row_bytes(w.type, w.cols), a_row = ggml_row_bytes(fns->vec_dot_type, w.cols);
  CORRAL_CHECK(w_row && a_row, "{} columns are not whole blocks of {}", w.cols, ggml_type_name(w.type));
  p.w_row_bytes = *w_row;
  p.a_row_bytes = *a_row;
  // Zero rows pad a small batch to whole groups of four for vec_dot4 (see dot_tokens).
  p.act.resize(p.a_row_bytes * (n_tokens == 1 ? 1 : (n_tokens + 3) / 4 * 4));
  auto quantize = [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) act->from_float_act(x + t * w.cols, p.act.data() + t * p.a_row_bytes, w.cols);
  };
  if (pool && n_tokens > 1)
    pool->parallel_for(0, n_tokens, 8, quantize);
  else
    quantize(0, n_tokens);
  return p;
}

// Small-batch path (decode of a few slots): y rows [t0, t1) of weight row r. vec_dot4 unpacks
// each weight block once for four tokens, so four slots cost far less than four single dots;
// a last partial group runs on the zero rows that pad the activations, and only real tokens
// are stored. Every output still equals one vec_dot (the registry's contract for vec_dot4).
void dot_tokens(const Prepared& p, int64_t cols, const uint8_t* wr, int64_t r, int64_t rows, int64_t t0, int64_t t1,
                float* y) {
  int64_t t = t0;
  if (p.kernel->vec_dot4)
    for (; t < t1; t += 4) {
      float out[4];
      p.kernel->vec_dot4(cols, wr, p.act.data() + t * p.a_row_bytes, p.a_row_bytes, out);
      for (int64_t k = 0; k < 4 && t + k < t1; ++k) y[(t + k) * rows + r] = out[k];
    }
  for (; t < t1; ++t) y[t * rows + r] = p.kernel->vec_dot(cols, wr, p.act.data() + t * p.a_row_bytes);
}

}  // namespace

void matvec(const WeightView& w, const float* x, float* y, ThreadPool* pool, const QuantKernel* kernel) {
  const Prepared p = prepare(w, x, 1, pool, kernel);
  const auto* wd = static_cast<const uint8_t*>(w.data);
  const VecDotFn dot = p.kernel->vec_dot;
  // Chunks of whole cache lines of y, so that no two threads write the same line.
  auto rows = [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) y[r] = dot(w.cols, wd + r * p.w_row_bytes, p.act.data());
  };
  if (pool)
    pool->parallel_for(0, w.rows, 64, rows);
  else
    rows(0, w.rows);
}

void matmul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool,
            const QuantKernel* kernel) {
  if (n_tokens == 1) return matvec(w, x, y, pool, kernel);
  const Prepared p = prepare(w, x, n_tokens, pool, kernel);
  const auto* wd = static_cast<const uint8_t*>(w.data);
  const VecDotTileFn dot_tile = p.kernel->vec_dot_tile;
  const int64_t n_row_tiles = (w.rows + kTileRows - 1) / kTileRows;
  static_assert(kTileRows <= kMaxTileRows);
  // Token blocks outermost keep one block of activations in L2 while the threads share out the
  // weight-row tiles. With vec_dot_tile, kTileTokens tokens' activation blocks stay in L1 while all the
  // tile's rows use them; with vec_dot4, each weight row stays in L1 across the block's tokens
  // and is unpacked once per four tokens.
  auto rows_by_four = [&](int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
    int64_t t = t0;
    for (; t + kTileTokens <= t1; t += kTileTokens) {
      float out[kTileTokens * kMaxTileRows];
      dot_tile(w.cols, wd + r0 * p.w_row_bytes, p.w_row_bytes, static_cast<int>(r1 - r0),
               p.act.data() + t * p.a_row_bytes, p.a_row_bytes, out);
      for (int64_t r = r0; r < r1; ++r)
        for (int k = 0; k < kTileTokens; ++k) y[(t + k) * w.rows + r] = out[kTileTokens * (r - r0) + k];
    }
    if (t < t1)
      for (int64_t r = r0; r < r1; ++r) dot_tokens(p, w.cols, wd + r * p.w_row_bytes, r, w.rows, t, t1, y);
  };
  auto row_by_row = [&](int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
    for (int64_t r = r0; r < r1; ++r) dot_tokens(p, w.cols, wd + r * p.w_row_bytes, r, w.rows, t0, t1, y);
  };
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kBlockTokens) {
    const int64_t t1 = std::min(n_tokens, t0 + kBlockTokens);
    auto tiles = [&](size_t b, size_t e) {
      for (size_t tile = b; tile < e; ++tile) {
        const int64_t r0 = static_cast<int64_t>(tile) * kTileRows, r1 = std::min(w.rows, r0 + kTileRows);
        if (dot_tile)
          rows_by_four(r0, r1, t0, t1);
        else
          row_by_row(r0, r1, t0, t1);
      }
    };
    if (pool)
      pool->parallel_for(0, n_row_tiles, 4, tiles);
    else
      tiles(0, n_row_tiles);
  }
}

}  // namespace corral::kernels
