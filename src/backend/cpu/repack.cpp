// The CPU backend's repacking hook: where a weight may be prepared at load in a layout a kernel
// reads faster than GGUF's row-major blocks (rows interleaved for a SIMD tile, scales unpacked, …).
//
// How to add a layout:
//   1. In repack_weight, for the (type, shape) the layout serves, allocate the copy with
//      alloc(bytes, MemoryKind::kWeights) (it counts as CPU weight memory), fill it from
//      source.bytes (the mapped GGUF bytes; pool() may share the work out), keep the buffer in
//      out.buffers and return a Tensor over it whose `layout` is a nonzero tag of your choice
//      (Tensor::make(...), then set .layout). Returning an absent Tensor keeps the mapped bytes.
//   2. In matmul_repacked, compute y = x . W^T for that tag (bit-identical to kernels::matmul on
//      the GGUF layout, so the golden and kernel tests keep holding).
//   3. sched/estimate.cpp counts CPU weights as file bytes; a repacked copy that is larger, or that
//      keeps the mapped pages resident as well, should be reflected there.
// Only matmul reads repacked weights: repack only sources whose `uses` is exactly kUseMatmul (a
// tied token embedding is also read by get_rows, which needs GGUF's layout).
#include "backend/cpu/cpu_backend.h"

namespace corral {

Result<Tensor> CpuBackend::repack_weight(const WeightSource&, PreparedWeights&) {
  return Tensor{};  // no repacked layouts yet: every weight is used in place
}

void CpuBackend::matmul_repacked(const Tensor& w, const Tensor&, const Tensor&) {
  CORRAL_CHECK(false, "no CPU kernel for weight layout {}", w.layout);
}

}  // namespace corral
