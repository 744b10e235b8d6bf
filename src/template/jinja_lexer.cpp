// Jinja lexer: the whitespace-control pre-pass (with a map back to original offsets), then tokens.
#include "template/jinja_lexer.h"

#include <fmt/format.h>

#include <cstring>

namespace corral::tmpl::jinja {

Error error_at(SourcePos pos, std::string message) {
  return Error(std::move(message)).with_context(fmt::format("line {}, column {}", pos.line, pos.column));
}

namespace {

// The template text with, for every byte, its offset in the original source.
struct Mapped {
  std::string text;
  std::vector<uint32_t> origin;

  // Drops the bytes whose mask entry is set.
  void erase(const std::vector<bool>& drop) {
    std::string t;
    std::vector<uint32_t> o;
    t.reserve(text.size());
    o.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      if (drop[i]) continue;
      t += text[i];
      o.push_back(origin[i]);
    }
    text = std::move(t);
    origin = std::move(o);
  }
};

// Byte length of a JavaScript `\s` character at s[i], or 0.
size_t space_len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 1;
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && at(1) == 0xA0) return 2;                   // U+00A0
  if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80) return 3;  // U+1680
  if (c == 0xE2 && at(1) == 0x80 && (at(2) <= 0x8A || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF))
    return at(2) >= 0x80 ? 3 : 0;                             // U+2000-200A, 2028, 2029, 202F
  if (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;  // U+3000
  if (c == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return 3;  // U+FEFF
  return 0;
}

// Byte length of a whitespace character ending just before s[end], or 0.
size_t space_len_before(std::string_view s, size_t end) {
  for (size_t n = 1; n <= 3 && n <= end; ++n)
    if (space_len(s, end - n) == n) return n;
  return 0;
}

// `X\s*` → `X'`: drop `drop_prefix` bytes of each `marker` plus the whitespace after it.
void strip_after(Mapped& m, std::string_view marker, size_t drop_offset) {
  std::vector<bool> drop(m.text.size(), false);
  size_t i = 0;
  while ((i = m.text.find(marker, i)) != std::string::npos) {
    drop[i + drop_offset] = true;
    i += marker.size();
    while (i < m.text.size()) {
      size_t n = space_len(m.text, i);
      if (!n) break;
      for (size_t k = 0; k < n; ++k) drop[i + k] = true;
      i += n;
    }
  }
  m.erase(drop);
}

// `\s*X` → `X'`: drop the whitespace before each `marker` and its byte at `drop_offset`.
void strip_before(Mapped& m, std::string_view marker, size_t drop_offset) {
  std::vector<bool> drop(m.text.size(), false);
  size_t i = 0;
  size_t floor = 0;  // whitespace already consumed by an earlier match is not reused
  while ((i = m.text.find(marker, i)) != std::string::npos) {
    drop[i + drop_offset] = true;
    size_t j = i;
    while (j > floor) {
      size_t n = space_len_before(m.text, j);
      if (!n || j - n < floor) break;
      j -= n;
      for (size_t k = 0; k < n; ++k) drop[j + k] = true;
    }
    i += marker.size();
    floor = i;
  }
  m.erase(drop);
}

void lstrip_blocks(Mapped& m) {
  std::vector<bool> drop(m.text.size(), false);
  size_t line_start = 0;
  while (line_start < m.text.size()) {
    size_t j = line_start;
    while (j < m.text.size() && (m.text[j] == ' ' || m.text[j] == '\t')) ++j;
    if (j + 1 < m.text.size() && m.text[j] == '{' && std::strchr("#%-", m.text[j + 1]))
      for (size_t k = line_start; k < j; ++k) drop[k] = true;
    size_t nl = m.text.find('\n', line_start);
    if (nl == std::string::npos) break;
    line_start = nl + 1;
  }
  m.erase(drop);
}

void trim_blocks(Mapped& m) {
  std::vector<bool> drop(m.text.size(), false);
  for (size_t i = 0; i + 2 < m.text.size(); ++i) {
    if (std::strchr("#%-", m.text[i]) && m.text[i] != '\0' && m.text[i + 1] == '}' && m.text[i + 2] == '\n') {
      drop[i + 2] = true;
      i += 2;
    }
  }
  m.erase(drop);
}

// `{%\s*(end)?generation\s*%}` → "" (transformers' generation markers render nothing).
void remove_generation_tags(Mapped& m) {
  std::vector<bool> drop(m.text.size(), false);
  size_t i = 0;
  while ((i = m.text.find("{%", i)) != std::string::npos) {
    size_t j = i + 2;
    while (j < m.text.size() && space_len(m.text, j)) j += space_len(m.text, j);
    if (m.text.compare(j, 3, "end") == 0) j += 3;
    if (m.text.compare(j, 10, "generation") != 0) {
      i += 2;
      continue;
    }
    j += 10;
    while (j < m.text.size() && space_len(m.text, j)) j += space_len(m.text, j);
    if (m.text.compare(j, 2, "%}") != 0) {
      i += 2;
      continue;
    }
    for (size_t k = i; k < j + 2; ++k) drop[k] = true;
    i = j + 2;
  }
  m.erase(drop);
}

Mapped preprocess(std::string_view source) {
  Mapped m;
  m.text.assign(source);
  m.origin.resize(source.size());
  for (size_t i = 0; i < source.size(); ++i) m.origin[i] = static_cast<uint32_t>(i);
  if (!m.text.empty() && m.text.back() == '\n') {
    m.text.pop_back();
    m.origin.pop_back();
  }
  lstrip_blocks(m);
  trim_blocks(m);
  strip_after(m, "-%}", 0);
  strip_before(m, "{%-", 2);
  strip_after(m, "-}}", 0);
  strip_before(m, "{{-", 2);
  strip_after(m, "-#}", 0);
  strip_before(m, "{#-", 2);
  remove_generation_tags(m);
  return m;
}

class Lexer {
 public:
  Lexer(std::string_view original, Mapped mapped) : original_(original), m_(std::move(mapped)) {}

  Result<std::vector<Token>> run() {
    while (i_ < m_.text.size()) {
      if (starts("{#")) {
        size_t end = m_.text.find("#}", i_ + 2);
        if (end == std::string::npos) return error_at(pos(i_), "unclosed comment");
        i_ = end + 2;
      } else if (starts("{{") || starts("{%")) {
        bool expr = starts("{{");
        push(expr ? TokenKind::ExprOpen : TokenKind::StmtOpen, m_.text.substr(i_, 2), i_);
        i_ += 2;
        CORRAL_TRY(lex_tag(expr, i_ - 2));
      } else {
        size_t start = i_;
        while (i_ < m_.text.size() && !starts("{{") && !starts("{%") && !starts("{#")) ++i_;
        push(TokenKind::Text, m_.text.substr(start, i_ - start), start);
      }
    }
    push(TokenKind::End, "", m_.text.size());
    return std::move(tokens_);
  }

 private:
  bool starts(std::string_view s) const { return m_.text.compare(i_, s.size(), s) == 0; }

  SourcePos pos(size_t mapped_offset) const {
    size_t off = mapped_offset < m_.origin.size() ? m_.origin[mapped_offset] : original_.size();
    SourcePos p;
    for (size_t k = 0; k < off && k < original_.size(); ++k) {
      if (original_[k] == '\n') {
        ++p.line;
        p.column = 1;
      } else if ((static_cast<unsigned char>(original_[k]) & 0xC0) != 0x80) {
        ++p.column;
      }
    }
    return p;
  }

  void push(TokenKind kind, std::string text, size_t offset) {
    // Positions are computed lazily by scanning; cache the last one so lexing stays linear.
    tokens_.push_back(Token{kind, std::move(text), position_of(offset)});
  }

  SourcePos position_of(size_t mapped_offset) {
    size_t off = mapped_offset < m_.origin.size() ? m_.origin[mapped_offset] : original_.size();
    if (off < last_off_) {
      last_off_ = 0;
      last_pos_ = SourcePos{};
    }
    for (size_t k = last_off_; k < off && k < original_.size(); ++k) {
      if (original_[k] == '\n') {
        ++last_pos_.line;
        last_pos_.column = 1;
      } else if ((static_cast<unsigned char>(original_[k]) & 0xC0) != 0x80) {
        ++last_pos_.column;
      }
    }
    last_off_ = off;
    return last_pos_;
  }

  Status lex_tag(bool expr, size_t open) {
    const std::string_view close = expr ? "}}" : "%}";
    int brackets = 0;
    while (true) {
      while (i_ < m_.text.size() && space_len(m_.text, i_)) i_ += space_len(m_.text, i_);
      if (i_ >= m_.text.size()) return error_at(pos(open), expr ? "unclosed '{{'" : "unclosed '{%'");
      if (brackets == 0 && starts(close)) {
        push(expr ? TokenKind::ExprClose : TokenKind::StmtClose, std::string(close), i_);
        i_ += 2;
        return {};
      }
      char c = m_.text[i_];
      size_t start = i_;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i_ < m_.text.size() && (std::isalnum(static_cast<unsigned char>(m_.text[i_])) || m_.text[i_] == '_'))
          ++i_;
        push(TokenKind::Name, m_.text.substr(start, i_ - start), start);
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        while (i_ < m_.text.size() && (std::isdigit(static_cast<unsigned char>(m_.text[i_])) || m_.text[i_] == '_'))
          ++i_;
        bool is_float = false;
        if (i_ + 1 < m_.text.size() && m_.text[i_] == '.' &&
            std::isdigit(static_cast<unsigned char>(m_.text[i_ + 1]))) {
          is_float = true;
          ++i_;
          while (i_ < m_.text.size() && std::isdigit(static_cast<unsigned char>(m_.text[i_]))) ++i_;
        }
        std::string digits;
        for (size_t k = start; k < i_; ++k)
          if (m_.text[k] != '_') digits += m_.text[k];
        push(is_float ? TokenKind::Float : TokenKind::Int, digits, start);
      } else if (c == '\'' || c == '"') {
        CORRAL_TRY(lex_string(c));
      } else {
        static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", "<=", ">="};
        std::string op(1, c);
        for (auto two : kTwo)
          if (starts(two)) op = std::string(two);
        if (op.size() == 1 && !std::strchr("()[]{}.,:|~+-*/%=<>!", c))
          return error_at(pos(i_), fmt::format("unexpected character '{}'", c));
        if (op == "(" || op == "[" || op == "{") ++brackets;
        if ((op == ")" || op == "]" || op == "}") && brackets > 0) --brackets;
        push(TokenKind::Op, op, start);
        i_ += op.size();
      }
    }
  }

  Status lex_string(char quote) {
    size_t start = i_++;
    std::string value;
    while (true) {
      if (i_ >= m_.text.size()) return error_at(pos(start), "unterminated string literal");
      char c = m_.text[i_++];
      if (c == quote) break;
      if (c != '\\' || i_ >= m_.text.size()) {
        value += c;
        continue;
      }
      char e = m_.text[i_++];
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'v': value += '\v'; break;
        case '0': value += '\0'; break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case '\n': break;
        default: value += '\\'; value += e;
      }
    }
    push(TokenKind::String, std::move(value), start);
    return {};
  }

  std::string_view original_;
  Mapped m_;
  size_t i_ = 0;
  std::vector<Token> tokens_;
  size_t last_off_ = 0;
  SourcePos last_pos_;
};

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source) {
  return Lexer(source, preprocess(source)).run();
}

}  // namespace corral::tmpl::jinja
