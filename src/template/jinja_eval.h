// The Jinja interpreter: executes a parsed template against variables, within RenderLimits.
#pragma once

#include <string>
#include <unordered_map>

#include "template/jinja_ast.h"
#include "template/limits.h"
#include "template/value.h"

namespace corral::tmpl::jinja {

// One level of variables: the template's globals, a loop body or a macro call.
class Scope {
 public:
  explicit Scope(Scope* parent = nullptr) : parent_(parent) {}
  const Value* lookup(const std::string& name) const;
  void set(const std::string& name, Value v) { vars_[name] = std::move(v); }

 private:
  Scope* parent_;
  std::unordered_map<std::string, Value> vars_;
};

enum class Flow : uint8_t { Normal, Break, Continue };

class Interpreter {
 public:
  explicit Interpreter(const RenderLimits& limits) : budget_(limits) {}

  Budget& budget() { return budget_; }

  // Renders `body` into `out` (appending).
  Status render(const Body& body, Scope& globals, std::string& out);

  Result<Value> eval(const Expr& e, Scope& scope);

  // Calls a function value (macro, builtin) from inside the evaluator.
  Result<Value> call(const Value& fn, CallArgs& args, Scope& scope);

  // Output text of a value, as @huggingface/jinja prints it: none/undefined print nothing.
  static std::string to_output(const Value& v);

 private:
  Result<Flow> exec(const Body& body, Scope& scope, std::string& out);
  Result<Flow> exec_stmt(const Stmt& s, Scope& scope, std::string& out);
  Result<Flow> exec_for(const Stmt& s, Scope& scope, std::string& out);
  Status exec_set(const Stmt& s, Scope& scope);
  Status exec_macro(const Stmt& s, Scope& scope);
  Result<Flow> exec_call_block(const Stmt& s, Scope& scope, std::string& out);
  Status append(std::string& out, std::string_view text);

  Result<Value> eval_inner(const Expr& e, Scope& scope);
  Result<Value> eval_binary(const Expr& e, Scope& scope);
  Result<Value> eval_call(const Expr& e, Scope& scope);
  Result<CallArgs> eval_args(const Expr& e, Scope& scope, size_t first_positional);
  Result<Value> make_macro(const Stmt& s, bool is_caller, Scope* caller_scope);

  Budget budget_;
  Scope* call_scope_ = nullptr;  // the caller's scope while a function runs (macros scope dynamically)
};

// Builtins (jinja_builtins.cpp).
Result<Value> apply_filter(Interpreter& in, Scope& scope, std::string_view name, const Value& operand, CallArgs& args);
Result<bool> apply_test(Interpreter& in, std::string_view name, const Value& operand, const std::vector<Value>& args);
// obj.name: dict entries, then methods of strings and dicts; undefined when absent.
Value get_attribute(Interpreter& in, const Value& obj, const std::string& name);
// obj[key]: dict entries by key, list/string elements by index (negative from the end).
Result<Value> get_item(const Value& obj, const Value& key);
Result<Value> slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step);
void add_globals(Interpreter& in, Scope& globals);

}  // namespace corral::tmpl::jinja
