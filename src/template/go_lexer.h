// Go text/template source → tokens: text, action delimiters (with `{{- ` / ` -}}` trimming applied
// to the neighbouring text), and the words inside actions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral::tmpl::gotmpl {

struct Pos {
  uint32_t line = 1;
  uint32_t column = 1;
};

enum class TokKind : uint8_t {
  Text,
  Open,      // {{
  Close,     // }}
  Field,     // .Name (text = "Name")
  Dot,       // .
  Variable,  // $name or $ (text includes the $)
  Ident,     // keyword or function name
  String,    // unquoted value
  Number,    // literal text
  Char,      // 'x' (text = the character's value as a number)
  Declare,   // :=
  Assign,    // =
  Pipe,      // |
  LParen,
  RParen,
  Comma,
  End,
};

struct Tok {
  TokKind kind;
  std::string text;
  Pos pos;
  bool glued = false;  // no space before it: `(x).Field` chains
};

// "line L, column C: message".
Error go_error_at(Pos pos, std::string message);

Result<std::vector<Tok>> go_tokenize(std::string_view source);

}  // namespace corral::tmpl::gotmpl
