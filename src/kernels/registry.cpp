// The registry: the scalar references (from tensor/'s table) followed by every SIMD variant.
#include "kernels/registry.h"

#include <array>
#include <vector>

#include "kernels/avx2/avx2_kernels.h"

namespace corral::kernels {
namespace {

std::vector<QuantKernel> build_quant_list() {
  std::vector<QuantKernel> list;
  for (const TypeFns& f : all_type_fns())
    list.push_back({Isa::kScalar, f.type, f.to_float, f.vec_dot, f.from_float_act});
  for (const QuantKernel& k : avx2::float_and_32_kernels()) list.push_back(k);
  for (const QuantKernel& k : avx2::k_quant_kernels()) list.push_back(k);
  return list;
}

const std::vector<QuantKernel>& quant_list() {
  static const std::vector<QuantKernel> list = build_quant_list();
  return list;
}

// Per type, the best supported variant with its null functions filled in from the reference.
std::vector<QuantKernel> build_selection() {
  std::vector<QuantKernel> selected;
  for (const TypeFns& f : all_type_fns()) {
    QuantKernel best{Isa::kScalar, f.type, f.to_float, f.vec_dot, f.from_float_act};
    for (const QuantKernel& k : quant_list()) {
      if (k.type != f.type || !isa_supported(k.isa) || k.isa <= best.isa) continue;
      best.isa = k.isa;
      if (k.to_float) best.to_float = k.to_float;
      if (k.vec_dot) best.vec_dot = k.vec_dot;
      if (k.from_float_act) best.from_float_act = k.from_float_act;
      best.vec_dot4 = k.vec_dot4;  // only valid together with this variant's vec_dot
      best.vec_dot_tile = k.vec_dot_tile;
    }
    selected.push_back(best);
  }
  return selected;
}

}  // namespace

std::span<const QuantKernel> all_quant_kernels() {
  return quant_list();
}

std::span<const OpsKernel> all_ops_kernels() {
  static const std::array<OpsKernel, 2> list = {{{Isa::kScalar, &scalar_ops()}, {Isa::kAvx2, &avx2::ops_table()}}};
  return list;
}

const QuantKernel* reference_kernel(GgmlType type) {
  for (const QuantKernel& k : quant_list())
    if (k.type == type && k.isa == Isa::kScalar) return &k;
  return nullptr;
}

const QuantKernel* select_kernel(GgmlType type) {
  static const std::vector<QuantKernel> selected = build_selection();
  for (const QuantKernel& k : selected)
    if (k.type == type) return &k;
  return nullptr;
}

const OpsTable& select_ops() {
  const OpsTable* best = &scalar_ops();
  Isa best_isa = Isa::kScalar;
  for (const OpsKernel& k : all_ops_kernels()) {
    if (isa_supported(k.isa) && k.isa > best_isa) {
      best = k.ops;
      best_isa = k.isa;
    }
  }
  return *best;
}

}  // namespace corral::kernels
