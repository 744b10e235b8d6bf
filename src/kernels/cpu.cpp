// CPU feature detection through the compiler's cpuid wrapper.
#include "kernels/cpu.h"

namespace corral::kernels {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.f16c = false;
  // GCC 12 has no "f16c" name for __builtin_cpu_supports; every AVX2 CPU made so far has F16C
  // (it predates AVX2 on both vendors), and cpuid leaf 1 ECX bit 29 confirms it.
  unsigned eax, ebx, ecx, edx;
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  f.f16c = (ecx >> 29) & 1;
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: {
      const CpuFeatures& f = cpu_features();
      return f.avx2 && f.fma && f.f16c;
    }
  }
  return false;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
  }
  return "?";
}

Isa best_isa() {
  return isa_supported(Isa::kAvx2) ? Isa::kAvx2 : Isa::kScalar;
}

}  // namespace corral::kernels
