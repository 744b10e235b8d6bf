// What both tokenizer models share: choosing the model, the special-token partition (engine-spec
// §6.2), BOS/EOS, pieces and llama.cpp's detokenizer with its optional space clean-up (§6.7).
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "base/check.h"

namespace corral {
namespace {

uint16_t two_bytes(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) << 8 | static_cast<uint8_t>(p[1]));
}

bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// " ?", " !", " .", " ," lose the space.
std::string clean_punctuation(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char x = s[i];
    if (i > 0 && s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) out.pop_back();
    out += x;
  }
  return out;
}

// " ' " becomes "'". A space removed after an apostrophe no longer counts as one.
std::string clean_lone_apostrophe(std::string s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char x = s[i];
    if (i > 0 && x == '\'' && i + 1 < s.size() && s[i - 1] == ' ' && s[i + 1] == ' ') {
      out.pop_back();
      s[++i] = '\0';
    }
    out += x;
  }
  return out;
}

// " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it, as in llama.cpp).
std::string clean_contractions(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char x = s[i];
    if (i > 0 && s[i - 1] == ' ' && x == '\'' && i + 1 < s.size()) {
      const char x1 = s[i + 1];
      const bool two = i + 2 < s.size();
      if (x1 == 's' || x1 == 'm' || (two && ((x1 == 'r' && s[i + 2] == 'e') || (x1 == 'v' && s[i + 2] == 'e'))))
        out.pop_back();
    }
    out += x;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_metadata(const GgufMetadata& metadata) {
  if (!metadata.contains("tokenizer.ggml.model")) return Error("no tokenizer: tokenizer.ggml.model is missing");
  CORRAL_ASSIGN_OR_RETURN(Vocab vocab, Vocab::from_metadata(metadata));
  CORRAL_ASSIGN_OR_RETURN(TokenizerConfig config, read_tokenizer_config(metadata, vocab));
  if (config.model == TokenizerModel::kSpm) return make_spm_tokenizer(std::move(vocab), std::move(config));
  return make_bpe_tokenizer(std::move(vocab), std::move(config), metadata);
}

Tokenizer::Tokenizer(Vocab vocab, TokenizerConfig config) : vocab_(std::move(vocab)), config_(std::move(config)) {
  finish_setup();
}

void Tokenizer::finish_setup() {
  for (size_t i = 0; i < vocab_.size(); ++i) {
    const auto id = static_cast<TokenId>(i);
    const TokenType t = vocab_.type(id);
    if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown)
      special_by_length_.push_back(id);
  }
  std::stable_sort(special_by_length_.begin(), special_by_length_.end(),
                   [&](TokenId a, TokenId b) { return vocab_.text(a).size() > vocab_.text(b).size(); });
  special_prefix_bits_.assign(65536 / 64, 0);
  special_single_byte_.assign(256, kNoToken);
  for (TokenId id : special_by_length_) {
    const std::string_view t = vocab_.text(id);
    if (t.size() == 1) {
      special_single_byte_[static_cast<uint8_t>(t[0])] = id;
      continue;
    }
    const uint16_t prefix = two_bytes(t.data());
    special_prefix_bits_[prefix / 64] |= uint64_t{1} << (prefix % 64);
    auto& lengths = special_lengths_[prefix];
    if (std::find(lengths.begin(), lengths.end(), t.size()) == lengths.end()) lengths.push_back(t.size());
  }
  if (config_.phi3_strip) {
    // phi-3 special tokens swallow the whitespace that follows them, except these three.
    rstrip_.assign(vocab_.size(), 0);
    for (TokenId id : special_by_length_) rstrip_[id] = 1;
    rstrip_[vocab_.find("</s>")] = 1;
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) rstrip_[vocab_.find(text)] = 0;
  }
}

// The candidates that occur in the text, in partition order (longest first, then by id). One pass
// with hash lookups, so vocabularies with thousands of control tokens cost little per byte.
std::vector<TokenId> Tokenizer::specials_in(std::string_view text, bool parse_special) const {
  std::vector<TokenId> found;
  auto consider = [&](TokenId id) {
    const TokenType t = vocab_.type(id);
    if (t == TokenType::kUserDefined || (parse_special && (t == TokenType::kControl || t == TokenType::kUnknown)))
      found.push_back(id);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (TokenId id = special_single_byte_[static_cast<uint8_t>(text[i])]; id != kNoToken) consider(id);
    if (i + 1 >= text.size()) break;
    const uint16_t prefix = two_bytes(text.data() + i);
    if ((special_prefix_bits_[prefix / 64] >> (prefix % 64) & 1) == 0) continue;
    for (uint32_t len : special_lengths_.at(prefix)) {
      if (len > text.size() - i) continue;
      if (TokenId id = vocab_.find(text.substr(i, len)); id != kNoToken) consider(id);
    }
  }
  std::sort(found.begin(), found.end(), [&](TokenId a, TokenId b) {
    const size_t la = vocab_.text(a).size(), lb = vocab_.text(b).size();
    return la != lb ? la > lb : a < b;
  });
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::vector<Tokenizer::Fragment> Tokenizer::partition(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments, next;
  if (text.empty()) return fragments;
  fragments.push_back({kNoToken, text});
  for (TokenId id : specials_in(text, parse_special)) {
    const std::string_view special = vocab_.text(id);
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.id != kNoToken) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (size_t pos = rest.find(special); pos != std::string_view::npos; pos = rest.find(special)) {
        if (pos > 0) next.push_back({kNoToken, rest.substr(0, pos)});
        next.push_back({id, special});
        rest.remove_prefix(pos + special.size());
        if (!rstrip_.empty() && rstrip_[id])
          while (!rest.empty() && is_c_space(rest.front())) rest.remove_prefix(1);
      }
      if (!rest.empty()) next.push_back({kNoToken, rest});
    }
    fragments.swap(next);
  }
  return fragments;
}

Result<std::vector<TokenId>> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_special && config_.add_bos) out.push_back(config_.bos);
  bool after_special = true;
  for (const Fragment& f : partition(text, options.parse_special)) {
    if (f.id != kNoToken) {
      out.push_back(f.id);
      after_special = true;
    } else {
      CORRAL_TRY(encode_raw(f.text, after_special, out));
      after_special = false;
    }
  }
  if (options.add_special && config_.add_eos && config_.eos != kNoToken) out.push_back(config_.eos);
  return out;
}

std::string Tokenizer::piece(TokenId id, bool render_special, int lstrip) const {
  CORRAL_CHECK(vocab_.contains(id), "token id {} outside the vocabulary of {} tokens", id, vocab_.size());
  std::string out;
  switch (vocab_.type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
      if (render_special) out = vocab_.text(id);
      break;
    case TokenType::kUserDefined: out = vocab_.text(id); break;
    case TokenType::kNormal:
    case TokenType::kByte: append_text_piece(id, out); break;
    case TokenType::kUnused:
    case TokenType::kUndefined: break;
  }
  size_t strip = 0;
  while (static_cast<int>(strip) < lstrip && strip < out.size() && out[strip] == ' ') ++strip;
  out.erase(0, strip);
  return out;
}

std::string Tokenizer::decode(std::span<const TokenId> ids, const DecodeOptions& options) const {
  bool remove_space = config_.add_space_prefix && options.strip_prefix_space;
  if (options.remove_special && config_.add_bos && !ids.empty() && ids.front() == config_.bos) {
    // llama.cpp keeps the prefix space when it removes the BOS.
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (options.remove_special && config_.add_eos && !ids.empty() && ids.back() == config_.eos)
    ids = ids.first(ids.size() - 1);
  std::string out;
  for (TokenId id : ids) {
    out += piece(id, options.render_special, remove_space ? 1 : 0);
    remove_space = false;
  }
  if (options.clean_spaces.value_or(config_.clean_spaces))
    out = clean_contractions(clean_lone_apostrophe(clean_punctuation(out)));
  return out;
}

bool Tokenizer::is_eog(TokenId id) const {
  return std::binary_search(config_.eog.begin(), config_.eog.end(), id);
}

}  // namespace corral
