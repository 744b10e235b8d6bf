// Backend factory functions (one per device kind) and the layouts every backend shares.
#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#include "kernels/registry.h"

namespace corral {

GgmlType kv_element_type(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32: return GgmlType::kF32;
    case KvCacheType::kQ8_0: return GgmlType::kQ8_0;
    default: return GgmlType::kF16;
  }
}

namespace {

struct KvSizes {
  size_t kv_rows, pos;  // bytes of K (= of V), bytes of the positions
};

KvSizes kv_sizes(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) {
  const size_t cells = static_cast<size_t>(n_slots) * static_cast<size_t>(n_cells);
  return {cells * *ggml_row_bytes(kv_element_type(type), static_cast<uint64_t>(kv_dim)), cells * sizeof(int32_t)};
}

}  // namespace

size_t KvLayer::bytes(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) {
  const KvSizes s = kv_sizes(kv_dim, n_cells, n_slots, type);
  return 2 * align_tensor_bytes(s.kv_rows) + align_tensor_bytes(s.pos);
}

KvLayer KvLayer::lay_out(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type,
                         std::unique_ptr<Buffer> storage) {
  const KvSizes s = kv_sizes(kv_dim, n_cells, n_slots, type);
  KvLayer l;
  l.kv_dim = kv_dim;
  l.n_cells = n_cells;
  l.n_slots = n_slots;
  l.type = type;
  const GgmlType et = kv_element_type(type);
  const int64_t cells = static_cast<int64_t>(n_slots) * n_cells;
  l.k = Tensor::make(storage.get(), 0, et, kv_dim, cells);
  l.v = Tensor::make(storage.get(), align_tensor_bytes(s.kv_rows), et, kv_dim, cells);
  l.pos = Tensor::make(storage.get(), 2 * align_tensor_bytes(s.kv_rows), GgmlType::kI32, n_cells, n_slots);
  l.storage = std::move(storage);
  return l;
}

bool weight_type_supported(GgmlType type) {
  const kernels::QuantKernel* k = kernels::select_kernel(type);
  return k && k->vec_dot;
}

std::unique_ptr<Backend> make_cpu_backend(size_t n_threads) {
  return std::make_unique<CpuBackend>(n_threads);
}

}  // namespace corral
