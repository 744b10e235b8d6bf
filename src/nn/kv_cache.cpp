// KV cache allocation across devices and cell bookkeeping.
#include "nn/kv_cache.h"

#include <algorithm>

namespace corral::nn {

Result<KvCache> KvCache::create(int64_t kv_dim, std::vector<int64_t> cells, int32_t n_slots, KvCacheType type,
                                std::span<Backend* const> backends) {
  KvCache c;
  c.n_slots_ = n_slots;
  c.type_ = type;
  c.backends_.assign(backends.begin(), backends.end());
  c.layers_.reserve(cells.size());
  for (size_t l = 0; l < cells.size(); ++l) {
    auto layer = backends[l]->alloc_kv_layer(kv_dim, cells[l], n_slots, type);
    if (!layer.ok()) return std::move(layer).error().with_context(fmt::format("KV cache of layer {}", l));
    c.layers_.push_back(std::move(layer).value());
  }
  return c;
}

size_t KvCache::bytes_needed(int64_t kv_dim, const std::vector<int64_t>& cells, int32_t n_slots, KvCacheType type) {
  size_t total = 0;
  for (int64_t c : cells) total += layer_bytes(kv_dim, c, n_slots, type);
  return total;
}

void KvCache::forget_from(int32_t slot, int32_t from) {
  for (size_t l = 0; l < layers_.size(); ++l) backends_[l]->kv_forget(layers_[l], slot, from);
}

int32_t KvCache::reusable_prefix(int32_t n, int32_t filled, const std::vector<int32_t>& windows) const {
  int32_t keep = std::min(n, filled);
  for (int64_t l = 0; l < n_layer(); ++l) {
    const int64_t n_cells = layers_[l].n_cells;
    if (filled <= n_cells) continue;  // nothing of this layer was overwritten
    // The ring holds positions [filled - n_cells, filled); a query at `keep` needs
    // [keep - window + 1, keep) (the cells it would overwrite itself are refilled).
    const int32_t oldest = static_cast<int32_t>(filled - n_cells);
    const int32_t window = windows.empty() ? 0 : windows[l];
    if (window == 0) return 0;  // a full layer that wrapped cannot be reused
    if (keep - window + 1 < oldest) return 0;
  }
  return keep;
}

size_t KvCache::bytes() const {
  size_t total = 0;
  for (const KvLayer& l : layers_) total += l.storage->size();
  return total;
}

}  // namespace corral::nn
