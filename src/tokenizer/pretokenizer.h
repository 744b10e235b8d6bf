// Byte-level BPE pre-tokenizers: `tokenizer.ggml.pre` names mapped to lists of regular expressions
// (compiled with PCRE2, UTF + UCP, JIT when available) that cut text into words before BPE.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral {

// One row of the pre-tokenizer table (engine-spec §6.5).
struct PreTokenizerRules {
  std::string_view list_name;                 // "LLAMA3", "QWEN2", ... (for messages)
  std::span<const std::string_view> regexes;  // in the spec's notation, translated at compile time
  bool clean_spaces = true;                   // detokenizer clean-up
  bool ignore_merges = false;                 // a word that is a token is emitted as is
  bool add_bos = false;                       // default of add_bos_token
  bool add_sep = false;                       // default of add_sep_token
  bool clear_bos = false;                     // the vocabulary has no BOS
};

// The rules for a `tokenizer.ggml.pre` value, or nullptr when the name is not known.
const PreTokenizerRules* find_pre_tokenizer(std::string_view name);
// The rules used for "default", a missing name and unknown names.
const PreTokenizerRules& default_pre_tokenizer();

// Translates a regex from the spec's notation to PCRE2 with the same meaning as in llama.cpp:
// \s and \S use llama.cpp's whitespace set, \d is [0-9], \uXXXX/\UXXXXXXXX become \x{...}, and \p{S}
// excludes '~' (llama.cpp's ASCII symbol class lacks it). Exposed for tests.
std::string translate_regex(std::string_view spec_regex);

class PreTokenizer {
 public:
  static Result<PreTokenizer> compile(const PreTokenizerRules& rules);
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  // Splits valid UTF-8 `text` into words. Each regex cuts every current piece into its matches and
  // the stretches between them (both kept, in order); the next regex works inside each piece.
  // Views point into `text`.
  void split(std::string_view text, std::vector<std::string_view>& words) const;

 private:
  struct Compiled;
  explicit PreTokenizer(std::vector<std::unique_ptr<Compiled>> regexes);
  std::vector<std::unique_ptr<Compiled>> regexes_;
};

}  // namespace corral
