// The device interface. A Backend owns the memory of one device (weights prepared once at load,
// KV cache layers, activation buffers) and runs the forward pass's ops on tensors in that memory.
//
// Ops are ordered: each sees the results of the ops issued before it on the same backend. A CPU
// backend runs each op when it is called; a GPU backend records them and submits what it has
// recorded only when the host needs a result (read, sync), so the ops of a whole run of layers go
// to the device in one submission per step, with no host round trip per op. Only `read` and `sync`
// wait, and only they report device failures.
//
// What the kernels need to know (RoPE variants, attention masking, KV cache types) is expressed
// here in the backend's terms; nn/ and models/ never see a kernel's argument structs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/tensor.h"
#include "base/result.h"

namespace corral {

enum class GatedActivation { kSilu, kGeluTanh };

// The element type of a KV cache: F16 (the default, as llama.cpp), F32 (the fixtures' reference
// runs) or Q8_0 (half the memory of F16).
enum class KvCacheType { kF16, kF32, kQ8_0 };
GgmlType kv_element_type(KvCacheType type);

// What a backend has allocated, by purpose (sched/'s estimate predicts exactly these numbers).
struct MemoryUse {
  uint64_t weights = 0;  // prepared weights (on the CPU: the mapped file bytes in use, plus repacked copies)
  uint64_t kv = 0;       // KV cache layers
  uint64_t compute = 0;  // activation buffers and a backend's own scratch
  uint64_t total() const { return weights + kv + compute; }
};
enum class MemoryKind { kWeights, kKv, kCompute };

// Live bytes per MemoryKind, kept by a backend and updated by its buffers as they come and go.
class MemoryLedger {
 public:
  void add(MemoryKind kind, int64_t bytes) { slot(kind) += bytes; }
  MemoryUse use() const {
    return {static_cast<uint64_t>(weights_), static_cast<uint64_t>(kv_), static_cast<uint64_t>(compute_)};
  }

 private:
  int64_t& slot(MemoryKind kind) {
    return kind == MemoryKind::kWeights ? weights_ : kind == MemoryKind::kKv ? kv_ : compute_;
  }
  int64_t weights_ = 0, kv_ = 0, compute_ = 0;
};

// How the forward pass reads a weight (a bit set): the right-hand side of matmul, rows looked up by
// get_rows (the token embedding), or a plain F32 vector (norm weights, biases, RoPE factors). A
// tied embedding is both kMatmul and kRows. A backend may prepare a weight in its own layout only
// if every use it has can read that layout.
enum WeightUse : uint32_t { kUseMatmul = 1, kUseRows = 2, kUseVector = 4 };

// A weight as the model file holds it: GGUF's row-major blocks, `rows` rows of `cols` elements.
struct WeightSource {
  std::string_view name;
  uint32_t uses = 0;  // WeightUse bits
  GgmlType type = GgmlType::kF32;
  int64_t cols = 0, rows = 0;
  std::span<const uint8_t> bytes;  // the mapped file's bytes; valid while the model is loaded
};

// Weights prepared by one backend: one tensor per source, in order, and the buffers that hold them.
struct PreparedWeights {
  std::vector<Tensor> tensors;
  std::vector<std::unique_ptr<Buffer>> buffers;
};

// Rotary position embedding of (x[i], x[i + 1]) pairs (normal) or (x[i], x[i + n_rot/2]) (NeoX)
// for i < n_rot: theta_i = pos * freq_scale * freq_base^(-2i/n_rot) / factor_i, where factor_i is
// the i-th of the optional frequency factors (Llama 3 rope_freqs, longrope factors); cos and sin are
// multiplied by attn_factor.
struct RopeSpec {
  int64_t n_rot = 0;
  float freq_base = 10000.f;
  float freq_scale = 1.f;
  float attn_factor = 1.f;
  bool neox = false;
};

// A run of batch rows [begin, end) that belong to one sequence slot.
struct SeqSegment {
  int32_t slot = 0;
  int64_t begin = 0, end = 0;
};

// The batch as an op that needs positions sees it: host positions (for shapes and masks decided
// on the host) and the same positions in an I32 tensor on the backend's device.
struct BatchPositions {
  std::span<const int32_t> host;  // [n_tokens]
  Tensor device;                  // [n_tokens] I32
  std::span<const SeqSegment> segments;
};

// One layer's KV cache on one backend: per slot n_cells cells of K and V rows (kv_dim elements of
// the cache type) and the position each cell holds (-1 = empty). Position p lives in cell
// p % n_cells, so a sliding-window layer can keep a ring of window + batch cells.
struct KvLayer {
  int64_t kv_dim = 0, n_cells = 0;
  int32_t n_slots = 0;
  KvCacheType type = KvCacheType::kF16;
  Tensor k, v;                      // [n_slots * n_cells][kv_dim]
  Tensor pos;                       // [n_slots][n_cells] I32
  std::unique_ptr<Buffer> storage;  // holds k, v and pos

  // The rows of one slot's cells.
  Tensor k_slot(int32_t slot) const { return k.row_range(slot * n_cells, n_cells); }
  Tensor v_slot(int32_t slot) const { return v.row_range(slot * n_cells, n_cells); }
  Tensor pos_slot(int32_t slot) const { return pos.row_range(slot, 1); }

  // Bytes of one layer (k, v and pos packed at kTensorAlignment): what every backend allocates.
  static size_t bytes(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type);
  // The same three tensors laid out in `storage` from offset 0.
  static KvLayer lay_out(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type,
                         std::unique_ptr<Buffer> storage);
};

// Multi-head attention with grouped-query heads (head h reads KV head h / (n_head / n_head_kv)),
// scores scale * q.k (soft-capped: cap * tanh(s / cap) when softcap > 0), visible cells those whose
// position is <= the query's and, with a window, within `window` positions of it.
struct AttentionSpec {
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.f;
  float softcap = 0.f;
  int32_t window = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "CPU", "Vulkan0", … (logs and errors).
  virtual std::string name() const = 0;

  // --- memory ---
  // A zero-initialised buffer of `bytes` on this device, counted under `kind`.
  virtual Result<std::unique_ptr<Buffer>> alloc(size_t bytes, MemoryKind kind) = 0;
  // Prepares weights for this device, once, at load. The CPU uses the mapped bytes in place (or a
  // repacked copy, see cpu/repack.h); a GPU uploads them into device memory.
  virtual Result<PreparedWeights> prepare_weights(std::span<const WeightSource> sources) = 0;
  // Allocates a KV cache layer (counted as kKv) with every cell empty.
  virtual Result<KvLayer> alloc_kv_layer(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) = 0;
  virtual MemoryUse memory() const = 0;

  // --- moving data (host <-> this device) ---
  // dst (contiguous) = the host bytes src.
  virtual void write(const Tensor& dst, const void* src) = 0;
  // The host bytes dst = src (contiguous); waits for every op issued before.
  virtual Status read(const Tensor& src, void* dst) = 0;
  // Waits for every op issued so far.
  virtual Status sync() = 0;

  // --- ops (shapes in rows x columns; x, y F32 unless said otherwise) ---
  // y[n][w.rows] = x[n][w.cols] . W^T
  virtual void matmul(const Tensor& w, const Tensor& x, const Tensor& y) = 0;
  // y[n][w.cols] = rows ids[0..n) of W, dequantized (embedding lookup); ids I32 [n].
  virtual void get_rows(const Tensor& w, const Tensor& ids, const Tensor& y) = 0;
  // y = x with rows gathered: y[i] = x[rows[i]] (same columns).
  virtual void gather_rows(const Tensor& x, std::span<const int64_t> rows, const Tensor& y) = 0;
  // y = x (same shape; either may be strided).
  virtual void copy(const Tensor& x, const Tensor& y) = 0;
  // Each row RMS-normalised, times w (1-D, F32) when present. x and y may be the same tensor.
  virtual void rms_norm(const Tensor& x, const Tensor& w, const Tensor& y, float eps) = 0;
  // In place on x[n_tokens][n_head * head_dim], token t at position pos.device[t]; freq_factors
  // (F32 [n_rot / 2]) may be absent.
  virtual void rope(const Tensor& x, int64_t n_head, int64_t head_dim, const BatchPositions& pos, const RopeSpec& spec,
                    const Tensor& freq_factors) = 0;
  // Stores k, v ([n][n_head_kv * head_dim]) of each segment into its slot's cells in `cache`, then
  // out[n][n_head * head_dim] = attention of q over the slot's cells (spec).
  virtual void attention(const AttentionSpec& spec, const Tensor& q, const Tensor& k, const Tensor& v,
                         const KvLayer& cache, const BatchPositions& pos, const Tensor& out) = 0;
  // Empties the cells of `slot` that hold positions >= from.
  virtual void kv_forget(const KvLayer& cache, int32_t slot, int32_t from) = 0;
  // y[r] = act(g[r]) * u[r] for each row (g, u may be strided column ranges of one tensor).
  virtual void gated(GatedActivation act, const Tensor& g, const Tensor& u, const Tensor& y) = 0;
  // y = a + b (same shapes).
  virtual void add(const Tensor& a, const Tensor& b, const Tensor& y) = 0;
  // x[r] += b for each row (b 1-D F32: a bias).
  virtual void add_row(const Tensor& x, const Tensor& b) = 0;
  // x *= s.
  virtual void scale(const Tensor& x, float s) = 0;
  // x = cap * tanh(x / cap).
  virtual void softcap(const Tensor& x, float cap) = 0;
};

// Whether corral computes with weights of this type (every backend supports the same set: the
// types the CPU kernels registry has a dot product for).
bool weight_type_supported(GgmlType type);

// The CPU backend over a pool of n_threads (0 = physical cores).
std::unique_ptr<Backend> make_cpu_backend(size_t n_threads);

}  // namespace corral
