// Helpers for the kernel tests: the registered variants this CPU can run, random data, and
// buffers whose data start at a chosen misalignment.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/registry.h"

namespace corral::kernels::testing {

inline std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A byte buffer whose data() is `offset` bytes past a 64-byte boundary.
class Misaligned {
 public:
  Misaligned(size_t bytes, size_t offset) : storage_(bytes + offset + 64), offset_(offset) {
    const auto base = reinterpret_cast<uintptr_t>(storage_.data());
    start_ = static_cast<size_t>((64 - base % 64) % 64) + offset_;
  }
  uint8_t* data() { return storage_.data() + start_; }
  float* floats() { return reinterpret_cast<float*>(data()); }

 private:
  std::vector<uint8_t> storage_;
  size_t offset_;
  size_t start_ = 0;
};

inline std::string variant_name(const QuantKernel& k) {
  return std::string(isa_name(k.isa)) + "_" + std::string(ggml_type_name(k.type));
}

// The non-scalar variants this CPU supports that provide the function `has` checks (each is
// compared against the scalar reference).
template <typename Has>
std::vector<QuantKernel> simd_quant_kernels(Has has) {
  std::vector<QuantKernel> out;
  for (const QuantKernel& k : all_quant_kernels())
    if (k.isa != Isa::kScalar && isa_supported(k.isa) && has(k)) out.push_back(k);
  return out;
}

}  // namespace corral::kernels::testing
