// GBNF text -> rule definitions (grammar_ast.h); the notation is described in grammar.h. A
// recursive-descent parser over bytes; literals and classes are decoded as UTF-8 (invalid UTF-8 is
// an error). Every error names its line and column (columns count bytes, from 1).
#include <cctype>

#include "sampling/grammar_ast.h"
#include "tokenizer/unicode.h"

namespace corral::sampling::detail {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Nesting of groups is bounded so that a hostile grammar cannot exhaust the stack.
constexpr int kMaxNesting = 200;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<std::vector<GrammarRuleDef>> parse() {
    std::vector<GrammarRuleDef> rules;
    while (true) {
      skip_space(true);
      if (eof()) break;
      GrammarRuleDef rule;
      rule.line = line_of(pos_);
      rule.column = column_of(pos_);
      const size_t start = pos_;
      while (!eof() && is_name_char(peek())) ++pos_;
      if (pos_ == start) return error_at(pos_, "expected a rule name");
      rule.name = std::string(s_.substr(start, pos_ - start));
      skip_space(false);
      if (s_.substr(pos_, 3) != "::=") return error_at(pos_, fmt::format("expected \"::=\" after \"{}\"", rule.name));
      pos_ += 3;
      skip_space(true);
      CORRAL_ASSIGN_OR_RETURN(rule.body, parse_alternatives());
      skip_space(false);
      if (!eof() && peek() != '\n') return error_at(pos_, fmt::format("unexpected \"{}\"", peek()));
      rules.push_back(std::move(rule));
    }
    if (rules.empty()) return Error("the grammar has no rules");
    return rules;
  }

 private:
  bool eof() const { return pos_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }

  // Positions are reported on the line being parsed: literals, classes and repetitions never span
  // lines, and the parser counts every line break it passes (skip_space, continues_on_next_line).
  uint32_t line_of(size_t /*pos*/) const { return line_; }
  uint32_t column_of(size_t pos) const { return static_cast<uint32_t>(pos - line_start_ + 1); }
  void pass_newline_at(size_t p) {
    ++line_;
    line_start_ = p + 1;
  }
  Error error_at(size_t pos, std::string_view message) const {
    return Error::format("line {}, column {}: {}", line_of(pos), column_of(pos), message);
  }

  // Blanks and comments; line breaks too when `newlines`.
  void skip_space(bool newlines) {
    while (!eof()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        if (c == '\n') pass_newline_at(pos_);
        ++pos_;
      } else if (c == '#') {
        while (!eof() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  // At a line break outside parentheses: true (and positioned on it) when the next line that is
  // not blank starts with `|`, which continues the rule.
  bool continues_on_next_line() {
    size_t p = pos_;
    while (p < s_.size()) {
      const char c = s_[p];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++p;
      } else if (c == '#') {
        while (p < s_.size() && s_[p] != '\n') ++p;
      } else {
        break;
      }
    }
    if (p < s_.size() && s_[p] == '|') {
      for (; pos_ < p; ++pos_)
        if (s_[pos_] == '\n') pass_newline_at(pos_);
      return true;
    }
    return false;
  }

  Result<GrammarExpr> parse_alternatives() {
    GrammarExpr alt;
    alt.kind = GrammarExpr::Kind::kAlt;
    while (true) {
      CORRAL_ASSIGN_OR_RETURN(GrammarExpr seq, parse_sequence());
      alt.items.push_back(std::move(seq));
      skip_space(depth_ > 0);
      if (peek() == '\n' && depth_ == 0 && !continues_on_next_line()) break;
      if (peek() != '|') break;
      ++pos_;
      skip_space(true);
    }
    return alt;
  }

  Result<GrammarExpr> parse_sequence() {
    GrammarExpr seq;
    seq.kind = GrammarExpr::Kind::kSeq;
    while (true) {
      skip_space(depth_ > 0);
      const size_t item_pos = pos_;
      GrammarExpr item;
      const char c = peek();
      if (c == '"' || c == '\'') {
        CORRAL_ASSIGN_OR_RETURN(item, parse_literal(c));
      } else if (c == '[') {
        CORRAL_ASSIGN_OR_RETURN(item, parse_class());
      } else if (c == '.') {
        ++pos_;
        item.kind = GrammarExpr::Kind::kChars;
        item.chars = CharSet::any();
      } else if (c == '(') {
        if (++depth_ > kMaxNesting) return error_at(pos_, "parentheses nested too deeply");
        ++pos_;
        skip_space(true);
        CORRAL_ASSIGN_OR_RETURN(item, parse_alternatives());
        skip_space(true);
        if (peek() != ')') return error_at(pos_, "expected \")\"");
        ++pos_;
        --depth_;
      } else if (is_name_char(c)) {
        item.kind = GrammarExpr::Kind::kRef;
        item.line = line_of(pos_);
        item.column = column_of(pos_);
        while (!eof() && is_name_char(peek())) ++pos_;
        item.name = std::string(s_.substr(item_pos, pos_ - item_pos));
        // "name ::=" here means a rule started without a line break before it.
        size_t p = pos_;
        while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) ++p;
        if (s_.substr(p, 3) == "::=") return error_at(item_pos, "a rule must start on a new line");
      } else {
        break;
      }
      CORRAL_TRY(parse_quantifier(item));
      seq.items.push_back(std::move(item));
    }
    return seq;
  }

  Status parse_quantifier(GrammarExpr& item) {
    const char c = peek();
    uint32_t min = 0, max = 0;
    const size_t at = pos_;
    if (c == '*') {
      min = 0, max = kUnbounded;
      ++pos_;
    } else if (c == '+') {
      min = 1, max = kUnbounded;
      ++pos_;
    } else if (c == '?') {
      min = 0, max = 1;
      ++pos_;
    } else if (c == '{') {
      ++pos_;
      CORRAL_ASSIGN_OR_RETURN(min, parse_count());
      max = min;
      if (peek() == ',') {
        ++pos_;
        skip_space(false);
        if (peek() == '}') {
          max = kUnbounded;
        } else {
          CORRAL_ASSIGN_OR_RETURN(max, parse_count());
        }
      }
      if (peek() != '}') return error_at(pos_, "expected \"}\" to close the repetition");
      ++pos_;
      if (max < min)
        return error_at(at, fmt::format("repetition {{{},{}}} has its maximum below its minimum", min, max));
    } else {
      return {};
    }
    GrammarExpr rep;
    rep.kind = GrammarExpr::Kind::kRepeat;
    rep.min = min;
    rep.max = max;
    rep.items.push_back(std::move(item));
    item = std::move(rep);
    return {};
  }

  Result<uint32_t> parse_count() {
    skip_space(false);
    const size_t start = pos_;
    uint64_t n = 0;
    while (std::isdigit(static_cast<unsigned char>(peek())) != 0) {
      n = n * 10 + static_cast<uint64_t>(peek() - '0');
      if (n > kMaxRepetition) return error_at(start, fmt::format("repetition count above {}", kMaxRepetition));
      ++pos_;
    }
    if (pos_ == start) return error_at(pos_, "expected a number in the repetition");
    skip_space(false);
    return static_cast<uint32_t>(n);
  }

  // One code point of a literal or class: an escape or a UTF-8 character.
  Result<uint32_t> parse_char() {
    const size_t at = pos_;
    const auto c = static_cast<unsigned char>(peek());
    if (c == '\\') {
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
        case 'n': return uint32_t{'\n'};
        case 'r': return uint32_t{'\r'};
        case 't': return uint32_t{'\t'};
        case '\\':
        case '"':
        case '\'':
        case '[':
        case ']':
        case '-':
        case '^':
        case '/': return static_cast<uint32_t>(e);
        case 'x': return parse_hex(at, 2);
        case 'u': return parse_hex(at, 4);
        case 'U': return parse_hex(at, 8);
        default: return error_at(at, fmt::format("unknown escape \"\\{}\"", e));
      }
    }
    const Utf8Char ch = decode_utf8_char(s_, pos_);
    if (ch.length == 0) return error_at(at, "invalid UTF-8");
    pos_ += ch.length;
    return ch.cp;
  }

  Result<uint32_t> parse_hex(size_t at, int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const int h = hex_value(peek());
      if (h < 0) return error_at(at, fmt::format("expected {} hex digits in the escape", digits));
      v = v * 16 + static_cast<uint32_t>(h);
      ++pos_;
    }
    if (v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF))
      return error_at(at, fmt::format("U+{:X} is not a Unicode scalar value", v));
    return v;
  }

  Result<GrammarExpr> parse_literal(char quote) {
    const size_t at = pos_;
    ++pos_;
    GrammarExpr seq;
    seq.kind = GrammarExpr::Kind::kSeq;
    while (true) {
      if (eof() || peek() == '\n') return error_at(at, "unterminated literal");
      if (peek() == quote) break;
      CORRAL_ASSIGN_OR_RETURN(uint32_t cp, parse_char());
      GrammarExpr ch;
      ch.kind = GrammarExpr::Kind::kChars;
      ch.chars = CharSet::single(cp);
      seq.items.push_back(std::move(ch));
    }
    ++pos_;
    return seq;
  }

  Result<GrammarExpr> parse_class() {
    const size_t at = pos_;
    ++pos_;
    const bool negated = peek() == '^';
    if (negated) ++pos_;
    std::vector<CharRange> ranges;
    while (true) {
      if (eof() || peek() == '\n') return error_at(at, "unterminated character class");
      if (peek() == ']') break;
      CORRAL_ASSIGN_OR_RETURN(uint32_t lo, parse_char());
      uint32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && peek(1) != '\0') {
        const size_t range_at = pos_;
        ++pos_;
        CORRAL_ASSIGN_OR_RETURN(hi, parse_char());
        if (hi < lo) return error_at(range_at, "character range with its end before its start");
      }
      ranges.push_back({lo, hi});
    }
    ++pos_;
    if (ranges.empty()) return error_at(at, "empty character class");
    GrammarExpr item;
    item.kind = GrammarExpr::Kind::kChars;
    item.chars = CharSet::of(std::move(ranges));
    if (negated) item.chars = item.chars.complement();
    if (item.chars.empty()) return error_at(at, "character class that matches nothing");
    return item;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

Result<std::vector<GrammarRuleDef>> parse_gbnf(std::string_view text) {
  return Parser(text).parse();
}

}  // namespace corral::sampling::detail
