// The instruction sets corral has kernels for, and which of them this CPU runs. Detection happens
// once (the first call) and never changes afterwards.
#pragma once

#include <string_view>

namespace corral::kernels {

// Ordered from the portable fallback up: a higher value is preferred when supported.
enum class Isa { kScalar = 0, kAvx2 = 1 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
};

const CpuFeatures& cpu_features();
bool isa_supported(Isa isa);
std::string_view isa_name(Isa isa);
// The best ISA this CPU supports.
Isa best_isa();

}  // namespace corral::kernels
