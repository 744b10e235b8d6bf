// Executes a parsed Go template on a Value (Go's text/template semantics with missingkey=zero).
#pragma once

#include <string>
#include <vector>

#include "template/go_ast.h"
#include "template/limits.h"
#include "template/value.h"

namespace corral::tmpl::gotmpl {

class Executor {
 public:
  Executor(const Tree& tree, const RenderLimits& limits) : tree_(tree), budget_(limits) {}

  // Runs `list` with dot = $ = data, appending to out.
  Status run(const NodeList& list, const Value& data, std::string& out);

  Budget& budget() { return budget_; }

 private:
  enum class Flow : uint8_t { Normal, Break, Continue };
  struct Var {
    std::string name;
    Value value;
  };

  Result<Flow> walk(const NodeList& list, const Value& dot, std::string& out);
  Result<Flow> walk_node(const Node& n, const Value& dot, std::string& out);
  Result<Flow> walk_range(const Node& n, const Value& dot, std::string& out);
  Result<Value> eval_pipeline(const Pipeline& p, const Value& dot);
  Result<Value> eval_command(const Command& c, const Value& dot, const Value* final);
  Result<Value> eval_arg(const Arg& a, const Value& dot);
  Result<Value> call_function(const std::string& name, const Command& c, const Value& dot, const Value* final);
  Result<Value*> lookup_var(const std::string& name);
  Status append(std::string& out, std::string_view s);

  const Tree& tree_;
  Budget budget_;
  std::vector<Var> vars_;
};

// Go fmt's %v text of a value (Ollama's tool and argument types print as JSON).
std::string go_print(const Value& v);
// Go encoding/json text.
std::string go_json(const Value& v);
// Go's truth: zero values and empty containers are false; structs are true.
bool go_truth(const Value& v);

// Builtin functions with their arguments already evaluated (go_funcs.cpp); `and`/`or` are lazy and
// handled by the executor.
Result<Value> call_builtin(Budget& budget, const std::string& name, std::vector<Value>& args);

}  // namespace corral::tmpl::gotmpl
