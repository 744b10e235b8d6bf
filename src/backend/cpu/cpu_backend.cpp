// CPU backend: thin loops over the kernels registry; the only threading decisions of the
// forward pass (which op splits over which rows) are made here.
#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "kernels/registry.h"
#include "tensor/fp16.h"
#include "tensor/type_traits.h"

namespace corral {
namespace {

// Host memory (owned, zeroed, kTensorAlignment-aligned) or a view of bytes someone else owns (the
// mapped model file); either way its size counts in the backend's ledger while it lives.
class HostBuffer final : public Buffer {
 public:
  HostBuffer(const Backend* owner, size_t size, uint8_t* data, bool owned, MemoryLedger* ledger, MemoryKind kind)
      : Buffer(owner, size, data), owned_(owned), ledger_(ledger), kind_(kind) {
    ledger_->add(kind_, static_cast<int64_t>(size));
  }
  ~HostBuffer() override {
    ledger_->add(kind_, -static_cast<int64_t>(size()));
    if (owned_) std::free(host());
  }

 private:
  bool owned_;
  MemoryLedger* ledger_;
  MemoryKind kind_;
};

kernels::KvType kernel_kv_type(KvCacheType type) {
  return type == KvCacheType::kF16 ? kernels::KvType::kF16 : kernels::KvType::kF32;
}

}  // namespace

CpuBackend::CpuBackend(size_t n_threads) : pool_(n_threads), ops_(kernels::select_ops()) {}

template <typename Fn>
void CpuBackend::for_rows(int64_t n_rows, Fn&& fn) {
  if (n_rows >= 8 && pool_.size() > 1)
    pool_.parallel_for(0, static_cast<size_t>(n_rows), 4,
                       [&](size_t b, size_t e) { fn(static_cast<int64_t>(b), static_cast<int64_t>(e)); });
  else
    fn(0, n_rows);
}

Result<std::unique_ptr<Buffer>> CpuBackend::alloc(size_t bytes, MemoryKind kind) {
  const size_t rounded = std::max(align_tensor_bytes(bytes), kTensorAlignment);
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  if (!p) return Error::format("out of memory allocating {} bytes on the CPU", bytes);
  std::memset(p, 0, rounded);
  return std::unique_ptr<Buffer>(
      std::make_unique<HostBuffer>(this, bytes, static_cast<uint8_t*>(p), true, &ledger_, kind));
}

Result<PreparedWeights> CpuBackend::prepare_weights(std::span<const WeightSource> sources) {
  PreparedWeights out;
  for (const WeightSource& s : sources) {
    CORRAL_ASSIGN_OR_RETURN(Tensor repacked, repack_weight(s, out));
    if (repacked.present()) {
      out.tensors.push_back(repacked);
      continue;
    }
    // In place: a view of the mapped bytes (read-only; weights are never written).
    auto* data = const_cast<uint8_t*>(s.bytes.data());
    out.buffers.push_back(
        std::make_unique<HostBuffer>(this, s.bytes.size(), data, false, &ledger_, MemoryKind::kWeights));
    out.tensors.push_back(Tensor::make(out.buffers.back().get(), 0, s.type, s.cols, s.rows));
  }
  return out;
}

size_t CpuBackend::kv_scratch_bytes(int64_t kv_dim, int64_t max_cells, KvCacheType type) {
  if (type != KvCacheType::kQ8_0) return 0;
  return 2 * static_cast<size_t>(max_cells) * static_cast<size_t>(kv_dim) * sizeof(float);
}

Result<KvLayer> CpuBackend::alloc_kv_layer(int64_t kv_dim, int64_t n_cells, int32_t n_slots, KvCacheType type) {
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<Buffer> storage,
                          alloc(KvLayer::bytes(kv_dim, n_cells, n_slots, type), MemoryKind::kKv));
  KvLayer layer = KvLayer::lay_out(kv_dim, n_cells, n_slots, type, std::move(storage));
  std::fill_n(layer.pos.i32(), static_cast<size_t>(n_slots) * n_cells, -1);
  const size_t scratch = kv_scratch_bytes(kv_dim, n_cells, type);
  if (scratch > (kv_scratch_ ? kv_scratch_->size() : 0)) {
    kv_scratch_.reset();
    CORRAL_ASSIGN_OR_RETURN(kv_scratch_, alloc(scratch, MemoryKind::kKv));
  }
  return layer;
}

void CpuBackend::write(const Tensor& dst, const void* src) {
  CORRAL_CHECK(dst.contiguous() && dst.host(), "write to a strided or foreign tensor");
  std::memcpy(dst.host(), src, dst.span_bytes());
}

Status CpuBackend::read(const Tensor& src, void* dst) {
  CORRAL_CHECK(src.contiguous() && src.host(), "read of a strided or foreign tensor");
  std::memcpy(dst, src.host(), src.span_bytes());
  return {};
}

void CpuBackend::matmul(const Tensor& w, const Tensor& x, const Tensor& y) {
  CORRAL_CHECK(x.contiguous() && y.contiguous() && x.cols == w.cols && y.cols == w.rows && x.rows == y.rows,
               "matmul shapes: W [{}x{}], x [{}x{}], y [{}x{}]", w.rows, w.cols, x.rows, x.cols, y.rows, y.cols);
  if (w.layout != 0) return matmul_repacked(w, x, y);
  const kernels::WeightView view{w.type, w.host(), w.rows, w.cols};
  kernels::matmul(view, x.f32(), x.rows, y.f32(), &pool_);
}

void CpuBackend::get_rows(const Tensor& w, const Tensor& ids, const Tensor& y) {
  const kernels::QuantKernel* k = kernels::select_kernel(w.type);
  CORRAL_CHECK(k && k->to_float, "no dequantizer for {}", ggml_type_name(w.type));
  const int32_t* id = ids.i32();
  for (int64_t t = 0; t < ids.cols; ++t) {
    CORRAL_CHECK(id[t] >= 0 && id[t] < w.rows, "token id {} out of range", id[t]);
    k->to_float(w.host() + static_cast<size_t>(id[t]) * w.row_stride, y.f32() + t * y.stride_f32(), w.cols);
  }
}

void CpuBackend::gather_rows(const Tensor& x, std::span<const int64_t> rows, const Tensor& y) {
  for (size_t i = 0; i < rows.size(); ++i)
    std::memcpy(y.host() + i * y.row_stride, x.host() + rows[i] * x.row_stride, x.row_bytes());
}

void CpuBackend::copy(const Tensor& x, const Tensor& y) {
  for (int64_t r = 0; r < x.rows; ++r)
    std::memcpy(y.host() + r * y.row_stride, x.host() + r * x.row_stride, x.row_bytes());
}

void CpuBackend::rms_norm(const Tensor& x, const Tensor& w, const Tensor& y, float eps) {
  const float* wd = w.present() ? w.f32() : nullptr;
  const int64_t xs = x.stride_f32(), ys = y.stride_f32(), dim = x.cols;
  float *xd = x.f32(), *yd = y.f32();
  for_rows(x.rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) ops_.rms_norm(xd + r * xs, wd, yd + r * ys, dim, eps);
  });
}

void CpuBackend::rope(const Tensor& x, int64_t n_head, int64_t head_dim, const BatchPositions& pos,
                      const RopeSpec& spec, const Tensor& freq_factors) {
  const kernels::RopeParams params{.n_rot = spec.n_rot,
                                   .freq_base = spec.freq_base,
                                   .freq_scale = spec.freq_scale,
                                   .attn_factor = spec.attn_factor,
                                   .freq_factors = freq_factors.present() ? freq_factors.f32() : nullptr,
                                   .neox = spec.neox};
  float* xd = x.f32();
  const int64_t xs = x.stride_f32();
  for_rows(x.rows, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) ops_.rope(xd + t * xs, n_head, head_dim, pos.host[t], params);
  });
}

void CpuBackend::kv_store(const KvLayer& cache, const SeqSegment& seg, const Tensor& k, const Tensor& v,
                          std::span<const int32_t> pos) {
  CORRAL_CHECK(seg.slot >= 0 && seg.slot < cache.n_slots, "slot {} out of range", seg.slot);
  const Tensor kd = cache.k_slot(seg.slot), vd = cache.v_slot(seg.slot);
  int32_t* pd = cache.pos_slot(seg.slot).i32();
  const int64_t dim = cache.kv_dim;
  for (int64_t t = seg.begin; t < seg.end; ++t) {
    const int64_t cell = pos[t] % cache.n_cells;
    uint8_t* kc = kd.host() + cell * kd.row_stride;
    uint8_t* vc = vd.host() + cell * vd.row_stride;
    const float* ks = k.f32() + t * k.stride_f32();
    const float* vs = v.f32() + t * v.stride_f32();
    if (cache.type == KvCacheType::kF32) {
      std::memcpy(kc, ks, dim * sizeof(float));
      std::memcpy(vc, vs, dim * sizeof(float));
    } else if (cache.type == KvCacheType::kQ8_0) {
      const QuantizeRowFn quantize = type_fns(GgmlType::kQ8_0)->from_float;
      quantize(ks, kc, dim);
      quantize(vs, vc, dim);
    } else {
      auto* kh = reinterpret_cast<uint16_t*>(kc);
      auto* vh = reinterpret_cast<uint16_t*>(vc);
      for (int64_t i = 0; i < dim; ++i) {
        kh[i] = f2h(ks[i]);
        vh[i] = f2h(vs[i]);
      }
    }
    pd[cell] = pos[t];
  }
}

void CpuBackend::attention(const AttentionSpec& spec, const Tensor& q, const Tensor& k, const Tensor& v,
                           const KvLayer& cache, const BatchPositions& pos, const Tensor& out) {
  CORRAL_CHECK(q.contiguous() && out.contiguous(), "attention wants contiguous q and out rows");
  const int64_t n_q = spec.n_head * spec.head_dim;
  for (const SeqSegment& seg : pos.segments) {
    kv_store(cache, seg, k, v, pos.host);
    const int32_t max_pos = *std::max_element(pos.host.begin() + seg.begin, pos.host.begin() + seg.end);
    kernels::AttentionArgs a;
    a.q = q.f32() + seg.begin * n_q;
    a.q_pos = pos.host.data() + seg.begin;
    a.n_kv = std::min<int64_t>(cache.n_cells, static_cast<int64_t>(max_pos) + 1);
    a.kv_type = kernel_kv_type(cache.type);
    a.k = cache.k_slot(seg.slot).host();
    a.v = cache.v_slot(seg.slot).host();
    if (cache.type == KvCacheType::kQ8_0) {  // expand the visited cells to F32
      const DequantizeRowFn expand = type_fns(GgmlType::kQ8_0)->to_float;
      auto* sk = reinterpret_cast<float*>(kv_scratch_->host());
      float* sv = sk + kv_scratch_->size() / (2 * sizeof(float));
      const Tensor kq = cache.k_slot(seg.slot), vq = cache.v_slot(seg.slot);
      for (int64_t c = 0; c < a.n_kv; ++c) {
        expand(kq.host() + c * kq.row_stride, sk + c * cache.kv_dim, cache.kv_dim);
        expand(vq.host() + c * vq.row_stride, sv + c * cache.kv_dim, cache.kv_dim);
      }
      a.k = sk;
      a.v = sv;
    }
    a.kv_pos = cache.pos_slot(seg.slot).i32();
    a.n_tokens = seg.end - seg.begin;
    a.n_head = spec.n_head;
    a.n_head_kv = spec.n_head_kv;
    a.head_dim = spec.head_dim;
    a.scale = spec.scale;
    a.softcap = spec.softcap;
    a.window = spec.window;
    a.out = out.f32() + seg.begin * n_q;
    kernels::attention(a, &pool_, &ops_);
  }
}

void CpuBackend::kv_forget(const KvLayer& cache, int32_t slot, int32_t from) {
  int32_t* p = cache.pos_slot(slot).i32();
  for (int64_t c = 0; c < cache.n_cells; ++c)
    if (p[c] >= from) p[c] = -1;
}

void CpuBackend::gated(GatedActivation act, const Tensor& g, const Tensor& u, const Tensor& y) {
  const auto fn = act == GatedActivation::kSilu ? ops_.silu_mul : ops_.gelu_tanh_mul;
  const int64_t gs = g.stride_f32(), us = u.stride_f32(), ys = y.stride_f32(), n = g.cols;
  const float *gd = g.f32(), *ud = u.f32();
  float* yd = y.f32();
  for_rows(g.rows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) fn(gd + r * gs, ud + r * us, yd + r * ys, n);
  });
}

void CpuBackend::add(const Tensor& a, const Tensor& b, const Tensor& y) {
  if (a.contiguous() && b.contiguous() && y.contiguous()) return ops_.add(a.f32(), b.f32(), y.f32(), a.rows * a.cols);
  for (int64_t r = 0; r < a.rows; ++r)
    ops_.add(a.f32() + r * a.stride_f32(), b.f32() + r * b.stride_f32(), y.f32() + r * y.stride_f32(), a.cols);
}

void CpuBackend::add_row(const Tensor& x, const Tensor& b) {
  for (int64_t r = 0; r < x.rows; ++r) {
    float* row = x.f32() + r * x.stride_f32();
    ops_.add(row, b.f32(), row, x.cols);
  }
}

void CpuBackend::scale(const Tensor& x, float s) {
  for (int64_t r = 0; r < x.rows; ++r) {
    float* row = x.f32() + r * x.stride_f32();
    for (int64_t i = 0; i < x.cols; ++i) row[i] *= s;
  }
}

void CpuBackend::softcap(const Tensor& x, float cap) {
  const float inv = 1.0f / cap;
  for (int64_t r = 0; r < x.rows; ++r) {
    float* row = x.f32() + r * x.stride_f32();
    for (int64_t i = 0; i < x.cols; ++i) row[i] = std::tanh(row[i] * inv) * cap;
  }
}

}  // namespace corral
