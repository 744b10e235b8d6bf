// A parsed GGUF file (versions 2 and 3): metadata, tensor infos and views of the tensor data.
// Nothing from the file is trusted: see reader.cpp for the format and every check made.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mapped_file.h"
#include "base/result.h"
#include "gguf/value.h"
#include "tensor/ggml_type.h"

namespace corral {

inline constexpr uint32_t kGgufDefaultAlignment = 32;
// Real files use 32 (sometimes 64); anything past 1 MiB is hostile and would bloat padding.
inline constexpr uint32_t kGgufMaxAlignment = 1u << 20;
inline constexpr size_t kGgufMaxDims = 4;
inline constexpr size_t kGgufMaxTensorName = 63;   // llama.cpp's GGML_MAX_NAME minus the NUL
inline constexpr size_t kGgufMaxArrayNesting = 4;  // an array inside at most 3 enclosing arrays

// general.alignment as both reader and writer accept it: absent = 32, else a u32 power of two
// no larger than kGgufMaxAlignment.
Result<uint32_t> gguf_alignment(const GgufMetadata& metadata);

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::kF32;
  uint32_t n_dims = 0;
  std::array<int64_t, kGgufMaxDims> ne{1, 1, 1, 1};  // ne[0] is the contiguous row length
  uint64_t offset = 0;                               // relative to the data section
  uint64_t n_bytes = 0;
  std::span<const std::byte> data;  // view into the file's bytes

  uint64_t n_elements() const;
  std::vector<int64_t> shape() const { return {ne.begin(), ne.begin() + n_dims}; }
};

// Where the sections start (absolute byte offsets), for diagnostics and tests.
struct GgufLayout {
  uint64_t kv_begin = 24;
  uint64_t tensor_infos_begin = 0;
  uint64_t tensor_infos_end = 0;
  uint64_t data_offset = 0;
};

class GgufFile {
 public:
  // Maps and parses a file. Errors name the file, the byte offset and what is wrong.
  static Result<GgufFile> open(const std::filesystem::path& path);
  // Parses bytes owned by the caller, which must outlive the result (used by tests and fuzzing).
  static Result<GgufFile> parse(std::span<const std::byte> bytes, std::string_view display_name);

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  const GgufLayout& layout() const { return layout_; }
  uint64_t file_size() const { return bytes_.size(); }
  const std::string& display_name() const { return name_; }

  const GgufMetadata& metadata() const { return metadata_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find_tensor(std::string_view name) const;

 private:
  friend class GgufParser;
  GgufFile() = default;

  std::optional<MappedFile> mapping_;
  std::span<const std::byte> bytes_;
  std::string name_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  GgufLayout layout_;
  GgufMetadata metadata_;
  std::vector<GgufTensor> tensors_;
};

}  // namespace corral
