// The tokenizer interface: text <-> token ids for a vocabulary read from GGUF metadata. Two models
// implement it, chosen by `tokenizer.ggml.model`: "llama" (SentencePiece BPE over scores, spm.cpp)
// and "gpt2" (byte-level BPE over merge ranks, bpe.cpp). Behaviour follows engine-spec §6.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "gguf/value.h"
#include "tokenizer/vocab.h"

namespace corral {

enum class TokenizerModel { kSpm, kBpe };

// Special ids (kNoToken when absent) and the flags that shape encoding and decoding, after the
// model's defaults and the GGUF keys are applied.
struct TokenizerConfig {
  TokenizerModel model = TokenizerModel::kSpm;
  std::string pre;  // tokenizer.ggml.pre as found ("" when missing)
  TokenId bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken, unk = kNoToken;
  TokenId sep = kNoToken, pad = kNoToken, mask = kNoToken;
  TokenId fim_pre = kNoToken, fim_suf = kNoToken, fim_mid = kNoToken;
  TokenId fim_pad = kNoToken, fim_rep = kNoToken, fim_sep = kNoToken;
  bool add_bos = false, add_eos = false, add_sep = false;
  bool add_space_prefix = false;  // SPM: " " before the first raw fragment and after special tokens
  bool clean_spaces = false;      // decode: " ." -> "." and similar (lossy)
  bool ignore_merges = false;     // BPE: a pre-token that is a token is emitted whole
  bool phi3_strip = false;        // phi-3: special tokens swallow the whitespace after them
  std::vector<TokenId> eog;       // end-of-generation ids, sorted
};

// Reads special ids and flags (engine-spec §6.1, §6.6) and applies the load-time type adjustments
// to `vocab` (end-of-turn texts become CONTROL, ...). Warns once for an unknown pre-tokenizer.
Result<TokenizerConfig> read_tokenizer_config(const GgufMetadata& metadata, Vocab& vocab);

struct EncodeOptions {
  bool add_special = true;     // BOS/EOS as the vocabulary asks
  bool parse_special = false;  // control tokens written in the text become their ids
};

struct DecodeOptions {
  bool remove_special = false;                      // drop a leading BOS / trailing EOS the vocabulary would add
  bool render_special = false;                      // control tokens as their text (else hidden)
  bool strip_prefix_space = true;                   // undo the SPM space prefix on the first token (llama.cpp's rule)
  std::optional<bool> clean_spaces = std::nullopt;  // default: the vocabulary's flag
};

// Immutable once built: encode, piece and decode are const and may run on several threads at once.
class Tokenizer {
 public:
  // Builds the tokenizer a GGUF file's metadata describes. Errors: no or unsupported
  // tokenizer.ggml.model, malformed arrays, unparsable merges.
  static Result<std::unique_ptr<Tokenizer>> from_metadata(const GgufMetadata& metadata);
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  const Vocab& vocab() const { return vocab_; }
  const TokenizerConfig& config() const { return config_; }
  size_t size() const { return vocab_.size(); }

  // Fails only when SPM byte fallback needs a byte token the vocabulary lacks.
  Result<std::vector<TokenId>> encode(std::string_view text, const EncodeOptions& options = {}) const;

  // The bytes of one token. Control and unknown tokens are empty unless `render_special`.
  // `lstrip` drops up to that many leading spaces. An invalid id is a caller bug (CORRAL_CHECK).
  std::string piece(TokenId id, bool render_special, int lstrip = 0) const;
  // llama.cpp's detokenizer (engine-spec §6.7). Ids must be valid (check with vocab().contains).
  std::string decode(std::span<const TokenId> ids, const DecodeOptions& options = {}) const;

  // End of generation: EOS, EOT, EOM, FIM pad/rep/sep and the well-known end-of-turn texts.
  bool is_eog(TokenId id) const;
  std::span<const TokenId> eog_ids() const { return config_.eog; }
  bool is_control(TokenId id) const { return vocab_.type(id) == TokenType::kControl; }

 protected:
  Tokenizer(Vocab vocab, TokenizerConfig config);

  // Encodes one stretch of text that holds no special token; `after_special` is true at the start
  // and after a special token (SPM uses it for the space prefix).
  virtual Status encode_raw(std::string_view text, bool after_special, std::vector<TokenId>& out) const = 0;
  // Appends the bytes of a NORMAL or BYTE token.
  virtual void append_text_piece(TokenId id, std::string& out) const = 0;

 private:
  struct Fragment {
    TokenId id;  // kNoToken for raw text
    std::string_view text;
  };
  std::vector<Fragment> partition(std::string_view text, bool parse_special) const;
  std::vector<TokenId> specials_in(std::string_view text, bool parse_special) const;
  void finish_setup();

  Vocab vocab_;
  TokenizerConfig config_;
  std::vector<TokenId> special_by_length_;  // control/user-defined/unknown, longest text first
  // Index of the candidates' texts for specials_in: a bit per two-byte prefix, the distinct text
  // lengths per prefix, and the one-byte candidates.
  std::vector<uint64_t> special_prefix_bits_;
  std::unordered_map<uint16_t, std::vector<uint32_t>> special_lengths_;
  std::vector<TokenId> special_single_byte_;  // by byte; kNoToken when none
  std::vector<uint8_t> rstrip_;               // per-token attribute, empty unless phi-3
};

// The two implementations (spm.cpp, bpe.cpp); from_metadata picks one.
Result<std::unique_ptr<Tokenizer>> make_spm_tokenizer(Vocab vocab, TokenizerConfig config);
Result<std::unique_ptr<Tokenizer>> make_bpe_tokenizer(Vocab vocab, TokenizerConfig config,
                                                      const GgufMetadata& metadata);

}  // namespace corral
