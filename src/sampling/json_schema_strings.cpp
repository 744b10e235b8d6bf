// String formats and the regular-expression subset of `pattern`, as GBNF for a JSON string's
// content (see json_schema_parts.h).
#include <fmt/format.h>

#include <array>
#include <vector>

#include "sampling/json_schema_parts.h"
#include "tokenizer/unicode.h"

namespace corral::sampling::schema {
namespace {

// RFC 3339 full-date with real calendars: 30-day months, February 28 days, 29 in leap years
// (divisible by 4, centuries only when divisible by 400), as ajv-formats checks.
constexpr std::string_view kDate =
    R"(( [0-9]{4} "-" ( ( "0" [13578] | "1" [02] ) "-" ( "0" [1-9] | [12] [0-9] | "3" [01] ))"
    R"( | ( "0" [469] | "11" ) "-" ( "0" [1-9] | [12] [0-9] | "30" ) | "02-" ( "0" [1-9] | "1" [0-9] | "2" [0-8] ) ))"
    R"( | ( [0-9]{2} ( "0" [48] | [2468] [048] | [13579] [26] ) | ( "0" [048] | [2468] [048] | [13579] [26] ) "00" ))"
    R"( "-02-29" ))";
// RFC 3339 full-time: the offset is required (ajv-formats' "time"); no leap second.
constexpr std::string_view kTime = R"(( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,9} )?)"
                                   R"( ( "Z" | [+\-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ))";
constexpr std::string_view kLabel = R"([a-zA-Z0-9] ( [a-zA-Z0-9\-]{0,61} [a-zA-Z0-9] )?)";
constexpr std::string_view kAtext = R"([a-zA-Z0-9!#$%&'*+/=?\^_`{|}~\-])";

struct Format {
  std::string_view name;
  std::string content;
};

const std::vector<Format>& formats() {
  static const std::vector<Format> kFormats = {
      {"date", std::string(kDate)},
      {"time", std::string(kTime)},
      {"date-time", fmt::format("{} \"T\" {}", kDate, kTime)},
      {"uuid", R"([0-9a-f]{8} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{12})"},
      {"email", fmt::format("{0}{{1,64}} ( \".\" {0}{{1,64}} ){{0,2}} \"@\" ( {1} \".\" ){{1,3}} {1}", kAtext, kLabel)},
      {"hostname", fmt::format("{0} ( \".\" {0} ){{0,2}}", kLabel)},
      {"ipv4",
       R"(( "25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9]? [0-9] ) ( "." ( "25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9]? [0-9] ) ){3})"},
      {"uri", fmt::format("\"http\" \"s\"? \"://\" {0} ( \".\" {0} ){{0,3}} ( \"/\" [a-zA-Z0-9._~\\-]{{0,32}} ){{0,6}}",
                          kLabel)},
  };
  return kFormats;
}

// ECMAScript's \s (WhiteSpace and LineTerminator).
CharSet js_space() {
  return CharSet::of({{0x09, 0x0D},
                      {0x20, 0x20},
                      {0xA0, 0xA0},
                      {0x1680, 0x1680},
                      {0x2000, 0x200A},
                      {0x2028, 0x2029},
                      {0x202F, 0x202F},
                      {0x205F, 0x205F},
                      {0x3000, 0x3000},
                      {0xFEFF, 0xFEFF}});
}

// A recursive-descent reader of the supported ECMAScript subset (u flag, as ajv compiles
// patterns): literals, escapes (\d \w \s and negations, \n \r \t \f \v \0 \xHH \uHHHH \u{…},
// escaped punctuation), `.`, classes with ranges and negation, groups (capturing, (?:…), named),
// alternation, and the quantifiers * + ? {m} {m,} {m,n} (lazy forms too); ^ at the start and $ at
// the end. Anything else (backreferences, lookaround, \b, other anchors) is an error.
class RegexReader {
 public:
  explicit RegexReader(std::string_view p) : p_(p) {}

  Result<std::string> read() {
    if (!p_.empty() && p_.front() == '^') {
      p_.remove_prefix(1);
      offset_ = 1;
    }
    if (!p_.empty() && p_.back() == '$' && (p_.size() < 2 || p_[p_.size() - 2] != '\\')) p_.remove_suffix(1);
    CORRAL_ASSIGN_OR_RETURN(std::string expr, alternation());
    mark_ = pos_;
    if (pos_ < p_.size()) return unsupported(fmt::format("an unmatched \"{}\"", p_[pos_]));
    return expr.empty() ? "\"\"" : expr;
  }

 private:
  static constexpr int kMaxDepth = 100;

  // Positions count characters of the pattern as written, from 1, at the start of the construct.
  Error unsupported(std::string_view what) const {
    return Error::format("the pattern uses {} (at character {}), which is not supported", what, mark_ + offset_ + 1);
  }
  bool eof() const { return pos_ >= p_.size(); }
  char peek() const { return eof() ? '\0' : p_[pos_]; }

  Result<std::string> alternation() {
    if (++depth_ > kMaxDepth) return unsupported("groups nested too deeply");
    std::vector<std::string> alts;
    while (true) {
      CORRAL_ASSIGN_OR_RETURN(std::string seq, sequence());
      alts.push_back(seq.empty() ? "\"\"" : seq);
      if (peek() != '|') break;
      ++pos_;
    }
    --depth_;
    if (alts.size() == 1) return alts.front() == "\"\"" ? "" : alts.front();
    std::string out = "( ";
    for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
    return out + " )";
  }

  Result<std::string> sequence() {
    std::string out;
    while (!eof() && peek() != '|' && peek() != ')') {
      CORRAL_ASSIGN_OR_RETURN(std::string atom_text, atom());
      CORRAL_ASSIGN_OR_RETURN(std::string quantified, quantifier(std::move(atom_text)));
      out += (out.empty() ? "" : " ") + quantified;
    }
    return out;
  }

  Result<std::string> atom() {
    mark_ = pos_;
    const char c = peek();
    if (c == '(') {
      ++pos_;
      if (p_.substr(pos_, 2) == "?:") {
        pos_ += 2;
      } else if (p_.substr(pos_, 2) == "?<" && p_.substr(pos_, 3) != "?<=" && p_.substr(pos_, 3) != "?<!") {
        const size_t close = p_.find('>', pos_);
        if (close == std::string_view::npos) return unsupported("an unterminated group name");
        pos_ = close + 1;
      } else if (peek() == '?') {
        return unsupported("lookaround or a group modifier");
      }
      CORRAL_ASSIGN_OR_RETURN(std::string inner, alternation());
      if (peek() != ')') return unsupported("an unclosed group");
      ++pos_;
      return "( " + (inner.empty() ? std::string("\"\"") : inner) + " )";
    }
    if (c == '[') {
      CORRAL_ASSIGN_OR_RETURN(CharSet set, char_class());
      if (set.empty()) return unsupported("a class that matches nothing");
      return json_string_char(set);
    }
    if (c == '.') {
      ++pos_;
      return json_string_char(CharSet::of({{0x0A, 0x0A}, {0x0D, 0x0D}, {0x2028, 0x2029}}).complement());
    }
    if (c == '\\') {
      CORRAL_ASSIGN_OR_RETURN(CharSet set, escape(false));
      return json_string_char(set);
    }
    if (c == '^' || c == '$') return unsupported(fmt::format("the anchor \"{}\" inside the pattern", c));
    if (c == '*' || c == '+' || c == '?' || c == '{') return unsupported("a quantifier with nothing to repeat");
    CORRAL_ASSIGN_OR_RETURN(uint32_t cp, utf8_char());
    return json_string_char(CharSet::single(cp));
  }

  Result<std::string> quantifier(std::string atom_text) {
    mark_ = pos_;
    std::string q;
    const char c = peek();
    if (c == '*' || c == '+' || c == '?') {
      q = std::string(1, c);
      ++pos_;
    } else if (c == '{') {
      const size_t close = p_.find('}', pos_);
      if (close == std::string_view::npos) return unsupported("an unterminated {m,n}");
      const std::string_view body = p_.substr(pos_ + 1, close - pos_ - 1);
      const size_t comma = body.find(',');
      auto number = [](std::string_view s) -> std::optional<uint64_t> {
        if (s.empty() || s.size() > 6) return std::nullopt;
        uint64_t v = 0;
        for (char d : s) {
          if (d < '0' || d > '9') return std::nullopt;
          v = v * 10 + static_cast<uint64_t>(d - '0');
        }
        return v;
      };
      const auto m = number(comma == std::string_view::npos ? body : body.substr(0, comma));
      const auto n = comma == std::string_view::npos ? m
                     : comma + 1 == body.size()      ? std::optional<uint64_t>(UINT64_MAX)
                                                     : number(body.substr(comma + 1));
      if (!m || !n || *n < *m) return unsupported(fmt::format("the repetition {{{}}}", body));
      if (*m > kMaxRepetition || (*n != UINT64_MAX && *n > kMaxRepetition))
        return unsupported(fmt::format("a repetition count above {}", kMaxRepetition));
      q = *n == UINT64_MAX ? fmt::format("{{{},}}", *m) : fmt::format("{{{},{}}}", *m, *n);
      pos_ = close + 1;
    } else {
      return atom_text;
    }
    if (peek() == '?') ++pos_;  // lazy: the same strings match
    if (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')
      return unsupported("a quantifier after a quantifier");
    return "( " + atom_text + " )" + q;
  }

  Result<CharSet> char_class() {
    mark_ = pos_;
    ++pos_;  // [
    const bool negated = peek() == '^';
    if (negated) ++pos_;
    std::vector<CharRange> ranges;
    while (true) {
      if (eof()) return unsupported("an unterminated class");
      if (peek() == ']') break;
      CORRAL_ASSIGN_OR_RETURN(CharSet lo, class_atom());
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;
        CORRAL_ASSIGN_OR_RETURN(CharSet hi, class_atom());
        const bool single = lo.ranges().size() == 1 && lo.ranges()[0].lo == lo.ranges()[0].hi &&
                            hi.ranges().size() == 1 && hi.ranges()[0].lo == hi.ranges()[0].hi;
        if (!single || hi.ranges()[0].lo < lo.ranges()[0].lo) return unsupported("an invalid class range");
        ranges.push_back({lo.ranges()[0].lo, hi.ranges()[0].lo});
        continue;
      }
      for (CharRange r : lo.ranges()) ranges.push_back(r);
    }
    ++pos_;  // ]
    CharSet set = CharSet::of(std::move(ranges));
    return negated ? set.complement() : set;
  }

  Result<CharSet> class_atom() {
    if (peek() == '\\') return escape(true);
    CORRAL_ASSIGN_OR_RETURN(uint32_t cp, utf8_char());
    return CharSet::single(cp);
  }

  Result<CharSet> escape(bool in_class) {
    mark_ = pos_;
    ++pos_;  // backslash
    if (eof()) return unsupported("a trailing backslash");
    const char e = p_[pos_++];
    switch (e) {
      case 'd': return CharSet::of({{'0', '9'}});
      case 'D': return CharSet::of({{'0', '9'}}).complement();
      case 'w': return CharSet::of({{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}});
      case 'W': return CharSet::of({{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}).complement();
      case 's': return js_space();
      case 'S': return js_space().complement();
      case 'n': return CharSet::single('\n');
      case 'r': return CharSet::single('\r');
      case 't': return CharSet::single('\t');
      case 'f': return CharSet::single('\f');
      case 'v': return CharSet::single('\v');
      case '0':
        if (!eof() && peek() >= '0' && peek() <= '9') return unsupported("an octal escape");
        return CharSet::single(0);
      case 'x': return hex_escape(2);
      case 'u':
        if (peek() == '{') {
          const size_t close = p_.find('}', pos_);
          if (close == std::string_view::npos || close - pos_ > 7) return unsupported("a bad \\u{…} escape");
          uint32_t v = 0;
          for (size_t i = pos_ + 1; i < close; ++i) {
            const int h = hex(p_[i]);
            if (h < 0) return unsupported("a bad \\u{…} escape");
            v = v * 16 + static_cast<uint32_t>(h);
          }
          pos_ = close + 1;
          if (v > kMaxCodePoint) return unsupported("a code point above U+10FFFF");
          return CharSet::single(v);
        }
        return hex_escape(4);
      case 'b':
        if (in_class) return CharSet::single('\b');
        return unsupported("\\b (a word boundary)");
      default: break;
    }
    if (e >= '1' && e <= '9') return unsupported("a backreference");
    // Identity escapes: only syntax characters (and "/" and "-" in a class) under the u flag.
    static constexpr std::string_view kSyntax = "^$\\.*+?()[]{}|/";
    if (kSyntax.find(e) != std::string_view::npos || (in_class && e == '-'))
      return CharSet::single(static_cast<uint8_t>(e));
    return unsupported(fmt::format("the escape \\{}", e));
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  Result<CharSet> hex_escape(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const int h = eof() ? -1 : hex(p_[pos_]);
      if (h < 0) return unsupported("a bad hexadecimal escape");
      v = v * 16 + static_cast<uint32_t>(h);
      ++pos_;
    }
    if (v >= 0xD800 && v <= 0xDFFF) return unsupported("a surrogate escape");
    return CharSet::single(v);
  }

  Result<uint32_t> utf8_char() {
    const Utf8Char ch = decode_utf8_char(p_, pos_);
    if (ch.length == 0) return unsupported("invalid UTF-8");
    pos_ += ch.length;
    return ch.cp;
  }

  std::string_view p_;
  size_t pos_ = 0;
  size_t mark_ = 0;    // where the construct being read starts
  size_t offset_ = 0;  // 1 when a leading ^ was removed
  int depth_ = 0;
};

}  // namespace

std::optional<std::string> string_format_content(std::string_view format) {
  for (const Format& f : formats())
    if (f.name == format) return f.content;
  return std::nullopt;
}

std::string supported_string_formats() {
  std::string out;
  for (const Format& f : formats()) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

Result<std::string> regex_string_content(std::string_view pattern) {
  return RegexReader(pattern).read();
}

}  // namespace corral::sampling::schema
