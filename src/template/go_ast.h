// The Go template syntax tree: lists of text and actions, control structures, pipelines.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "template/go_lexer.h"
#include "template/value.h"

namespace corral::tmpl::gotmpl {

struct Pipeline;

enum class ArgKind : uint8_t {
  Field,     // .A.B (fields = {A, B})
  Dot,       // .
  Variable,  // $x.A.B (name = $x, fields = {A, B})
  Function,  // name: a function to call
  Constant,  // literal value (string, number, bool, nil)
  Sub,       // (pipeline).A.B
};

struct Arg {
  ArgKind kind;
  Pos pos;
  std::string name;
  std::vector<std::string> fields;
  Value constant;
  std::unique_ptr<Pipeline> sub;
};

struct Command {
  Pos pos;
  std::vector<Arg> args;  // args[0] is the operand or function
};

struct Pipeline {
  Pos pos;
  std::vector<std::string> decl;  // variables declared ($x := ...) or assigned ($x = ...)
  bool is_assign = false;
  std::vector<Command> cmds;
};

enum class NodeKind : uint8_t { Text, Action, If, Range, With, Template, Break, Continue };

struct Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

struct Node {
  NodeKind kind;
  Pos pos;
  std::string text;                // Text; Template name
  std::unique_ptr<Pipeline> pipe;  // may be null for Template
  NodeList list;
  NodeList else_list;
  bool has_else = false;
};

struct Tree {
  NodeList root;
  std::map<std::string, NodeList, std::less<>> defines;  // {{define "name"}}
};

}  // namespace corral::tmpl::gotmpl
