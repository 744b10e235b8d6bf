// Jinja statements and expressions: scoping, loops, macros and operators. Semantics follow
// @huggingface/jinja where it differs from Python Jinja2 in ways chat templates can observe
// (printing none/booleans, `loop` over dicts), and Python elsewhere.
#include "template/jinja_eval.h"

#include <fmt/format.h>

#include <cmath>

namespace corral::tmpl::jinja {

const Value* Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent_) {
    auto it = s->vars_.find(name);
    if (it != s->vars_.end()) return &it->second;
  }
  return nullptr;
}

std::string Interpreter::to_output(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Undefined:
    case ValueKind::None: return "";
    case ValueKind::Bool: return v.as_bool() ? "true" : "false";
    case ValueKind::Int: return std::to_string(v.as_int());
    case ValueKind::Float: {
      double d = v.as_double();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e16) return fmt::format("{:.1f}", d);
      return format_double(d);
    }
    case ValueKind::String: return v.str();
    case ValueKind::Array:
    case ValueKind::Object: return to_json(v);
    case ValueKind::Function: return "[function]";
  }
  return "";
}

Status Interpreter::render(const Body& body, Scope& globals, std::string& out) {
  CORRAL_ASSIGN_OR_RETURN(Flow flow, exec(body, globals, out));
  (void)flow;
  return {};
}

Status Interpreter::append(std::string& out, std::string_view text) {
  CORRAL_TRY(budget_.string_size(out.size() + text.size(), text.size()));
  out += text;
  return {};
}

Result<Flow> Interpreter::exec(const Body& body, Scope& scope, std::string& out) {
  CORRAL_TRY(budget_.enter());
  DepthGuard guard(budget_);
  for (const auto& s : body) {
    CORRAL_ASSIGN_OR_RETURN(Flow flow, exec_stmt(*s, scope, out));
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Result<Flow> Interpreter::exec_stmt(const Stmt& s, Scope& scope, std::string& out) {
  CORRAL_TRY(budget_.step());
  switch (s.kind) {
    case StmtKind::Text: CORRAL_TRY(append(out, s.text)); return Flow::Normal;
    case StmtKind::Output: {
      CORRAL_ASSIGN_OR_RETURN(Value v, eval(*s.expr, scope));
      CORRAL_TRY(append(out, to_output(v)));
      return Flow::Normal;
    }
    case StmtKind::If: {
      CORRAL_ASSIGN_OR_RETURN(Value c, eval(*s.expr, scope));
      return exec(c.truthy() ? s.body : s.else_body, scope, out);
    }
    case StmtKind::For: return exec_for(s, scope, out);
    case StmtKind::Set: CORRAL_TRY(exec_set(s, scope)); return Flow::Normal;
    case StmtKind::Macro: CORRAL_TRY(exec_macro(s, scope)); return Flow::Normal;
    case StmtKind::CallBlock: return exec_call_block(s, scope, out);
    case StmtKind::FilterBlock: {
      std::string inner;
      CORRAL_TRY(exec(s.body, scope, inner));
      CORRAL_ASSIGN_OR_RETURN(CallArgs args, eval_args(*s.expr, scope, 1));
      auto filtered = apply_filter(*this, scope, s.expr->name, Value::string(std::move(inner)), args);
      if (!filtered.ok()) return error_at(s.pos, std::move(filtered).error().message());
      CORRAL_TRY(append(out, to_output(filtered.value())));
      return Flow::Normal;
    }
    case StmtKind::Break: return Flow::Break;
    case StmtKind::Continue: return Flow::Continue;
  }
  return Flow::Normal;
}

namespace {

Status bind_targets(const Stmt& s, const std::vector<std::string>& targets, const Value& item, Scope& scope) {
  if (targets.size() == 1) {
    scope.set(targets[0], item);
    return {};
  }
  if (!item.is_array()) return error_at(s.pos, "cannot unpack a non-sequence value");
  if (item.items().size() != targets.size())
    return error_at(s.pos, fmt::format("expected {} values to unpack, got {}", targets.size(), item.items().size()));
  for (size_t i = 0; i < targets.size(); ++i) scope.set(targets[i], item.items()[i]);
  return {};
}

// The values a for loop walks: list items, dict keys, string characters.
Result<std::vector<Value>> iteration_items(const Value& v) {
  std::vector<Value> items;
  switch (v.kind()) {
    case ValueKind::Undefined: return items;
    case ValueKind::Array: return v.items();
    case ValueKind::Object:
      for (const auto& [k, val] : v.obj().entries) items.push_back(Value::string(k));
      return items;
    case ValueKind::String: {
      const std::string& s = v.str();
      for (size_t i = 0; i < s.size();) {
        size_t n = 1;
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
        items.push_back(Value::string(s.substr(i, n)));
        i += n;
      }
      return items;
    }
    default: return Error("value is not iterable");
  }
}

}  // namespace

Result<Flow> Interpreter::exec_for(const Stmt& s, Scope& scope, std::string& out) {
  CORRAL_ASSIGN_OR_RETURN(Value iterable, eval(*s.expr, scope));
  auto listed = iteration_items(iterable);
  if (!listed.ok()) return error_at(s.expr->pos, "cannot loop over this value: " + listed.error().message());
  Scope loop_scope(&scope);
  std::vector<Value> items;
  if (s.cond) {
    for (auto& item : listed.value()) {
      CORRAL_TRY(budget_.loop_iteration());
      CORRAL_TRY(bind_targets(s, s.targets, item, loop_scope));
      CORRAL_ASSIGN_OR_RETURN(Value keep, eval(*s.cond, loop_scope));
      if (keep.truthy()) items.push_back(std::move(item));
    }
  } else {
    items = std::move(listed.value());
  }
  const auto n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n; ++i) {
    CORRAL_TRY(budget_.loop_iteration());
    Entries loop{{"index", Value::integer(i + 1)},
                 {"index0", Value::integer(i)},
                 {"revindex", Value::integer(n - i)},
                 {"revindex0", Value::integer(n - i - 1)},
                 {"first", Value::boolean(i == 0)},
                 {"last", Value::boolean(i == n - 1)},
                 {"length", Value::integer(n)},
                 {"previtem", i > 0 ? items[i - 1] : Value()},
                 {"nextitem", i + 1 < n ? items[i + 1] : Value()}};
    loop_scope.set("loop", Value::object(std::move(loop)));
    CORRAL_TRY(bind_targets(s, s.targets, items[i], loop_scope));
    CORRAL_ASSIGN_OR_RETURN(Flow flow, exec(s.body, loop_scope, out));
    if (flow == Flow::Break) break;
  }
  if (n == 0) {
    CORRAL_ASSIGN_OR_RETURN(Flow flow, exec(s.else_body, loop_scope, out));
    (void)flow;
  }
  return Flow::Normal;
}

Status Interpreter::exec_set(const Stmt& s, Scope& scope) {
  Value value;
  if (s.expr) {
    CORRAL_ASSIGN_OR_RETURN(value, eval(*s.expr, scope));
  } else {
    std::string text;
    CORRAL_ASSIGN_OR_RETURN(Flow flow, exec(s.body, scope, text));
    (void)flow;
    value = Value::string(std::move(text));
  }
  if (s.attr.empty()) return bind_targets(s, s.targets, value, scope);
  const Value* ns = scope.lookup(s.targets[0]);
  if (!ns || !ns->is_object() || ns->obj().style != ObjectStyle::Namespace)
    return error_at(s.pos, fmt::format("cannot assign attribute on non-namespace object '{}'", s.targets[0]));
  // Namespaces are the only mutable containers; keeping them out of each other rules out cycles.
  if (value.has_namespace()) return error_at(s.pos, "namespaces and functions cannot be stored in a namespace");
  if (value.depth() + 1 > kMaxValueDepth)
    return error_at(s.pos, fmt::format("value nested deeper than {} levels", kMaxValueDepth));
  ns->mutable_obj().set(s.attr, std::move(value));
  return {};
}

Result<Value> Interpreter::make_macro(const Stmt& s, bool is_caller, Scope* caller_scope) {
  const Stmt* def = &s;
  Interpreter* self = this;
  return Value::function([self, def, is_caller, caller_scope](CallArgs& args) -> Result<Value> {
    Scope* parent = is_caller ? caller_scope : self->call_scope_;
    Scope local(parent);
    const std::string name = is_caller ? "caller" : def->text;
    if (args.positional.size() > def->params.size())
      return Error::format("macro '{}' takes not more than {} argument(s)", name, def->params.size());
    for (size_t i = 0; i < def->params.size(); ++i) {
      const Param& p = def->params[i];
      if (i < args.positional.size()) {
        local.set(p.name, args.positional[i]);
      } else if (const Value* kw = args.find_keyword(p.name)) {
        local.set(p.name, *kw);
      } else if (p.default_value) {
        CORRAL_ASSIGN_OR_RETURN(Value d, self->eval(*p.default_value, local));
        local.set(p.name, std::move(d));
      } else {
        local.set(p.name, Value());
      }
    }
    for (const auto& [k, v] : args.keyword) {
      bool known = false;
      for (const auto& p : def->params) known = known || p.name == k;
      if (!known && k != "caller") return Error::format("macro '{}' takes no keyword argument '{}'", name, k);
      if (k == "caller") local.set("caller", v);
    }
    std::string out;
    CORRAL_ASSIGN_OR_RETURN(Flow flow, self->exec(def->body, local, out));
    (void)flow;
    return Value::string(std::move(out));
  });
}

Status Interpreter::exec_macro(const Stmt& s, Scope& scope) {
  CORRAL_ASSIGN_OR_RETURN(Value fn, make_macro(s, false, nullptr));
  scope.set(s.text, std::move(fn));
  return {};
}

Result<Flow> Interpreter::exec_call_block(const Stmt& s, Scope& scope, std::string& out) {
  CORRAL_ASSIGN_OR_RETURN(Value caller, make_macro(s, true, &scope));
  const Expr& call = *s.expr;
  CORRAL_ASSIGN_OR_RETURN(Value fn, eval(*call.args[0], scope));
  CORRAL_ASSIGN_OR_RETURN(CallArgs args, eval_args(call, scope, 1));
  args.keyword.emplace_back("caller", std::move(caller));
  auto result = this->call(fn, args, scope);
  if (!result.ok()) {
    Error err = std::move(result).error();
    if (err.contexts().empty()) return error_at(s.pos, err.message());
    return err;
  }
  CORRAL_TRY(append(out, to_output(result.value())));
  return Flow::Normal;
}

Result<Value> Interpreter::call(const Value& fn, CallArgs& args, Scope& scope) {
  if (!fn.is_function()) return Error("cannot call a value that is not a function");
  CORRAL_TRY(budget_.enter());
  DepthGuard guard(budget_);
  Scope* saved = call_scope_;
  call_scope_ = &scope;
  auto result = fn.fn()(args);
  call_scope_ = saved;
  return result;
}

Result<Value> Interpreter::eval(const Expr& e, Scope& scope) {
  CORRAL_TRY(budget_.enter());
  DepthGuard guard(budget_);
  CORRAL_TRY(budget_.step());
  auto result = eval_inner(e, scope);
  if (!result.ok() && result.error().contexts().empty()) return error_at(e.pos, std::move(result).error().message());
  return result;
}

Result<CallArgs> Interpreter::eval_args(const Expr& e, Scope& scope, size_t first_positional) {
  CallArgs args;
  for (size_t i = first_positional; i < e.args.size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(Value v, eval(*e.args[i], scope));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [k, ex] : e.kwargs) {
    CORRAL_ASSIGN_OR_RETURN(Value v, eval(*ex, scope));
    args.keyword.emplace_back(k, std::move(v));
  }
  return args;
}

Result<Value> Interpreter::eval_call(const Expr& e, Scope& scope) {
  CORRAL_ASSIGN_OR_RETURN(Value fn, eval(*e.args[0], scope));
  if (!fn.is_function()) return Error("cannot call a value that is not a function");
  CORRAL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, scope, 1));
  return call(fn, args, scope);
}

Result<Value> Interpreter::eval_inner(const Expr& e, Scope& scope) {
  switch (e.kind) {
    case ExprKind::Literal: return e.literal;
    case ExprKind::Name: {
      const Value* v = scope.lookup(e.name);
      return v ? *v : Value();
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      for (const auto& a : e.args) {
        CORRAL_ASSIGN_OR_RETURN(Value v, eval(*a, scope));
        items.push_back(std::move(v));
      }
      Value list = Value::array(std::move(items));
      if (list.depth() > kMaxValueDepth) return Error::format("value nested deeper than {} levels", kMaxValueDepth);
      return list;
    }
    case ExprKind::Dict: {
      auto dict = Value::object({});
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        CORRAL_ASSIGN_OR_RETURN(Value k, eval(*e.args[i], scope));
        CORRAL_ASSIGN_OR_RETURN(Value v, eval(*e.args[i + 1], scope));
        if (!k.is_string()) return Error("dict keys must be strings");
        dict.mutable_obj().set(k.str(), std::move(v));
      }
      if (dict.depth() > kMaxValueDepth) return Error::format("value nested deeper than {} levels", kMaxValueDepth);
      return dict;
    }
    case ExprKind::Attr: {
      CORRAL_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0], scope));
      return get_attribute(*this, obj, e.name);
    }
    case ExprKind::Index: {
      CORRAL_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0], scope));
      CORRAL_ASSIGN_OR_RETURN(Value key, eval(*e.args[1], scope));
      if (obj.is_object() && key.is_string() && !obj.obj().find(key.str())) return get_attribute(*this, obj, key.str());
      return get_item(obj, key);
    }
    case ExprKind::Slice: {
      CORRAL_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0], scope));
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        if (!e.args[1 + i]) continue;
        CORRAL_ASSIGN_OR_RETURN(parts[i], eval(*e.args[1 + i], scope));
      }
      return slice_value(obj, parts[0], parts[1], parts[2]);
    }
    case ExprKind::Call: return eval_call(e, scope);
    case ExprKind::Filter: {
      CORRAL_ASSIGN_OR_RETURN(Value operand, eval(*e.args[0], scope));
      CORRAL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, scope, 1));
      return apply_filter(*this, scope, e.name, operand, args);
    }
    case ExprKind::Test: {
      CORRAL_ASSIGN_OR_RETURN(Value operand, eval(*e.args[0], scope));
      CORRAL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, scope, 1));
      CORRAL_ASSIGN_OR_RETURN(bool r, apply_test(*this, e.name, operand, args.positional));
      return Value::boolean(r != e.negated);
    }
    case ExprKind::Unary: {
      CORRAL_ASSIGN_OR_RETURN(Value v, eval(*e.args[0], scope));
      if (e.name == "not") return Value::boolean(!v.truthy());
      if (v.kind() == ValueKind::Int) {
        if (e.name == "+") return v;
        if (v.as_int() == INT64_MIN) return Value::number(-static_cast<double>(v.as_int()));
        return Value::integer(-v.as_int());
      }
      if (v.kind() == ValueKind::Float) return Value::number(e.name == "-" ? -v.as_double() : v.as_double());
      return Error::format("bad operand for unary '{}'", e.name);
    }
    case ExprKind::Binary: return eval_binary(e, scope);
    case ExprKind::Ternary: {
      CORRAL_ASSIGN_OR_RETURN(Value c, eval(*e.args[0], scope));
      if (c.truthy()) return eval(*e.args[1], scope);
      if (!e.args[2]) return Value();
      return eval(*e.args[2], scope);
    }
  }
  return Error("unknown expression");
}

}  // namespace corral::tmpl::jinja
