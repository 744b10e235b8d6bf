// Memory that belongs to one backend, and tensors: 2-D views into it. Every weight, KV cache row
// and activation the forward pass touches is a Tensor in a Buffer of the backend of its device, so
// a GPU backend computes on its own memory and nothing crosses devices unless the pass says so.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/check.h"
#include "tensor/ggml_type.h"

namespace corral {

class Backend;

// Offsets of tensors packed into one buffer are multiples of this (the largest
// minStorageBufferOffsetAlignment Vulkan allows, and a cache line on the CPU), so the same packing
// is valid on every device and the memory estimate can compute it without knowing the device.
inline constexpr size_t kTensorAlignment = 256;
constexpr size_t align_tensor_bytes(size_t n) {
  return (n + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

// A block of memory owned by one backend: device-local memory on a GPU; host memory, or a view of
// the mapped model file, on the CPU. Whoever asked for it owns it (std::unique_ptr); the backend
// must outlive it.
class Buffer {
 public:
  Buffer(const Backend* owner, size_t size, uint8_t* host) : owner_(owner), size_(size), host_(host) {}
  virtual ~Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  const Backend* owner() const { return owner_; }
  size_t size() const { return size_; }
  // The contents when the CPU can address them directly (CPU memory, mapped files), else null.
  // Views of the mapped model file are read-only: weights are never written.
  uint8_t* host() const { return host_; }

 private:
  const Backend* owner_;
  size_t size_;
  uint8_t* host_;
};

// `rows` rows of `cols` elements of `type`; row r starts at byte offset + r * row_stride of the
// buffer. Weights are row-major in GGUF's block layout unless a backend prepared them in another
// (`layout`, the backend's own tag); activations are F32, KV cells F16/F32/Q8_0, ids and
// positions I32. A 1-D tensor has rows = 1.
struct Tensor {
  Buffer* buffer = nullptr;
  size_t offset = 0;
  GgmlType type = GgmlType::kF32;
  int64_t cols = 0;
  int64_t rows = 0;
  size_t row_stride = 0;  // bytes between rows
  uint32_t layout = 0;    // 0 = GGUF's layout; other values belong to the backend that prepared it

  bool present() const { return buffer != nullptr; }
  size_t row_bytes() const { return *ggml_row_bytes(type, static_cast<uint64_t>(cols)); }
  bool contiguous() const { return rows <= 1 || row_stride == row_bytes(); }
  // Bytes from the first to the end of the last row.
  size_t span_bytes() const { return rows == 0 ? 0 : (rows - 1) * row_stride + row_bytes(); }

  // A contiguous tensor over [offset, offset + rows * row bytes) of `buffer`.
  static Tensor make(Buffer* buffer, size_t offset, GgmlType type, int64_t cols, int64_t rows) {
    Tensor t{buffer, offset, type, cols, rows, 0, 0};
    t.row_stride = t.row_bytes();
    return t;
  }

  // Rows [first, first + n).
  Tensor row_range(int64_t first, int64_t n) const {
    CORRAL_CHECK(first >= 0 && n >= 0 && first + n <= rows, "rows [{}, {}) of {}", first, first + n, rows);
    Tensor t = *this;
    t.offset += static_cast<size_t>(first) * row_stride;
    t.rows = n;
    return t;
  }
  // The first n rows.
  Tensor first_rows(int64_t n) const { return row_range(0, n); }
  // Columns [first, first + n) of every row (whole blocks; any column of F32/I32), strided.
  Tensor col_range(int64_t first, int64_t n) const {
    CORRAL_CHECK(first >= 0 && n >= 0 && first + n <= cols, "columns [{}, {}) of {}", first, first + n, cols);
    Tensor t = *this;
    t.offset += *ggml_row_bytes(type, static_cast<uint64_t>(first));
    t.cols = n;
    return t;
  }
  // The same contiguous elements seen as rows of `new_cols` (a row of heads as one row per head).
  Tensor reshape(int64_t new_cols, int64_t new_rows) const {
    CORRAL_CHECK(contiguous() && new_cols * new_rows == cols * rows, "reshape [{}x{}] to [{}x{}]", rows, cols, new_rows,
                 new_cols);
    return make(buffer, offset, type, new_cols, new_rows);
  }

  // CPU-addressable data (the buffer's host memory); null for device memory.
  uint8_t* host() const { return buffer && buffer->host() ? buffer->host() + offset : nullptr; }
  float* f32() const { return reinterpret_cast<float*>(host()); }
  int32_t* i32() const { return reinterpret_cast<int32_t*>(host()); }
  // F32 elements between rows.
  int64_t stride_f32() const { return static_cast<int64_t>(row_stride / sizeof(float)); }
};

// A weight is a tensor prepared by the backend of its layer (see Backend::prepare_weights).
using Weight = Tensor;

}  // namespace corral
