// Go template lexer. Trim markers need a space beside the dash (`{{- x -}}`), as in Go.
#include "template/go_lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace corral::tmpl::gotmpl {

Error go_error_at(Pos pos, std::string message) {
  return Error(std::move(message)).with_context(fmt::format("line {}, column {}", pos.line, pos.column));
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Result<std::vector<Tok>> run() {
    while (i_ < s_.size()) {
      size_t open = s_.find("{{", i_);
      size_t text_end = open == std::string_view::npos ? s_.size() : open;
      std::string text(s_.substr(i_, text_end - i_));
      Pos text_pos = pos_of(i_);
      if (open == std::string_view::npos) {
        push_text(std::move(text), text_pos);
        break;
      }
      bool trim_left = open + 3 < s_.size() && s_[open + 2] == '-' && is_space(s_[open + 3]);
      if (trim_left)
        while (!text.empty() && is_space(text.back())) text.pop_back();
      push_text(std::move(text), text_pos);
      i_ = open + (trim_left ? 3 : 2);
      CORRAL_TRY(lex_action(open));
    }
    tokens_.push_back(Tok{TokKind::End, "", pos_of(s_.size())});
    return std::move(tokens_);
  }

 private:
  Pos pos_of(size_t off) {
    if (off < last_off_) {
      last_off_ = 0;
      last_pos_ = Pos{};
    }
    for (size_t k = last_off_; k < off && k < s_.size(); ++k) {
      if (s_[k] == '\n') {
        ++last_pos_.line;
        last_pos_.column = 1;
      } else if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) {
        ++last_pos_.column;
      }
    }
    last_off_ = off;
    return last_pos_;
  }

  void push_text(std::string text, Pos pos) {
    if (trim_next_text_) {
      size_t k = 0;
      while (k < text.size() && is_space(text[k])) ++k;
      text.erase(0, k);
      trim_next_text_ = false;
    }
    if (!text.empty()) tokens_.push_back(Tok{TokKind::Text, std::move(text), pos});
  }

  void push(TokKind kind, std::string text, size_t off) {
    tokens_.push_back(Tok{kind, std::move(text), pos_of(off), off > 0 && !is_space(s_[off - 1])});
  }

  // At a close delimiter ("}}" or " -}}")? Sets its length.
  bool at_close(size_t& len) const {
    if (s_.compare(i_, 2, "}}") == 0) {
      len = 2;
      return true;
    }
    return false;
  }

  Status lex_action(size_t open) {
    // A comment is the whole action: {{/* ... */}}.
    size_t k = i_;
    while (k < s_.size() && is_space(s_[k])) ++k;
    if (s_.compare(k, 2, "/*") == 0) {
      size_t end = s_.find("*/", k + 2);
      if (end == std::string_view::npos) return go_error_at(pos_of(open), "unclosed comment");
      size_t j = end + 2;
      bool trim_right = false;
      if (s_.compare(j, 4, " -}}") == 0) {
        trim_right = true;
        j += 4;
      } else if (s_.compare(j, 2, "}}") == 0) {
        j += 2;
      } else {
        return go_error_at(pos_of(open), "comment ends before closing delimiter");
      }
      i_ = j;
      trim_next_text_ = trim_right;
      return {};
    }
    push(TokKind::Open, "{{", open);
    int parens = 0;
    while (true) {
      if (i_ >= s_.size()) return go_error_at(pos_of(open), "unclosed action");
      // " -}}" closes with trimming; a bare "}}" closes.
      if (is_space(s_[i_]) && s_.compare(i_ + 1, 3, "-}}") == 0) {
        push(TokKind::Close, "}}", i_);
        i_ += 4;
        trim_next_text_ = true;
        return parens == 0 ? Status{} : go_error_at(pos_of(open), "unclosed left paren");
      }
      size_t len = 0;
      if (at_close(len)) {
        push(TokKind::Close, "}}", i_);
        i_ += len;
        return parens == 0 ? Status{} : go_error_at(pos_of(open), "unclosed left paren");
      }
      char c = s_[i_];
      size_t start = i_;
      if (is_space(c)) {
        ++i_;
      } else if (c == '.' && (i_ + 1 >= s_.size() || !is_ident_char(s_[i_ + 1]))) {
        if (i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))) {
          CORRAL_TRY(lex_number());
        } else {
          push(TokKind::Dot, ".", start);
          ++i_;
        }
      } else if (c == '.') {
        ++i_;
        while (i_ < s_.size() &&
               (is_ident_char(s_[i_]) || (s_[i_] == '.' && i_ + 1 < s_.size() && is_ident_char(s_[i_ + 1]))))
          ++i_;
        push(TokKind::Field, std::string(s_.substr(start + 1, i_ - start - 1)), start);
      } else if (c == '$') {
        ++i_;
        while (i_ < s_.size() &&
               (is_ident_char(s_[i_]) || (s_[i_] == '.' && i_ + 1 < s_.size() && is_ident_char(s_[i_ + 1]))))
          ++i_;
        push(TokKind::Variable, std::string(s_.substr(start, i_ - start)), start);
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
        push(TokKind::Ident, std::string(s_.substr(start, i_ - start)), start);
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '+') && i_ + 1 < s_.size() &&
                  std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
        CORRAL_TRY(lex_number());
      } else if (c == '"' || c == '`') {
        CORRAL_TRY(lex_string(c));
      } else if (c == '\'') {
        CORRAL_TRY(lex_char());
      } else if (s_.compare(i_, 2, ":=") == 0) {
        push(TokKind::Declare, ":=", start);
        i_ += 2;
      } else if (c == '=') {
        push(TokKind::Assign, "=", start);
        ++i_;
      } else if (c == '|') {
        push(TokKind::Pipe, "|", start);
        ++i_;
      } else if (c == '(') {
        ++parens;
        push(TokKind::LParen, "(", start);
        ++i_;
      } else if (c == ')') {
        if (--parens < 0) return go_error_at(pos_of(start), "unexpected right paren");
        push(TokKind::RParen, ")", start);
        ++i_;
      } else if (c == ',') {
        push(TokKind::Comma, ",", start);
        ++i_;
      } else {
        return go_error_at(pos_of(start), fmt::format("unrecognized character in action: '{}'", c));
      }
    }
  }

  static bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  Status lex_number() {
    size_t start = i_;
    if (s_[i_] == '-' || s_[i_] == '+') ++i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' || s_[i_] == '_' ||
                              ((s_[i_] == '-' || s_[i_] == '+') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E'))))
      ++i_;
    push(TokKind::Number, std::string(s_.substr(start, i_ - start)), start);
    return {};
  }

  Status lex_string(char quote) {
    size_t start = i_++;
    std::string value;
    while (true) {
      if (i_ >= s_.size() || (quote == '"' && s_[i_] == '\n'))
        return go_error_at(pos_of(start), "unterminated quoted string");
      char c = s_[i_++];
      if (c == quote) break;
      if (quote == '`' || c != '\\') {
        value += c;
        continue;
      }
      if (i_ >= s_.size()) return go_error_at(pos_of(start), "unterminated quoted string");
      char e = s_[i_++];
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'v': value += '\v'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case '\'': value += '\''; break;
        case 'x': {
          uint32_t byte = 0;
          if (!parse_hex(2, byte)) return go_error_at(pos_of(start), "invalid escape in string");
          value += static_cast<char>(byte);
          break;
        }
        case 'u':
        case 'U': {
          uint32_t cp = 0;
          if (!parse_hex(e == 'u' ? 4 : 8, cp) || cp > 0x10FFFF)
            return go_error_at(pos_of(start), "invalid escape in string");
          append_utf8(value, cp);
          break;
        }
        default: return go_error_at(pos_of(start), fmt::format("unknown escape sequence: \\{}", e));
      }
    }
    push(TokKind::String, std::move(value), start);
    return {};
  }

  Status lex_char() {
    size_t start = i_++;
    size_t end = s_.find('\'', i_);
    if (end == std::string_view::npos || end == i_)
      return go_error_at(pos_of(start), "unterminated character constant");
    std::string body(s_.substr(i_, end - i_));
    i_ = end + 1;
    uint32_t cp = static_cast<unsigned char>(body[0]);
    if (body.size() == 2 && body[0] == '\\') {
      cp = body[1] == 'n' ? '\n' : body[1] == 't' ? '\t' : static_cast<unsigned char>(body[1]);
    }
    push(TokKind::Char, std::to_string(cp), start);
    return {};
  }

  bool parse_hex(size_t n, uint32_t& out) {
    if (i_ + n > s_.size()) return false;
    auto [p, ec] = std::from_chars(s_.data() + i_, s_.data() + i_ + n, out, 16);
    if (ec != std::errc() || p != s_.data() + i_ + n) return false;
    i_ += n;
    return true;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  bool trim_next_text_ = false;
  std::vector<Tok> tokens_;
  size_t last_off_ = 0;
  Pos last_pos_;
};

}  // namespace

Result<std::vector<Tok>> go_tokenize(std::string_view source) {
  return Lexer(source).run();
}

}  // namespace corral::tmpl::gotmpl
