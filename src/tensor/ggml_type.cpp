#include "tensor/ggml_type.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace corral {
namespace {

using T = GgmlType;

// Sizes from ggml's type table: block = elements per block, bytes = bytes per block.
constexpr std::array<GgmlTypeTraits, 32> kTypes = {{
    {T::kF32, "F32", 1, 4, false},
    {T::kF16, "F16", 1, 2, false},
    {T::kQ4_0, "Q4_0", 32, 18, true},
    {T::kQ4_1, "Q4_1", 32, 20, true},
    {T::kQ5_0, "Q5_0", 32, 22, true},
    {T::kQ5_1, "Q5_1", 32, 24, true},
    {T::kQ8_0, "Q8_0", 32, 34, true},
    {T::kQ8_1, "Q8_1", 32, 36, true},
    {T::kQ2_K, "Q2_K", 256, 84, true},
    {T::kQ3_K, "Q3_K", 256, 110, true},
    {T::kQ4_K, "Q4_K", 256, 144, true},
    {T::kQ5_K, "Q5_K", 256, 176, true},
    {T::kQ6_K, "Q6_K", 256, 210, true},
    {T::kQ8_K, "Q8_K", 256, 292, true},
    {T::kIQ2_XXS, "IQ2_XXS", 256, 66, true},
    {T::kIQ2_XS, "IQ2_XS", 256, 74, true},
    {T::kIQ3_XXS, "IQ3_XXS", 256, 98, true},
    {T::kIQ1_S, "IQ1_S", 256, 50, true},
    {T::kIQ4_NL, "IQ4_NL", 32, 18, true},
    {T::kIQ3_S, "IQ3_S", 256, 110, true},
    {T::kIQ2_S, "IQ2_S", 256, 82, true},
    {T::kIQ4_XS, "IQ4_XS", 256, 136, true},
    {T::kI8, "I8", 1, 1, false},
    {T::kI16, "I16", 1, 2, false},
    {T::kI32, "I32", 1, 4, false},
    {T::kI64, "I64", 1, 8, false},
    {T::kF64, "F64", 1, 8, false},
    {T::kIQ1_M, "IQ1_M", 256, 56, true},
    {T::kBF16, "BF16", 1, 2, false},
    {T::kTQ1_0, "TQ1_0", 256, 54, true},
    {T::kTQ2_0, "TQ2_0", 256, 66, true},
    {T::kMXFP4, "MXFP4", 32, 17, true},
}};

const GgmlTypeTraits* find_traits(int64_t id) {
  for (const auto& t : kTypes)
    if (static_cast<int64_t>(t.type) == id) return &t;
  return nullptr;
}

}  // namespace

Result<GgmlTypeTraits> ggml_type_traits(int64_t id) {
  if (const auto* t = find_traits(id)) return *t;
  bool removed = id == 4 || id == 5 || (id >= 31 && id <= 33) || (id >= 36 && id <= 38);
  if (removed) return Error::format("tensor type {} was removed from ggml and is no longer supported", id);
  return Error::format("unknown tensor type {}", id);
}

const GgmlTypeTraits& traits_of(GgmlType type) {
  return *find_traits(static_cast<int64_t>(type));
}

std::string_view ggml_type_name(GgmlType type) {
  return traits_of(type).name;
}

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
  for (const auto& t : kTypes) {
    bool same = t.name.size() == name.size() &&
                std::equal(name.begin(), name.end(), t.name.begin(),
                           [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
    if (same) return t.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> ggml_row_bytes(GgmlType type, uint64_t n_elements) {
  const auto& t = traits_of(type);
  if (n_elements % t.block_size != 0) return std::nullopt;
  uint64_t blocks = n_elements / t.block_size;
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(blocks, static_cast<uint64_t>(t.type_size), &bytes)) return std::nullopt;
  return bytes;
}

std::string_view file_type_name(uint32_t file_type) {
  // The "guessed" flag does not change the name.
  switch (file_type & ~1024u) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K_S";
    case 12: return "Q3_K_M";
    case 13: return "Q3_K_L";
    case 14: return "Q4_K_S";
    case 15: return "Q4_K_M";
    case 16: return "Q5_K_S";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 19: return "IQ2_XXS";
    case 20: return "IQ2_XS";
    case 21: return "Q2_K_S";
    case 22: return "IQ3_XS";
    case 23: return "IQ3_XXS";
    case 24: return "IQ1_S";
    case 25: return "IQ4_NL";
    case 26: return "IQ3_S";
    case 27: return "IQ3_M";
    case 28: return "IQ2_S";
    case 29: return "IQ2_M";
    case 30: return "IQ4_XS";
    case 31: return "IQ1_M";
    case 32: return "BF16";
    case 36: return "TQ1_0";
    case 37: return "TQ2_0";
    case 38: return "MXFP4_MOE";
    default: return "unknown";
  }
}

}  // namespace corral
