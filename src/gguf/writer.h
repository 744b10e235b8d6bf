// Writes GGUF v3 files: metadata in insertion order, tensor infos, then tensor data, every section
// and every tensor padded with zeros to the alignment. Reading a written file back gives the same
// metadata, tensor names, types, shapes and bytes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "gguf/value.h"
#include "tensor/ggml_type.h"

namespace corral {

class GgufWriter {
 public:
  GgufWriter() = default;

  GgufMetadata& metadata() { return metadata_; }
  void set(std::string key, GgufValue value) { metadata_.set(std::move(key), std::move(value)); }

  // `shape` is in GGUF order (row length first), 1 to 4 dimensions. The data is borrowed and must
  // stay alive until the file is written; its size must match the type and shape exactly.
  Status add_tensor(std::string name, GgmlType type, std::vector<int64_t> shape, std::span<const std::byte> data);
  // Same, with the writer owning the bytes.
  Status add_tensor(std::string name, GgmlType type, std::vector<int64_t> shape, std::vector<std::byte> data);

  size_t tensor_count() const { return tensors_.size(); }

  // The whole file in memory (for tests and small files).
  Result<std::vector<std::byte>> serialize() const;
  // Writes atomically: a temporary file in the same directory, fsync, rename.
  Status write_file(const std::filesystem::path& path) const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> shape;
    std::span<const std::byte> data;
    std::vector<std::byte> owned;  // backs `data` when the writer owns it
  };
  using Sink = std::function<Status(std::span<const std::byte>)>;

  Status check_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& shape, size_t n_bytes) const;
  Status write_to(const Sink& sink) const;

  GgufMetadata metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace corral
