// The ggml data types that GGUF tensors are stored in: id, name, elements per block and bytes per
// block. Byte sizes are exact for every type, including ones the engine cannot compute with yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace corral {

// Values are the on-disk ids. Ids 4, 5, 31-33 and 36-38 belonged to removed types and are rejected.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct GgmlTypeTraits {
  GgmlType type;
  std::string_view name;  // upper case, as Ollama and the fixtures print it: "Q4_K", "BF16"
  uint32_t block_size;    // elements per block
  uint32_t type_size;     // bytes per block
  bool quantized;
};

// The traits of a valid type id, or an error for an unknown or removed id.
Result<GgmlTypeTraits> ggml_type_traits(int64_t id);
// Traits of a known enumerator (always valid).
const GgmlTypeTraits& traits_of(GgmlType type);
std::string_view ggml_type_name(GgmlType type);
// Case-insensitive lookup by name ("q4_k", "Q4_K", "bf16").
std::optional<GgmlType> ggml_type_from_name(std::string_view name);

// Bytes of `n_elements` elements of `type`, or nullopt when n is not a whole number of blocks or
// the size would overflow.
std::optional<uint64_t> ggml_row_bytes(GgmlType type, uint64_t n_elements);

// llama.cpp's `general.file_type` (llama_ftype) names: 15 -> "Q4_K_M". Unknown -> "unknown".
std::string_view file_type_name(uint32_t file_type);

}  // namespace corral
