// The token table of a vocabulary: texts, types, scores and a compact text -> id hash map, built
// once from `tokenizer.ggml.*` arrays (262k-token vocabularies load in milliseconds).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/value.h"

namespace corral {

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

// `tokenizer.ggml.token_type` values.
enum class TokenType : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

class Vocab {
 public:
  // Reads tokens (required), token_type and scores (optional) from the metadata. Empty texts
  // become "[EMPTY_<id>]" (as llama.cpp names them); duplicate texts are an error.
  static Result<Vocab> from_metadata(const GgufMetadata& metadata);

  size_t size() const { return types_.size(); }
  bool contains(TokenId id) const { return id >= 0 && static_cast<size_t>(id) < size(); }

  std::string_view text(TokenId id) const {
    return std::string_view(arena_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  TokenType type(TokenId id) const { return types_[id]; }
  void set_type(TokenId id, TokenType type) { types_[id] = type; }
  float score(TokenId id) const { return scores_.empty() ? 0.0f : scores_[id]; }

  // The id whose text is exactly `text`, or kNoToken.
  TokenId find(std::string_view text) const;

 private:
  Vocab() = default;
  Status build_index();

  std::string arena_;              // all token texts back to back
  std::vector<uint32_t> offsets_;  // size() + 1 offsets into arena_
  std::vector<TokenType> types_;
  std::vector<float> scores_;    // empty when the file has none
  std::vector<uint32_t> slots_;  // open addressing: id + 1, 0 = empty
  uint32_t slot_mask_ = 0;
};

// 64-bit FNV-1a, the hash of the token maps.
uint64_t hash_bytes(std::string_view s);

}  // namespace corral
