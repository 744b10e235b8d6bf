// A borrowed view of one weight tensor (usually straight out of the GGUF mapping): a row-major
// matrix of `rows` rows of `cols` elements stored in `type`. 1-D tensors have rows = 1.
#pragma once

#include <cstdint>

#include "tensor/ggml_type.h"

namespace corral {

struct Weight {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t cols = 0;  // ne[0], the contiguous row length
  int64_t rows = 0;  // ne[1]

  bool present() const { return data != nullptr; }
  // Only for F32 tensors (norm weights, biases, rope factors); the binder checks the type.
  const float* f32() const { return static_cast<const float*>(data); }
};

}  // namespace corral
