// The KV cache: per layer and per sequence slot, F16 (default) or F32 rows of K and V
// (n_head_kv * head_dim each)
// and the position each cell holds (-1 = empty). A position p lives in cell p % n_cells, so a
// sliding-window layer can keep only window + batch cells as a ring while full layers keep
// num_ctx cells.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/ops.h"

namespace corral::nn {

class KvCache {
 public:
  // cells[l] = number of cells of layer l (per slot).
  KvCache(int64_t kv_dim, std::vector<int64_t> cells, int32_t n_slots, kernels::KvType type = kernels::KvType::kF16);

  int64_t n_layer() const { return static_cast<int64_t>(layers_.size()); }
  int32_t n_slots() const { return n_slots_; }
  int64_t kv_dim() const { return kv_dim_; }
  kernels::KvType type() const { return type_; }
  int64_t cells(int64_t layer) const { return layers_[layer].n_cells; }

  void* k(int64_t layer, int32_t slot);
  void* v(int64_t layer, int32_t slot);
  int32_t* pos(int64_t layer, int32_t slot);

  // Copies k[n][kv_dim], v[n][kv_dim] (rounded to F16 for an F16 cache) into the cells of
  // positions pos[0..n).
  void store(int64_t layer, int32_t slot, const float* k, const float* v, const int32_t* pos, int64_t n);
  // Cells a query at positions <= max_pos has to visit (a prefix of the layer's cells).
  int64_t cells_to_visit(int64_t layer, int32_t max_pos) const;

  // Forgets every position >= from in the slot (from = 0 empties it).
  void forget_from(int32_t slot, int32_t from);
  // How much of a prefix of n positions can be reused from a slot filled up to `filled` positions:
  // min(n, filled), or 0 when a ring layer has already overwritten cells a query at n needs.
  int32_t reusable_prefix(int32_t n, int32_t filled, const std::vector<int32_t>& windows) const;

  size_t bytes() const;

 private:
  struct Layer {
    int64_t n_cells = 0;
    std::vector<uint8_t> k, v;  // [n_slots][n_cells][kv_dim] elements of the cache type
    std::vector<int32_t> pos;   // [n_slots][n_cells]
  };
  int64_t kv_dim_;
  int32_t n_slots_;
  kernels::KvType type_;
  size_t elem_;  // bytes per element
  std::vector<Layer> layers_;
};

}  // namespace corral::nn
