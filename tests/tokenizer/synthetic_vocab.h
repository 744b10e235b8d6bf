// Tiny vocabularies for tokenizer unit tests, written with GgufWriter and read back as GGUF.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "gguf/writer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace corral::testing {

struct VocabToken {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
};

// A SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF> (ids 3..258), then
// `extra` from id 259.
inline std::vector<VocabToken> spm_tokens(const std::vector<VocabToken>& extra) {
  std::vector<VocabToken> t = {
      {"<unk>", 0, TokenType::kUnknown}, {"<s>", 0, TokenType::kControl}, {"</s>", 0, TokenType::kControl}};
  for (int b = 0; b < 256; ++b) t.push_back({fmt::format("<0x{:02X}>", b), 0, TokenType::kByte});
  t.insert(t.end(), extra.begin(), extra.end());
  return t;
}
inline constexpr TokenId kSpmFirstExtra = 259;
inline TokenId spm_byte(uint8_t b) {
  return 3 + b;
}

// GgufWriter -> bytes -> GgufFile -> Tokenizer, as a model file would go.
class SyntheticVocab {
 public:
  GgufWriter writer;

  SyntheticVocab(std::string model, const std::vector<VocabToken>& tokens) {
    writer.set("general.architecture", "llama");
    writer.set("tokenizer.ggml.model", std::move(model));
    std::vector<std::string> texts;
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (const auto& t : tokens) {
      texts.push_back(t.text);
      scores.push_back(t.score);
      types.push_back(static_cast<int32_t>(t.type));
    }
    writer.set("tokenizer.ggml.tokens", make_string_array(texts));
    writer.set("tokenizer.ggml.scores", make_array(GgufValueType::kF32, scores));
    writer.set("tokenizer.ggml.token_type", make_array(GgufValueType::kI32, types));
  }

  Result<std::unique_ptr<Tokenizer>> load() {
    auto bytes = writer.serialize();
    if (!bytes.ok()) return std::move(bytes).error();
    bytes_ = std::move(bytes).value();
    auto file = GgufFile::parse(bytes_, "synthetic.gguf");
    if (!file.ok()) return std::move(file).error();
    return Tokenizer::from_metadata(file->metadata());
  }

 private:
  std::vector<std::byte> bytes_;
};

// A byte-level BPE vocabulary holding the 256 single-byte symbols of GPT-2's alphabet (ids 0..255
// in byte order) followed by `extra`.
inline std::vector<VocabToken> bpe_tokens(const std::vector<VocabToken>& extra) {
  ByteUnicodeTable table;
  std::vector<VocabToken> t;
  for (int b = 0; b < 256; ++b) t.push_back({std::string(table.encode(static_cast<uint8_t>(b)))});
  t.insert(t.end(), extra.begin(), extra.end());
  return t;
}

}  // namespace corral::testing
