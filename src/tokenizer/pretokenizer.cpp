// The pre-tokenizer table (engine-spec §6.5) and its PCRE2 matcher. The regexes are kept in the
// spec's notation, as llama.cpp writes them, and translated once when a vocabulary is loaded.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.h"

#include <pcre2.h>

#include <array>
#include <utility>

#include "base/log.h"

namespace corral {
namespace {

using Regexes = std::span<const std::string_view>;

// ---- Regex lists, verbatim from engine-spec §6.5 --------------------------------------------

constexpr std::string_view kGpt2Rule = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";

constexpr std::array kDefault = {
    std::string_view(R"([\p{P}\$\+<=>\^~\|]+)"),
    kGpt2Rule,
    std::string_view(R"(\p{N}+)"),
    std::string_view(R"([0-9][0-9][0-9])"),
};
constexpr std::array kLlama3 = {std::string_view(
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)")};
constexpr std::array kGpt2 = {kGpt2Rule};
constexpr std::array kStarcoder = {std::string_view(R"(\p{N})"), kGpt2Rule};
constexpr std::array kFalcon = {
    std::string_view(R"([\p{P}\$\+<=>\^~\|`]+)"),
    kGpt2Rule,
    std::string_view(R"([0-9][0-9][0-9])"),
};
constexpr std::array kQwen2 = {std::string_view(
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)")};
constexpr std::array kDeepseekLlm = {
    std::string_view(R"([\r\n])"),
    std::string_view(
        R"(\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+)"),
    std::string_view(R"(\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+)"),
    std::string_view(R"(\s+$)"),
    std::string_view(R"([\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+)"),
    std::string_view(R"(\p{N}+)"),
};
constexpr std::array kDeepseekCoder = {
    std::string_view(R"([\r\n])"),    std::string_view(R"(\s?\p{L}+)"),
    std::string_view(R"(\s?\p{P}+)"), std::string_view(R"([\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+)"),
    std::string_view(R"(\p{N})"),
};
constexpr std::array kDeepseekV3 = {
    std::string_view(R"(\p{N}{1,3})"),
    std::string_view(R"([\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+)"),
    std::string_view(
        R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"),
};
constexpr std::array kPoro = {std::string_view(R"( ?[^(\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+)")};
constexpr std::array kViking = {
    std::string_view(R"( ?[^(\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+)"),
    std::string_view(R"(\p{N})"),
};
constexpr std::array kTekken = {std::string_view(
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)")};
constexpr std::array kGpt4o = {std::string_view(
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)")};
constexpr std::array kChameleon = {
    std::string_view(R"(<sentinel:[0-9]+>)"),    std::string_view(R"((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)"),
    std::string_view(R"(([\t\n]|    |  ))"),     std::string_view(R"(\p{N})"),
    std::string_view(R"([\p{P}!-/:-@\[-`{-~])"), kGpt2Rule,
};
constexpr std::array kSuperbpe = {
    std::string_view(R"(\p{N}+)"),
    std::string_view(R"((?=(\d{3})+(?!\d)))"),
};
constexpr std::array kBailing = {std::string_view(
    R"('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)")};
constexpr std::array kSeedCoder = {std::string_view(
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)")};

// kimi-k2: llama.cpp's hand-written matcher (engine-spec §6.5) as one regex: Han runs; an optional
// leading non-letter with non-Han letters and a case-folded contraction; numbers in threes; then
// the Llama-3 whitespace and punctuation rules.
constexpr std::array kKimi = {std::string_view(
    R"([\u4E00-\u9FFF\u3400-\u4DBF\U00020000-\U0002A6DF\U0002A700-\U0002EBEF\uF900-\uFAFF\U0002F800-\U0002FA1F]+)"
    R"(|[^\r\n\p{L}\p{N}]?(?:(?![\u4E00-\u9FFF\u3400-\u4DBF\U00020000-\U0002A6DF\U0002A700-\U0002EBEF\uF900-\uFAFF\U0002F800-\U0002FA1F])\p{L})+)"
    R"((?:'[sS]|'[tT]|'[mM]|'[dD]|'[rR][eE]|'[vV][eE]|'[lL][lL])?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)")};

// ---- Rows: a regex list plus the flags it comes with ----------------------------------------

constexpr PreTokenizerRules kDefaultRules{"DEFAULT", kDefault};
constexpr PreTokenizerRules kLlama3Rules{"LLAMA3", kLlama3, true, true, true};
constexpr PreTokenizerRules kLlama3PlainRules{"LLAMA3", kLlama3};
constexpr PreTokenizerRules kLlama3NoBosRules{"LLAMA3", kLlama3, true, false, false, false, true};
constexpr PreTokenizerRules kDeepseekLlmRules{"DSLLM", kDeepseekLlm, false};
constexpr PreTokenizerRules kDeepseekCoderRules{"DSCODER", kDeepseekCoder, false};
constexpr PreTokenizerRules kDeepseekV3Rules{"DSV3", kDeepseekV3, false};
constexpr PreTokenizerRules kFalconRules{"FALCON", kFalcon};
constexpr PreTokenizerRules kGpt2Rules{"GPT2", kGpt2};
constexpr PreTokenizerRules kGpt2SepRules{"GPT2", kGpt2, true, false, false, true};
constexpr PreTokenizerRules kGpt2NoCleanRules{"GPT2", kGpt2, false};
constexpr PreTokenizerRules kStarcoderRules{"STARCODER", kStarcoder};
constexpr PreTokenizerRules kStarcoderNoCleanRules{"STARCODER", kStarcoder, false};
constexpr PreTokenizerRules kQwen2Rules{"QWEN2", kQwen2, false};
constexpr PreTokenizerRules kQwen2CleanRules{"QWEN2", kQwen2};
constexpr PreTokenizerRules kPoroNoCleanRules{"PORO", kPoro, false};
constexpr PreTokenizerRules kPoroRules{"PORO", kPoro};
constexpr PreTokenizerRules kVikingRules{"VIKING", kViking, false};
constexpr PreTokenizerRules kTekkenRules{"TEKKEN", kTekken, false, true, true};
constexpr PreTokenizerRules kChameleonRules{"CHAMELEON", kChameleon, false, false, true};
constexpr PreTokenizerRules kGpt4oRules{"GPT4O", kGpt4o, false};
constexpr PreTokenizerRules kSuperbpeRules{"SUPERBPE", kSuperbpe, false};
constexpr PreTokenizerRules kBailingRules{"BAILING", kBailing, false};
constexpr PreTokenizerRules kSeedCoderRules{"SEEDCODER", kSeedCoder, false};
constexpr PreTokenizerRules kKimiRules{"KIMI", kKimi, false};

struct NamedRules {
  std::string_view name;
  const PreTokenizerRules* rules;
};

// `tokenizer.ggml.pre` -> rules. afmoe (a hand-written digit splitter in llama.cpp) is not covered
// and falls back to the default rules with a warning.
constexpr NamedRules kPreTokenizers[] = {
    {"default", &kDefaultRules},
    {"llama3", &kLlama3Rules},
    {"llama-v3", &kLlama3Rules},
    {"llama-bpe", &kLlama3Rules},
    {"falcon3", &kLlama3Rules},
    {"falcon-h1", &kLlama3Rules},
    {"pixtral", &kLlama3Rules},
    {"midm-2.0", &kLlama3Rules},
    {"lfm2", &kLlama3Rules},
    {"dbrx", &kLlama3PlainRules},
    {"smaug-bpe", &kLlama3PlainRules},
    {"glm4", &kLlama3NoBosRules},
    {"chatglm-bpe", &kLlama3NoBosRules},
    {"deepseek-llm", &kDeepseekLlmRules},
    {"deepseek-coder", &kDeepseekCoderRules},
    {"deepseek-v3", &kDeepseekV3Rules},
    {"hunyuan-dense", &kDeepseekV3Rules},
    {"falcon", &kFalconRules},
    {"gpt-2", &kGpt2Rules},
    {"phi-2", &kGpt2Rules},
    {"jina-es", &kGpt2Rules},
    {"jina-de", &kGpt2Rules},
    {"gigachat", &kGpt2Rules},
    {"jina-v2-es", &kGpt2Rules},
    {"jina-v2-de", &kGpt2Rules},
    {"a.x-4.0", &kGpt2Rules},
    {"mellum", &kGpt2Rules},
    {"mpt", &kGpt2Rules},
    {"olmo", &kGpt2Rules},
    {"jais", &kGpt2Rules},
    {"exaone4", &kGpt2Rules},
    {"jina-v1-en", &kGpt2SepRules},
    {"jina-v2-code", &kGpt2SepRules},
    {"roberta-bpe", &kGpt2SepRules},
    {"trillion", &kGpt2NoCleanRules},
    {"granite-docling", &kGpt2NoCleanRules},
    {"starcoder", &kStarcoderRules},
    {"refact", &kStarcoderRules},
    {"codeshell", &kStarcoderRules},
    {"exaone", &kStarcoderRules},
    {"minerva-7b", &kStarcoderRules},
    {"command-r", &kStarcoderNoCleanRules},
    {"smollm", &kStarcoderNoCleanRules},
    {"qwen2", &kQwen2Rules},
    {"deepseek-r1-qwen", &kQwen2Rules},
    {"kormo", &kQwen2Rules},
    {"hunyuan", &kQwen2Rules},
    {"grok-2", &kQwen2Rules},
    {"stablelm2", &kQwen2CleanRules},
    {"megrez", &kQwen2CleanRules},
    {"poro-chat", &kPoroNoCleanRules},
    {"bloom", &kPoroRules},
    {"gpt3-finnish", &kPoroRules},
    {"viking", &kVikingRules},
    {"tekken", &kTekkenRules},
    {"chameleon", &kChameleonRules},
    {"gpt-4o", &kGpt4oRules},
    {"llama4", &kGpt4oRules},
    {"minimax-m2", &kGpt4oRules},
    {"superbpe", &kSuperbpeRules},
    {"bailingmoe", &kBailingRules},
    {"bailingmoe2", &kBailingRules},
    {"llada-moe", &kBailingRules},
    {"seed-coder", &kSeedCoderRules},
    {"kimi-k2", &kKimiRules},
};

// llama.cpp's whitespace set (engine-spec §6.5), as members of a character class.
constexpr std::string_view kWhitespaceMembers =
    R"(\t\n\x0B\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Translates one escape starting at re[i] == '\\'; returns the characters consumed.
size_t translate_escape(std::string_view re, size_t i, bool in_class, std::string& out) {
  if (i + 1 >= re.size()) {
    out += re[i];
    return 1;
  }
  const char c = re[i + 1];
  if (c == 's') {
    out += in_class ? std::string(kWhitespaceMembers) : "[" + std::string(kWhitespaceMembers) + "]";
    return 2;
  }
  if (c == 'S' && !in_class) {
    out += "[^" + std::string(kWhitespaceMembers) + "]";
    return 2;
  }
  if (c == 'd') {
    out += in_class ? "0-9" : "[0-9]";
    return 2;
  }
  if (c == 'u' || c == 'U') {
    const size_t digits = c == 'u' ? 4 : 8;
    size_t n = 0;
    while (n < digits && i + 2 + n < re.size() && is_hex(re[i + 2 + n])) ++n;
    if (n == digits) {
      std::string_view hex = re.substr(i + 2, digits);
      while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
      out += "\\x{" + std::string(hex) + "}";
      return 2 + digits;
    }
  }
  if (!in_class && re.substr(i, 5) == R"(\p{S})") {
    out += R"((?:(?!~)\p{S}))";
    return 5;
  }
  out += re.substr(i, 2);
  return 2;
}

// Translates a character class starting at re[i] == '['; returns the characters consumed.
size_t translate_class(std::string_view re, size_t i, std::string& out) {
  size_t j = i + 1;
  const bool negated = j < re.size() && re[j] == '^';
  if (negated) ++j;
  std::string body;
  bool has_symbol = false, has_tilde = false;
  while (j < re.size() && re[j] != ']') {
    if (re[j] == '\\') {
      has_symbol |= re.substr(j, 5) == R"(\p{S})";
      has_tilde |= re.substr(j, 2) == R"(\~)";
      j += translate_escape(re, j, true, body);
    } else {
      has_tilde |= re[j] == '~';
      body += re[j++];
    }
  }
  std::string cls = std::string(negated ? "[^" : "[") + body + "]";
  if (has_symbol && !has_tilde) {
    // llama.cpp's \p{S} does not contain '~'.
    cls = negated ? "(?:~|" + cls + ")" : "(?:(?!~)" + cls + ")";
  }
  out += cls;
  return j + 1 - i;
}

}  // namespace

std::string translate_regex(std::string_view re) {
  std::string out;
  out.reserve(re.size() * 2);
  for (size_t i = 0; i < re.size();) {
    if (re[i] == '\\') {
      i += translate_escape(re, i, false, out);
    } else if (re[i] == '[') {
      i += translate_class(re, i, out);
    } else {
      out += re[i++];
    }
  }
  return out;
}

const PreTokenizerRules* find_pre_tokenizer(std::string_view name) {
  for (const auto& row : kPreTokenizers)
    if (row.name == name) return row.rules;
  return nullptr;
}

const PreTokenizerRules& default_pre_tokenizer() {
  return kDefaultRules;
}

// ---- PCRE2 ----------------------------------------------------------------------------------

struct PreTokenizer::Compiled {
  struct CodeDeleter {
    void operator()(pcre2_code* c) const { pcre2_code_free(c); }
  };
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  std::string pattern;  // the translated regex, for messages
};

PreTokenizer::PreTokenizer(std::vector<std::unique_ptr<Compiled>> regexes) : regexes_(std::move(regexes)) {}
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

Result<PreTokenizer> PreTokenizer::compile(const PreTokenizerRules& rules) {
  std::vector<std::unique_ptr<Compiled>> compiled;
  for (std::string_view spec : rules.regexes) {
    auto c = std::make_unique<Compiled>();
    c->pattern = translate_regex(spec);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    c->code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(c->pattern.data()), c->pattern.size(),
                                PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &error_offset, nullptr));
    if (!c->code) {
      std::array<PCRE2_UCHAR, 256> message{};
      pcre2_get_error_message(error, message.data(), message.size());
      return Error::format("pre-tokenizer {}: regex /{}/ at offset {}: {}", rules.list_name, c->pattern, error_offset,
                           reinterpret_cast<const char*>(message.data()));
    }
    // JIT is an optimisation: without it (unsupported CPU, no executable memory) matching still works.
    pcre2_jit_compile(c->code.get(), PCRE2_JIT_COMPLETE);
    compiled.push_back(std::move(c));
  }
  return PreTokenizer(std::move(compiled));
}

namespace {

using Piece = std::pair<size_t, size_t>;  // [begin, end) byte offsets into the text

struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

size_t next_char(std::string_view s, size_t pos) {
  ++pos;
  while (pos < s.size() && (static_cast<uint8_t>(s[pos]) & 0xC0) == 0x80) ++pos;
  return pos;
}

int match_at(const pcre2_code* code, std::string_view subject, size_t pos, uint32_t options, pcre2_match_data* md) {
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = pcre2_match(code, s, subject.size(), pos, options | PCRE2_NO_UTF_CHECK, md, nullptr);
  // The JIT's small default stack can overflow on long backtracking runs; the interpreter uses the heap.
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
    rc = pcre2_match(code, s, subject.size(), pos, options | PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
  return rc;
}

// Cuts text[begin, end) into matches and the stretches between them, like std::regex_iterator
// (after an empty match, a non-empty match at the same place is tried before moving on).
void split_piece(const pcre2_code* code, std::string_view text, Piece piece, pcre2_match_data* md,
                 std::vector<Piece>& out) {
  const std::string_view subject = text.substr(piece.first, piece.second - piece.first);
  size_t pos = 0, last = 0;
  uint32_t options = 0;
  while (pos <= subject.size()) {
    int rc = match_at(code, subject, pos, options, md);
    if (rc == PCRE2_ERROR_NOMATCH && options != 0) {
      options = 0;
      if (pos >= subject.size()) break;
      pos = next_char(subject, pos);
      continue;
    }
    if (rc < 0) {
      if (rc != PCRE2_ERROR_NOMATCH) LOG_DEBUG("pre-tokenizer: PCRE2 match error {}", rc);
      break;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t ms = ov[0], me = ov[1];
    if (ms > last) out.emplace_back(piece.first + last, piece.first + ms);
    if (me > ms) out.emplace_back(piece.first + ms, piece.first + me);
    last = me;
    pos = me;
    options = me == ms ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
  }
  if (last < subject.size()) out.emplace_back(piece.first + last, piece.second);
}

}  // namespace

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& words) const {
  words.clear();
  if (text.empty()) return;
  std::vector<Piece> pieces{{0, text.size()}}, next;
  for (const auto& re : regexes_) {
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
        pcre2_match_data_create_from_pattern(re->code.get(), nullptr));
    next.clear();
    for (const Piece& p : pieces) split_piece(re->code.get(), text, p, md.get(), next);
    pieces.swap(next);
  }
  words.reserve(pieces.size());
  for (const auto& [b, e] : pieces) words.push_back(text.substr(b, e - b));
}

}  // namespace corral
