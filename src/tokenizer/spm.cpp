// SentencePiece-style BPE ("llama"): spaces become U+2581, characters merge pairwise by the score of
// the token they form (highest first, leftmost on ties), and characters that are not tokens fall
// back to byte tokens <0xHH> (engine-spec §6.3).
#include <algorithm>
#include <array>
#include <queue>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace corral {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK
constexpr size_t kMaxInnerWordStarts = 64;               // beyond this, encode the whole text at once

struct Symbol {
  uint32_t start;
  uint32_t n;  // byte length; 0 once merged into its left neighbour
  int32_t prev, next;
};

struct Bigram {
  float score;
  int32_t left, right;
  uint32_t size;  // byte length of the pair when it was queued; a mismatch means stale
};

struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class SpmTokenizer final : public Tokenizer {
 public:
  SpmTokenizer(Vocab vocab, TokenizerConfig config) : Tokenizer(std::move(vocab), std::move(config)) {
    for (int b = 0; b < 256; ++b) {
      TokenId id = this->vocab().find(fmt::format("<0x{:02X}>", b));
      if (id == kNoToken) id = this->vocab().find(std::string(1, static_cast<char>(b)));
      byte_tokens_[b] = id;
    }
    find_inner_word_starts();
  }

 protected:
  Status encode_raw(std::string_view text, bool after_special, std::vector<TokenId>& out) const override {
    std::string escaped;
    escaped.reserve(text.size() + 8);
    if (config().add_space_prefix && after_special) escaped += kSpaceMark;
    for (char c : text) {
      if (c == ' ') {
        escaped += kSpaceMark;
      } else {
        escaped += c;
      }
    }
    return encode_escaped(escaped, out);
  }

  void append_text_piece(TokenId id, std::string& out) const override {
    std::string_view text = vocab().text(id);
    if (vocab().type(id) == TokenType::kByte) {
      if (text.size() == 6 && text.substr(0, 3) == "<0x" && text[5] == '>' && hex_value(text[3]) >= 0 &&
          hex_value(text[4]) >= 0)
        out += static_cast<char>(hex_value(text[3]) * 16 + hex_value(text[4]));
      return;
    }
    for (size_t pos = 0; pos < text.size();) {
      if (text.substr(pos, kSpaceMark.size()) == kSpaceMark) {
        out += ' ';
        pos += kSpaceMark.size();
      } else {
        out += text[pos++];
      }
    }
  }

 private:
  // A merge can cross the start of a word ("X▁", X not ▁) only if some token contains "X▁". Where
  // none does, words are encoded one by one: the same tokens, from small queues instead of one
  // queue over the whole text.
  Status encode_escaped(std::string_view text, std::vector<TokenId>& out) const {
    if (!can_split_at_word_starts_) return encode_chunk(text, out);
    size_t begin = 0, prev = 0;
    for (size_t pos = 0; pos < text.size();) {
      const size_t n = std::min(spm_char_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
      if (pos > 0 && is_mark(text.substr(pos, n)) && !is_mark(text.substr(prev, pos - prev)) &&
          !joins_word_start(text.substr(prev, pos - prev))) {
        CORRAL_TRY(encode_chunk(text.substr(begin, pos - begin), out));
        begin = pos;
      }
      prev = pos;
      pos += n;
    }
    return encode_chunk(text.substr(begin), out);
  }
  static bool is_mark(std::string_view c) { return c == kSpaceMark; }
  bool joins_word_start(std::string_view c) const {
    return std::find(chars_before_inner_mark_.begin(), chars_before_inner_mark_.end(), c) !=
           chars_before_inner_mark_.end();
  }
  // Collects the characters X of every "X▁" inside a token (Gemma 3 has one: ">▁</").
  void find_inner_word_starts() {
    for (size_t i = 0; i < vocab().size(); ++i) {
      const std::string_view t = vocab().text(static_cast<TokenId>(i));
      size_t prev = 0;
      for (size_t pos = 0; pos < t.size();) {
        const size_t n = std::min(spm_char_length(static_cast<uint8_t>(t[pos])), t.size() - pos);
        const std::string_view before = t.substr(prev, pos - prev);
        if (pos > 0 && is_mark(t.substr(pos, n)) && !is_mark(before) && !joins_word_start(before))
          chars_before_inner_mark_.emplace_back(before);
        prev = pos;
        pos += n;
      }
    }
    can_split_at_word_starts_ = chars_before_inner_mark_.size() <= kMaxInnerWordStarts;
  }
  Status encode_chunk(std::string_view text, std::vector<TokenId>& out) const;
  void push_bigram(std::string_view text, const std::vector<Symbol>& symbols, int32_t left, int32_t right,
                   std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder>& queue) const {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    const TokenId id = vocab().find(text.substr(l.start, l.n + r.n));
    if (id == kNoToken) return;
    queue.push({vocab().score(id), left, right, l.n + r.n});
  }

  std::array<TokenId, 256> byte_tokens_{};
  std::vector<std::string> chars_before_inner_mark_;
  bool can_split_at_word_starts_ = false;
};

Status SpmTokenizer::encode_chunk(std::string_view text, std::vector<TokenId>& out) const {
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = std::min(spm_char_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(n), index - 1, index + 1});
    pos += n;
  }
  if (symbols.empty()) return {};
  symbols.back().next = -1;

  std::vector<Bigram> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue(BigramOrder{}, std::move(storage));
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) push_bigram(text, symbols, i - 1, i, queue);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    push_bigram(text, symbols, l.prev, b.left, queue);
    push_bigram(text, symbols, b.left, l.next, queue);
  }

  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view s = text.substr(symbols[i].start, symbols[i].n);
    if (TokenId id = vocab().find(s); id != kNoToken) {
      out.push_back(id);
      continue;
    }
    // Merges only form tokens, so this is one character the vocabulary lacks: spell its bytes.
    for (char c : s) {
      const TokenId id = byte_tokens_[static_cast<uint8_t>(c)];
      if (id == kNoToken)
        return Error::format("the vocabulary has no token for byte 0x{:02X} (no <0x{:02X}> byte token)",
                             static_cast<uint8_t>(c), static_cast<uint8_t>(c));
      out.push_back(id);
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> make_spm_tokenizer(Vocab vocab, TokenizerConfig config) {
  return std::unique_ptr<Tokenizer>(std::make_unique<SpmTokenizer>(std::move(vocab), std::move(config)));
}

}  // namespace corral
