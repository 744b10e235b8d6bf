// KV cache storage and cell bookkeeping.
#include "nn/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "tensor/fp16.h"

namespace corral::nn {

KvCache::KvCache(int64_t kv_dim, std::vector<int64_t> cells, int32_t n_slots, kernels::KvType type)
    : kv_dim_(kv_dim), n_slots_(n_slots), type_(type), elem_(type == kernels::KvType::kF32 ? 4 : 2) {
  layers_.resize(cells.size());
  for (size_t l = 0; l < cells.size(); ++l) {
    Layer& layer = layers_[l];
    layer.n_cells = cells[l];
    const size_t n = static_cast<size_t>(n_slots) * cells[l];
    layer.k.assign(n * kv_dim * elem_, 0);
    layer.v.assign(n * kv_dim * elem_, 0);
    layer.pos.assign(n, -1);
  }
}

void* KvCache::k(int64_t layer, int32_t slot) {
  Layer& l = layers_[layer];
  return l.k.data() + static_cast<size_t>(slot) * l.n_cells * kv_dim_ * elem_;
}

void* KvCache::v(int64_t layer, int32_t slot) {
  Layer& l = layers_[layer];
  return l.v.data() + static_cast<size_t>(slot) * l.n_cells * kv_dim_ * elem_;
}

int32_t* KvCache::pos(int64_t layer, int32_t slot) {
  Layer& l = layers_[layer];
  return l.pos.data() + static_cast<size_t>(slot) * l.n_cells;
}

void KvCache::store(int64_t layer, int32_t slot, const float* k, const float* v, const int32_t* pos, int64_t n) {
  CORRAL_CHECK(slot >= 0 && slot < n_slots_, "slot {} out of range", slot);
  const int64_t n_cells = layers_[layer].n_cells;
  int32_t* pd = this->pos(layer, slot);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t cell = pos[t] % n_cells;
    if (type_ == kernels::KvType::kF32) {
      std::memcpy(static_cast<float*>(this->k(layer, slot)) + cell * kv_dim_, k + t * kv_dim_, kv_dim_ * sizeof(float));
      std::memcpy(static_cast<float*>(this->v(layer, slot)) + cell * kv_dim_, v + t * kv_dim_, kv_dim_ * sizeof(float));
    } else {
      uint16_t* kd = static_cast<uint16_t*>(this->k(layer, slot)) + cell * kv_dim_;
      uint16_t* vd = static_cast<uint16_t*>(this->v(layer, slot)) + cell * kv_dim_;
      for (int64_t i = 0; i < kv_dim_; ++i) {
        kd[i] = f2h(k[t * kv_dim_ + i]);
        vd[i] = f2h(v[t * kv_dim_ + i]);
      }
    }
    pd[cell] = pos[t];
  }
}

int64_t KvCache::cells_to_visit(int64_t layer, int32_t max_pos) const {
  return std::min<int64_t>(layers_[layer].n_cells, static_cast<int64_t>(max_pos) + 1);
}

void KvCache::forget_from(int32_t slot, int32_t from) {
  for (int64_t l = 0; l < n_layer(); ++l) {
    int32_t* p = pos(l, slot);
    for (int64_t c = 0; c < layers_[l].n_cells; ++c)
      if (p[c] >= from) p[c] = -1;
  }
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
  for (const Layer& l : layers_) total += l.k.size() + l.v.size() + l.pos.size() * sizeof(int32_t);
  return total;
}

}  // namespace corral::nn
