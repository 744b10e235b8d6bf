// The KV cache: one KvLayer per model layer, each on the backend of its layer's device (see
// backend.h for the cell layout), and the host-side rules about which cached prefix can be reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "base/result.h"

namespace corral::nn {

using corral::KvCacheType;

class KvCache {
 public:
  KvCache() = default;
  // cells[l] = number of cells of layer l (per slot); layer l lives on backends[l].
  // kv_dim must be a multiple of 32 for Q8_0 (checked by the engine).
  static Result<KvCache> create(int64_t kv_dim, std::vector<int64_t> cells, int32_t n_slots, KvCacheType type,
                                std::span<Backend* const> backends);

  // Bytes of one layer's K, V and positions (sched/ plans with this, so a plan and a loaded engine
  // agree to the byte). A backend may add scratch of its own (CpuBackend::kv_scratch_bytes).
  static size_t layer_bytes(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) {
    return KvLayer::bytes(kv_dim, n_cells, n_slots, type);
  }
  // The sum of layer_bytes over the layers.
  static size_t bytes_needed(int64_t kv_dim, const std::vector<int64_t>& cells, int32_t n_slots, KvCacheType type);

  int64_t n_layer() const { return static_cast<int64_t>(layers_.size()); }
  int32_t n_slots() const { return n_slots_; }
  KvCacheType type() const { return type_; }
  int64_t cells(int64_t layer) const { return layers_[layer].n_cells; }
  const KvLayer& layer(int64_t il) const { return layers_[il]; }

  // Forgets every position >= from in the slot (from = 0 empties it), on every layer's device.
  void forget_from(int32_t slot, int32_t from);
  // How much of a prefix of n positions can be reused from a slot filled up to `filled` positions:
  // min(n, filled), or 0 when a ring layer has already overwritten cells a query at n needs.
  int32_t reusable_prefix(int32_t n, int32_t filled, const std::vector<int32_t>& windows) const;

  // Bytes of the layers (their backends' scratch not included).
  size_t bytes() const;

 private:
  int32_t n_slots_ = 0;
  KvCacheType type_ = KvCacheType::kF16;
  std::vector<KvLayer> layers_;
  std::vector<Backend*> backends_;
};

}  // namespace corral::nn
