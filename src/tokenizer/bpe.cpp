// Byte-level BPE ("gpt2"): text is cut into words by the pre-tokenizer regexes, each word's bytes
// are spelled in GPT-2's printable alphabet, and adjacent symbols merge by the rank of their pair
// in tokenizer.ggml.merges (lowest first, leftmost on ties) (engine-spec §6.4).
#include <bit>
#include <map>
#include <queue>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace corral {
namespace {

constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

// (left id, right id) -> (rank, id of the merged text). Open addressing over 64-bit keys.
class MergeTable {
 public:
  struct Entry {
    uint32_t rank;
    TokenId merged;
  };

  void reserve(size_t n) {
    const size_t capacity = std::bit_ceil(std::max<size_t>(n * 2, 16));
    keys_.assign(capacity, kEmpty);
    entries_.assign(capacity, {});
    mask_ = capacity - 1;
  }
  // Keeps the first (lowest) rank of a repeated pair.
  void insert(TokenId left, TokenId right, Entry e) {
    const uint64_t key = make_key(left, right);
    size_t slot = hash(key) & mask_;
    while (keys_[slot] != kEmpty) {
      if (keys_[slot] == key) return;
      slot = (slot + 1) & mask_;
    }
    keys_[slot] = key;
    entries_[slot] = e;
  }
  const Entry* find(TokenId left, TokenId right) const {
    const uint64_t key = make_key(left, right);
    for (size_t slot = hash(key) & mask_; keys_[slot] != kEmpty; slot = (slot + 1) & mask_)
      if (keys_[slot] == key) return &entries_[slot];
    return nullptr;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t make_key(TokenId l, TokenId r) {
    return (uint64_t{static_cast<uint32_t>(l)} << 32) | static_cast<uint32_t>(r);
  }
  static size_t hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return static_cast<size_t>(k);
  }
  std::vector<uint64_t> keys_;
  std::vector<Entry> entries_;
  size_t mask_ = 0;
};

struct Symbol {
  uint32_t start, n;  // bytes of the spelled word; n = 0 once merged into the left neighbour
  int32_t prev, next;
  TokenId id;  // the token this symbol's text is, or kNoToken
};

struct Candidate {
  uint32_t rank;
  int32_t left, right;
  uint32_t size;  // byte length of the pair when queued; a mismatch means stale
  TokenId merged;
};

struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(Vocab vocab, TokenizerConfig config, PreTokenizer pre)
      : Tokenizer(std::move(vocab), std::move(config)), pre_(std::move(pre)) {
    for (int b = 0; b < 256; ++b) byte_char_token_[b] = this->vocab().find(bytes_.encode(static_cast<uint8_t>(b)));
  }

  Status load_merges(const GgufMetadata& metadata);

 protected:
  Status encode_raw(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const override {
    const std::string clean = sanitize_utf8(text);
    std::vector<std::string_view> words;
    pre_.split(clean, words);
    Workspace ws;
    for (std::string_view w : words) encode_word(w, ws, out);
    return {};
  }

  void append_text_piece(TokenId id, std::string& out) const override {
    if (vocab().type(id) != TokenType::kNormal) return;
    const std::string_view text = vocab().text(id);
    for (size_t pos = 0; pos < text.size();) {
      uint32_t cp = 0;
      size_t n = std::min(spm_char_length(static_cast<uint8_t>(text[pos])), text.size() - pos);
      cp = static_cast<uint8_t>(text[pos]);
      if (n == 2) cp = ((cp & 0x1F) << 6) | (static_cast<uint8_t>(text[pos + 1]) & 0x3F);
      const int byte = n <= 2 ? bytes_.decode(cp) : -1;
      if (byte >= 0) {
        out += static_cast<char>(byte);
      } else {
        // llama.cpp's marker for a code point outside the byte alphabet.
        out += "[UNK_BYTE_0x";
        for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", static_cast<uint8_t>(text[pos + i]));
        out += text;
        out += "]";
      }
      pos += n;
    }
  }

 private:
  struct Workspace {
    std::string spelled;
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };

  void encode_word(std::string_view word, Workspace& ws, std::vector<TokenId>& out) const;
  void push_candidate(Workspace& ws, int32_t left, int32_t right) const;

  PreTokenizer pre_;
  ByteUnicodeTable bytes_;
  std::array<TokenId, 256> byte_char_token_{};
  MergeTable merges_;
  // Merges whose sides are not both tokens (none in complete vocabularies), keyed by text.
  std::map<std::pair<std::string, std::string>, uint32_t, std::less<>> text_merges_;
};

Status BpeTokenizer::load_merges(const GgufMetadata& metadata) {
  const GgufValue* value = metadata.find(kMergesKey);
  if (value == nullptr) return Error::format("{} is missing (required for byte-level BPE)", kMergesKey);
  const GgufArray* array = value->as_array();
  const auto* merges = array ? std::get_if<std::vector<std::string>>(&array->elements) : nullptr;
  if (merges == nullptr) return Error::format("{} is not a string array", kMergesKey);
  merges_.reserve(merges->size());
  std::string joined;
  for (size_t rank = 0; rank < merges->size(); ++rank) {
    const std::string& m = (*merges)[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos)
      return Error::format("{}[{}] = \"{}\" is not two symbols separated by a space", kMergesKey, rank, m);
    const std::string_view left = std::string_view(m).substr(0, space);
    const std::string_view right = std::string_view(m).substr(space + 1);
    const TokenId l = vocab().find(left), r = vocab().find(right);
    if (l != kNoToken && r != kNoToken) {
      joined.assign(left).append(right);
      merges_.insert(l, r, {static_cast<uint32_t>(rank), vocab().find(joined)});
    } else {
      text_merges_.emplace(std::make_pair(std::string(left), std::string(right)), static_cast<uint32_t>(rank));
    }
  }
  return {};
}

void BpeTokenizer::push_candidate(Workspace& ws, int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return;
  const Symbol& l = ws.symbols[left];
  const Symbol& r = ws.symbols[right];
  Candidate c{0, left, right, l.n + r.n, kNoToken};
  if (l.id != kNoToken && r.id != kNoToken) {
    const MergeTable::Entry* e = merges_.find(l.id, r.id);
    if (e == nullptr) return;
    c.rank = e->rank;
    c.merged = e->merged;
  } else {
    if (text_merges_.empty()) return;
    const std::string_view text = ws.spelled;
    auto it = text_merges_.find(
        std::make_pair(std::string(text.substr(l.start, l.n)), std::string(text.substr(r.start, r.n))));
    if (it == text_merges_.end()) return;
    c.rank = it->second;
    c.merged = vocab().find(text.substr(l.start, l.n + r.n));
  }
  ws.heap.push_back(c);
  std::push_heap(ws.heap.begin(), ws.heap.end(), CandidateOrder{});
}

void BpeTokenizer::encode_word(std::string_view word, Workspace& ws, std::vector<TokenId>& out) const {
  ws.spelled.clear();
  ws.symbols.clear();
  for (char c : word) {
    const auto b = static_cast<uint8_t>(c);
    const std::string_view s = bytes_.encode(b);
    const auto index = static_cast<int32_t>(ws.symbols.size());
    ws.symbols.push_back({static_cast<uint32_t>(ws.spelled.size()), static_cast<uint32_t>(s.size()), index - 1,
                          index + 1, byte_char_token_[b]});
    ws.spelled += s;
  }
  if (ws.symbols.empty()) return;
  ws.symbols.back().next = -1;
  if (config().ignore_merges) {
    if (TokenId id = vocab().find(ws.spelled); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }

  ws.heap.clear();
  for (int32_t i = 1; i < static_cast<int32_t>(ws.symbols.size()); ++i) push_candidate(ws, i - 1, i);
  while (!ws.heap.empty()) {
    std::pop_heap(ws.heap.begin(), ws.heap.end(), CandidateOrder{});
    const Candidate c = ws.heap.back();
    ws.heap.pop_back();
    Symbol& l = ws.symbols[c.left];
    Symbol& r = ws.symbols[c.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != c.size) continue;
    l.n += r.n;
    l.id = c.merged;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) ws.symbols[r.next].prev = c.left;
    push_candidate(ws, l.prev, c.left);
    push_candidate(ws, c.left, l.next);
  }

  for (int32_t i = 0; i >= 0; i = ws.symbols[i].next) {
    const Symbol& s = ws.symbols[i];
    if (s.id != kNoToken) {
      out.push_back(s.id);
      continue;
    }
    // Not a token (an incomplete vocabulary): llama.cpp emits the single bytes that are tokens.
    for (char c : std::string_view(ws.spelled).substr(s.start, s.n))
      if (TokenId id = vocab().find(std::string_view(&c, 1)); id != kNoToken) out.push_back(id);
  }
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> make_bpe_tokenizer(Vocab vocab, TokenizerConfig config,
                                                      const GgufMetadata& metadata) {
  const PreTokenizerRules* rules = find_pre_tokenizer(config.pre);
  CORRAL_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::compile(rules ? *rules : default_pre_tokenizer()));
  auto tokenizer = std::make_unique<BpeTokenizer>(std::move(vocab), std::move(config), std::move(pre));
  CORRAL_TRY(tokenizer->load_merges(metadata));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

}  // namespace corral
