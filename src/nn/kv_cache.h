// The KV cache: per layer and per sequence slot, F16 (default), F32 or Q8_0 rows of K and V
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

// Q8_0 cells are stored quantized and expanded to F32 for the attention kernel (which reads F16
// or F32), so Q8_0 saves memory, not time.
enum class KvCacheType { kF16, kF32, kQ8_0 };

// What the attention kernel reads for one layer and slot.
struct KvView {
  kernels::KvType type;
  const void* k;
  const void* v;
};

class KvCache {
 public:
  // cells[l] = number of cells of layer l (per slot).
  // kv_dim must be a multiple of 32 for Q8_0 (checked by the engine).
  KvCache(int64_t kv_dim, std::vector<int64_t> cells, int32_t n_slots, KvCacheType type = KvCacheType::kF16);

  // Sizes the constructor allocates, for memory planning without allocating (sched/ uses these,
  // so a plan and a loaded engine agree to the byte).
  // Bytes of one cell's K (or V) row.
  static size_t row_bytes(int64_t kv_dim, KvCacheType type);
  // K, V and positions of one layer of n_cells cells for n_slots slots.
  static size_t layer_bytes(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type);
  // The F32 scratch a Q8_0 cache expands one layer into (0 for F16/F32).
  static size_t scratch_bytes(int64_t kv_dim, int64_t max_cells, KvCacheType type);
  // Everything: the sum of layer_bytes over the layers plus scratch_bytes.
  static size_t bytes_needed(int64_t kv_dim, const std::vector<int64_t>& cells, int32_t n_slots, KvCacheType type);

  int64_t n_layer() const { return static_cast<int64_t>(layers_.size()); }
  int32_t n_slots() const { return n_slots_; }
  int64_t kv_dim() const { return kv_dim_; }
  KvCacheType type() const { return type_; }
  int64_t cells(int64_t layer) const { return layers_[layer].n_cells; }

  // The first n_cells cells of a layer and slot, in a type the attention kernel reads (Q8_0 is
  // expanded into a scratch buffer that stays valid until the next view()).
  KvView view(int64_t layer, int32_t slot, int64_t n_cells);
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

  // Bytes held (layers and scratch); equals bytes_needed() of the constructor's arguments.
  size_t bytes() const;

 private:
  struct Layer {
    int64_t n_cells = 0;
    std::vector<uint8_t> k, v;  // [n_slots][n_cells][kv_dim] elements of the cache type
    std::vector<int32_t> pos;   // [n_slots][n_cells]
  };
  int64_t kv_dim_;
  int32_t n_slots_;
  uint8_t* k(int64_t layer, int32_t slot);
  uint8_t* v(int64_t layer, int32_t slot);

  KvCacheType type_;
  size_t row_bytes_;                          // bytes of one cell's K (or V) row
  std::vector<float> scratch_k_, scratch_v_;  // Q8_0 expanded to F32
  std::vector<Layer> layers_;
};

}  // namespace corral::nn
