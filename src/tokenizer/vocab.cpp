// Loading the token table and its text -> id index.
#include "tokenizer/vocab.h"

#include <bit>

#include "base/check.h"

namespace corral {
namespace {

constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";

// Any integer element type is accepted for token types (files use i32).
Result<std::vector<TokenType>> read_types(const GgufArray& array, size_t n) {
  std::vector<TokenType> types(n, TokenType::kNormal);
  if (array.size() != n) return Error::format("{} has {} entries for {} tokens", kTypesKey, array.size(), n);
  Status status;
  std::visit(
      [&](const auto& values) {
        using V = typename std::decay_t<decltype(values)>::value_type;
        if constexpr (std::is_integral_v<V>) {
          for (size_t i = 0; i < n; ++i) {
            auto t = static_cast<int64_t>(values[i]);
            types[i] = (t >= 0 && t <= 6) ? static_cast<TokenType>(t) : TokenType::kUndefined;
          }
        } else {
          status = Error::format("{} is not an integer array", kTypesKey);
        }
      },
      array.elements);
  if (!status.ok()) return std::move(status).error();
  return types;
}

}  // namespace

uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

Result<Vocab> Vocab::from_metadata(const GgufMetadata& metadata) {
  const GgufValue* tokens_value = metadata.find(kTokensKey);
  if (tokens_value == nullptr) return Error::format("no tokenizer: {} is missing", kTokensKey);
  const GgufArray* tokens_array = tokens_value->as_array();
  const auto* texts = tokens_array ? std::get_if<std::vector<std::string>>(&tokens_array->elements) : nullptr;
  if (texts == nullptr) return Error::format("{} is not a string array", kTokensKey);
  if (texts->empty()) return Error::format("{} is empty", kTokensKey);
  if (texts->size() >= static_cast<size_t>(INT32_MAX)) return Error::format("{} is too large", kTokensKey);
  const size_t n = texts->size();

  Vocab vocab;
  size_t total = 0;
  for (const auto& t : *texts) total += t.empty() ? 24 : t.size();
  if (total > UINT32_MAX) return Error::format("{}: token texts exceed 4 GiB", kTokensKey);
  vocab.arena_.reserve(total);
  vocab.offsets_.reserve(n + 1);
  for (size_t i = 0; i < n; ++i) {
    vocab.offsets_.push_back(static_cast<uint32_t>(vocab.arena_.size()));
    if ((*texts)[i].empty()) {
      vocab.arena_ += "[EMPTY_" + std::to_string(i) + "]";
    } else {
      vocab.arena_ += (*texts)[i];
    }
  }
  vocab.offsets_.push_back(static_cast<uint32_t>(vocab.arena_.size()));

  vocab.types_.assign(n, TokenType::kNormal);
  if (const GgufValue* v = metadata.find(kTypesKey)) {
    const GgufArray* a = v->as_array();
    if (a == nullptr) return Error::format("{} is not an array", kTypesKey);
    CORRAL_ASSIGN_OR_RETURN(vocab.types_, read_types(*a, n));
  }
  if (const GgufValue* v = metadata.find(kScoresKey)) {
    const GgufArray* a = v->as_array();
    const auto* scores = a ? std::get_if<std::vector<float>>(&a->elements) : nullptr;
    if (scores == nullptr) return Error::format("{} is not an f32 array", kScoresKey);
    if (scores->size() != n) return Error::format("{} has {} entries for {} tokens", kScoresKey, scores->size(), n);
    vocab.scores_ = *scores;
  }
  CORRAL_TRY(vocab.build_index());
  return vocab;
}

Status Vocab::build_index() {
  // Load factor at most 1/2 keeps probe chains short; 262144 tokens need 2 MiB of slots.
  const size_t capacity = std::bit_ceil(size() * 2);
  slots_.assign(capacity, 0);
  slot_mask_ = static_cast<uint32_t>(capacity - 1);
  for (size_t id = 0; id < size(); ++id) {
    std::string_view t = text(static_cast<TokenId>(id));
    uint32_t slot = static_cast<uint32_t>(hash_bytes(t)) & slot_mask_;
    while (slots_[slot] != 0) {
      if (text(static_cast<TokenId>(slots_[slot] - 1)) == t)
        return Error::format("tokenizer.ggml.tokens: token {} repeats the text of token {}", id, slots_[slot] - 1);
      slot = (slot + 1) & slot_mask_;
    }
    slots_[slot] = static_cast<uint32_t>(id + 1);
  }
  return {};
}

TokenId Vocab::find(std::string_view t) const {
  uint32_t slot = static_cast<uint32_t>(hash_bytes(t)) & slot_mask_;
  while (slots_[slot] != 0) {
    const auto id = static_cast<TokenId>(slots_[slot] - 1);
    if (text(id) == t) return id;
    slot = (slot + 1) & slot_mask_;
  }
  return kNoToken;
}

}  // namespace corral
