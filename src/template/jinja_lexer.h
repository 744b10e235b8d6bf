// Jinja source → tokens. Whitespace control follows @huggingface/jinja (the reference renderer of the
// fixtures) and Hugging Face's settings: trim_blocks, lstrip_blocks, one trailing newline dropped,
// `-` markers, and `{% generation %}` tags removed. Positions map back to the original text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral::tmpl::jinja {

struct SourcePos {
  uint32_t line = 1;
  uint32_t column = 1;
};

enum class TokenKind : uint8_t {
  Text,       // template text between tags
  ExprOpen,   // {{
  ExprClose,  // }}
  StmtOpen,   // {%
  StmtClose,  // %}
  Name,
  Int,
  Float,
  String,
  Op,  // punctuation and operators: ( ) [ ] { } . , : | ~ + - * / // % ** = == != < <= > >=
  End,
};

struct Token {
  TokenKind kind;
  std::string text;  // Text/Name/String: the (unescaped) content; Op: the operator; numbers: digits
  SourcePos pos;
};

// "line L, column C: message".
Error error_at(SourcePos pos, std::string message);

Result<std::vector<Token>> tokenize(std::string_view source);

}  // namespace corral::tmpl::jinja
