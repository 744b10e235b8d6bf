// The Jinja syntax tree: expressions and statements, each with its source position.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/jinja_lexer.h"
#include "template/value.h"

namespace corral::tmpl::jinja {

enum class ExprKind : uint8_t {
  Literal,  // literal
  Name,     // name
  List,     // args: elements
  Tuple,    // args: elements
  Dict,     // args: key0, value0, key1, value1, ...
  Attr,     // args[0].name
  Index,    // args[0][args[1]]
  Slice,    // args[0][args[1]:args[2]:args[3]] (missing parts are null)
  Call,     // args[0](args[1..], kwargs)
  Filter,   // args[0] | name(args[1..], kwargs); args[0] null inside {% filter %}
  Test,     // args[0] is [not] name(args[1..])
  Unary,    // name = "not" | "-" | "+"; args[0]
  Binary,   // name = operator; args[0], args[1]
  Ternary,  // args[1] if args[0] else args[2] (null: undefined)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  SourcePos pos;
  std::string name;
  Value literal;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  bool negated = false;  // `is not`
};

enum class StmtKind : uint8_t {
  Text,         // text
  Output,       // {{ expr }}
  If,           // if expr: body else else_body
  For,          // for targets in expr [if cond]: body else else_body
  Set,          // set targets = expr | set ns.attr = expr (attr non-empty) | block set (expr null)
  Macro,        // macro name(params): body
  CallBlock,    // call(params) expr: body
  FilterBlock,  // filter expr (a Filter with null operand): body
  Break,
  Continue,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Param {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  StmtKind kind;
  SourcePos pos;
  std::string text;                  // Text; Macro name
  std::vector<std::string> targets;  // For / Set names (several when unpacking)
  std::string attr;                  // Set ns.attr
  ExprPtr expr;                      // Output, If condition, For iterable, Set value, CallBlock call, FilterBlock
  ExprPtr cond;                      // For inline filter
  std::vector<Param> params;         // Macro / CallBlock
  Body body;
  Body else_body;
};

}  // namespace corral::tmpl::jinja
