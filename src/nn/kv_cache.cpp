// KV cache storage and cell bookkeeping.
#include "nn/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"
#include "tensor/fp16.h"
#include "tensor/ggml_type.h"
#include "tensor/type_traits.h"

namespace corral::nn {

KvCache::KvCache(int64_t kv_dim, std::vector<int64_t> cells, int32_t n_slots, KvCacheType type)
    : kv_dim_(kv_dim), n_slots_(n_slots), type_(type), row_bytes_(row_bytes(kv_dim, type)) {
  int64_t max_cells = 0;
  layers_.resize(cells.size());
  for (size_t l = 0; l < cells.size(); ++l) {
    Layer& layer = layers_[l];
    layer.n_cells = cells[l];
    const size_t n = static_cast<size_t>(n_slots) * cells[l];
    layer.k.assign(n * row_bytes_, 0);
    layer.v.assign(n * row_bytes_, 0);
    layer.pos.assign(n, -1);
    max_cells = std::max(max_cells, cells[l]);
  }
  const size_t scratch = scratch_bytes(kv_dim, max_cells, type) / (2 * sizeof(float));
  scratch_k_.resize(scratch);
  scratch_v_.resize(scratch);
}

size_t KvCache::row_bytes(int64_t kv_dim, KvCacheType type) {
  if (type == KvCacheType::kF32) return kv_dim * sizeof(float);
  if (type == KvCacheType::kQ8_0) return *ggml_row_bytes(GgmlType::kQ8_0, kv_dim);
  return kv_dim * sizeof(uint16_t);
}

size_t KvCache::layer_bytes(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) {
  const size_t n = static_cast<size_t>(n_slots) * n_cells;
  return 2 * n * row_bytes(kv_dim, type) + n * sizeof(int32_t);
}

size_t KvCache::scratch_bytes(int64_t kv_dim, int64_t max_cells, KvCacheType type) {
  if (type != KvCacheType::kQ8_0) return 0;
  return 2 * static_cast<size_t>(max_cells) * kv_dim * sizeof(float);
}

size_t KvCache::bytes_needed(int64_t kv_dim, const std::vector<int64_t>& cells, int32_t n_slots, KvCacheType type) {
  size_t total = 0;
  int64_t max_cells = 0;
  for (int64_t c : cells) {
    total += layer_bytes(kv_dim, c, n_slots, type);
    max_cells = std::max(max_cells, c);
  }
  return total + scratch_bytes(kv_dim, max_cells, type);
}

uint8_t* KvCache::k(int64_t layer, int32_t slot) {
  Layer& l = layers_[layer];
  return l.k.data() + static_cast<size_t>(slot) * l.n_cells * row_bytes_;
}

uint8_t* KvCache::v(int64_t layer, int32_t slot) {
  Layer& l = layers_[layer];
  return l.v.data() + static_cast<size_t>(slot) * l.n_cells * row_bytes_;
}

KvView KvCache::view(int64_t layer, int32_t slot, int64_t n_cells) {
  if (type_ == KvCacheType::kF16) return {kernels::KvType::kF16, k(layer, slot), v(layer, slot)};
  if (type_ == KvCacheType::kF32) return {kernels::KvType::kF32, k(layer, slot), v(layer, slot)};
  const DequantizeRowFn expand = type_fns(GgmlType::kQ8_0)->to_float;
  const uint8_t *kq = k(layer, slot), *vq = v(layer, slot);
  for (int64_t c = 0; c < n_cells; ++c) {
    expand(kq + c * row_bytes_, scratch_k_.data() + c * kv_dim_, kv_dim_);
    expand(vq + c * row_bytes_, scratch_v_.data() + c * kv_dim_, kv_dim_);
  }
  return {kernels::KvType::kF32, scratch_k_.data(), scratch_v_.data()};
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
    uint8_t* kd = this->k(layer, slot) + cell * row_bytes_;
    uint8_t* vd = this->v(layer, slot) + cell * row_bytes_;
    const float *ks = k + t * kv_dim_, *vs = v + t * kv_dim_;
    if (type_ == KvCacheType::kF32) {
      std::memcpy(kd, ks, row_bytes_);
      std::memcpy(vd, vs, row_bytes_);
    } else if (type_ == KvCacheType::kQ8_0) {
      const QuantizeRowFn quantize = type_fns(GgmlType::kQ8_0)->from_float;
      quantize(ks, kd, kv_dim_);
      quantize(vs, vd, kv_dim_);
    } else {
      auto* kh = reinterpret_cast<uint16_t*>(kd);
      auto* vh = reinterpret_cast<uint16_t*>(vd);
      for (int64_t i = 0; i < kv_dim_; ++i) {
        kh[i] = f2h(ks[i]);
        vh[i] = f2h(vs[i]);
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
  return total + (scratch_k_.size() + scratch_v_.size()) * sizeof(float);
}

}  // namespace corral::nn
