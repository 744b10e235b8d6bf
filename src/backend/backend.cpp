// Backend factory functions (one per device kind).
#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"

namespace corral {

std::unique_ptr<Backend> make_cpu_backend(size_t n_threads) {
  return std::make_unique<CpuBackend>(n_threads);
}

}  // namespace corral
