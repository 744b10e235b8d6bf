// The CPU backend: weights used in place from the mapped file (or repacked at load, repack.h),
// host-memory buffers, products through kernels::matmul, row ops through the selected OpsTable,
// all on one ThreadPool. Every op runs when it is called.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "base/thread_pool.h"
#include "kernels/ops.h"

namespace corral {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(size_t n_threads);

  std::string name() const override { return "CPU"; }

  Result<std::unique_ptr<Buffer>> alloc(size_t bytes, MemoryKind kind) override;
  Result<PreparedWeights> prepare_weights(std::span<const WeightSource> sources) override;
  Result<KvLayer> alloc_kv_layer(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) override;
  MemoryUse memory() const override { return ledger_.use(); }

  void write(const Tensor& dst, const void* src) override;
  Status read(const Tensor& src, void* dst) override;
  Status sync() override { return {}; }

  void matmul(const Tensor& w, const Tensor& x, const Tensor& y) override;
  void get_rows(const Tensor& w, const Tensor& ids, const Tensor& y) override;
  void gather_rows(const Tensor& x, std::span<const int64_t> rows, const Tensor& y) override;
  void copy(const Tensor& x, const Tensor& y) override;
  void rms_norm(const Tensor& x, const Tensor& w, const Tensor& y, float eps) override;
  void rope(const Tensor& x, int64_t n_head, int64_t head_dim, const BatchPositions& pos, const RopeSpec& spec,
            const Tensor& freq_factors) override;
  void attention(const AttentionSpec& spec, const Tensor& q, const Tensor& k, const Tensor& v, const KvLayer& cache,
                 const BatchPositions& pos, const Tensor& out) override;
  void kv_forget(const KvLayer& cache, int32_t slot, int32_t from) override;
  void gated(GatedActivation act, const Tensor& g, const Tensor& u, const Tensor& y) override;
  void add(const Tensor& a, const Tensor& b, const Tensor& y) override;
  void add_row(const Tensor& x, const Tensor& b) override;
  void scale(const Tensor& x, float s) override;
  void softcap(const Tensor& x, float cap) override;

  ThreadPool* pool() { return &pool_; }

  // Bytes of the F32 scratch a Q8_0 cache is expanded into for the attention kernel (which reads
  // F16 or F32): K and V of the largest layer's slot. 0 for F16/F32. The backend allocates it with
  // its first Q8_0 layer (counted as KV) and grows it for larger ones.
  static size_t kv_scratch_bytes(int64_t kv_dim, int64_t max_cells, KvCacheType type);

 private:
  // fn(begin, end) over rows, in parallel when there are enough of them to pay for the wake-up.
  template <typename Fn>
  void for_rows(int64_t n_rows, Fn&& fn);
  // Copies one segment's K and V rows into its slot's cells (converted to the cache type).
  void kv_store(const KvLayer& cache, const SeqSegment& seg, const Tensor& k, const Tensor& v,
                std::span<const int32_t> pos);

  // The repacking hook (repack.cpp): a weight in a CPU-specific layout, or an absent tensor to use
  // the mapped bytes as they are; and the product over such a weight.
  Result<Tensor> repack_weight(const WeightSource& source, PreparedWeights& out);
  void matmul_repacked(const Tensor& w, const Tensor& x, const Tensor& y);

  ThreadPool pool_;
  const kernels::OpsTable& ops_;
  MemoryLedger ledger_;
  std::unique_ptr<Buffer> kv_scratch_;  // Q8_0 cells expanded to F32 (K half, then V half)
};

}  // namespace corral
