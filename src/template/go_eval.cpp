// Go template execution: variables with block scope, pipelines, if/range/with, template calls.
#include "template/go_eval.h"

#include <fmt/format.h>

#include <algorithm>

namespace corral::tmpl::gotmpl {
namespace {

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Undefined:
    case ValueKind::None: return "interface {}";
    case ValueKind::Bool: return "bool";
    case ValueKind::Int: return "int";
    case ValueKind::Float: return "float64";
    case ValueKind::String: return "string";
    case ValueKind::Array: return "[]interface {}";
    case ValueKind::Object: return v.obj().style == ObjectStyle::GoStruct ? "struct" : "map[string]interface {}";
    case ValueKind::Function: return "func";
  }
  return "?";
}

Result<Value> field_of(const Value& receiver, const std::string& name) {
  if (receiver.is_object()) {
    if (const Value* v = receiver.obj().find(name)) return *v;
    if (receiver.obj().style == ObjectStyle::GoStruct)
      return Error::format("can't evaluate field {} in type {}", name, type_name(receiver));
    return Value();  // missingkey=zero: the map's zero value
  }
  if (receiver.is_undefined() || receiver.is_none())
    return Error::format("nil pointer evaluating interface {{}}.{}", name);
  return Error::format("can't evaluate field {} in type {}", name, type_name(receiver));
}

Result<Value> field_chain(Value v, const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    CORRAL_ASSIGN_OR_RETURN(v, field_of(v, f));
  }
  return v;
}

}  // namespace

bool go_truth(const Value& v) {
  if (v.is_object() && v.obj().style == ObjectStyle::GoStruct) return true;
  return v.truthy();
}

Status Executor::append(std::string& out, std::string_view s) {
  CORRAL_TRY(budget_.string_size(out.size() + s.size(), s.size()));
  out += s;
  return {};
}

Status Executor::run(const NodeList& list, const Value& data, std::string& out) {
  vars_.clear();
  vars_.push_back(Var{"$", data});
  CORRAL_ASSIGN_OR_RETURN(Flow flow, walk(list, data, out));
  (void)flow;
  return {};
}

Result<Executor::Flow> Executor::walk(const NodeList& list, const Value& dot, std::string& out) {
  CORRAL_TRY(budget_.enter());
  DepthGuard guard(budget_);
  for (const auto& n : list) {
    CORRAL_ASSIGN_OR_RETURN(Flow flow, walk_node(*n, dot, out));
    if (flow != Flow::Normal) return flow;
  }
  return Flow::Normal;
}

Result<Executor::Flow> Executor::walk_node(const Node& n, const Value& dot, std::string& out) {
  CORRAL_TRY(budget_.step());
  auto located = [&](Error e) { return e.contexts().empty() ? go_error_at(n.pos, e.message()) : std::move(e); };
  switch (n.kind) {
    case NodeKind::Text: CORRAL_TRY(append(out, n.text)); return Flow::Normal;
    case NodeKind::Action: {
      auto v = eval_pipeline(*n.pipe, dot);
      if (!v.ok()) return located(std::move(v).error());
      if (n.pipe->decl.empty()) CORRAL_TRY(append(out, go_print(v.value())));
      return Flow::Normal;
    }
    case NodeKind::If:
    case NodeKind::With: {
      size_t mark = vars_.size();
      auto v = eval_pipeline(*n.pipe, dot);
      if (!v.ok()) return located(std::move(v).error());
      bool truth = go_truth(v.value());
      Result<Flow> flow = Flow::Normal;
      if (truth) {
        flow = walk(n.list, n.kind == NodeKind::With ? v.value() : dot, out);
      } else if (n.has_else) {
        flow = walk(n.else_list, dot, out);
      }
      vars_.resize(mark);
      return flow;
    }
    case NodeKind::Range: return walk_range(n, dot, out);
    case NodeKind::Template: {
      auto it = tree_.defines.find(n.text);
      if (it == tree_.defines.end()) return go_error_at(n.pos, fmt::format("no such template \"{}\"", n.text));
      Value new_dot;
      if (n.pipe) {
        auto v = eval_pipeline(*n.pipe, dot);
        if (!v.ok()) return located(std::move(v).error());
        new_dot = std::move(v).value();
      }
      std::vector<Var> saved = std::move(vars_);
      vars_ = {Var{"$", new_dot}};
      auto flow = walk(it->second, new_dot, out);
      vars_ = std::move(saved);
      if (!flow.ok()) return std::move(flow).error();
      return Flow::Normal;
    }
    case NodeKind::Break: return Flow::Break;
    case NodeKind::Continue: return Flow::Continue;
  }
  return Flow::Normal;
}

Result<Executor::Flow> Executor::walk_range(const Node& n, const Value& dot, std::string& out) {
  size_t mark = vars_.size();
  const Pipeline& p = *n.pipe;
  // The declared variables belong to the iterations, not to the ranged expression.
  auto v = [&]() -> Result<Value> {
    if (p.decl.empty()) return eval_pipeline(p, dot);
    Value result;
    for (size_t i = 0; i < p.cmds.size(); ++i) {
      CORRAL_ASSIGN_OR_RETURN(result, eval_command(p.cmds[i], dot, i == 0 ? nullptr : &result));
    }
    return result;
  }();
  if (!v.ok()) return v.error().contexts().empty() ? go_error_at(n.pos, v.error().message()) : std::move(v).error();
  const Value& coll = v.value();
  std::vector<std::pair<Value, Value>> items;  // key, element
  if (coll.is_array()) {
    for (size_t i = 0; i < coll.items().size(); ++i)
      items.emplace_back(Value::integer(static_cast<int64_t>(i)), coll.items()[i]);
  } else if (coll.is_object()) {
    if (coll.obj().style == ObjectStyle::GoStruct) return go_error_at(n.pos, "range can't iterate over struct");
    std::vector<const std::pair<std::string, Value>*> sorted;
    for (const auto& e : coll.obj().entries) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* e : sorted) items.emplace_back(Value::string(e->first), e->second);
  } else if (coll.kind() == ValueKind::Int) {
    CORRAL_TRY(budget_.reserve_iterations(static_cast<uint64_t>(std::max<int64_t>(coll.as_int(), 0))));
    for (int64_t i = 0; i < coll.as_int(); ++i) items.emplace_back(Value::integer(i), Value::integer(i));
  } else if (!coll.is_undefined() && !coll.is_none()) {
    return go_error_at(n.pos, fmt::format("range can't iterate over {}", go_print(coll)));
  }
  if (items.empty()) {
    Result<Flow> flow = Flow::Normal;
    if (n.has_else) flow = walk(n.else_list, dot, out);
    vars_.resize(mark);
    if (!flow.ok()) return std::move(flow).error();
    return Flow::Normal;
  }
  for (auto& [key, elem] : items) {
    CORRAL_TRY(budget_.loop_iteration());
    size_t iter_mark = vars_.size();
    if (p.decl.size() == 1) {
      vars_.push_back(Var{p.decl[0], elem});
    } else if (p.decl.size() == 2) {
      vars_.push_back(Var{p.decl[0], key});
      vars_.push_back(Var{p.decl[1], elem});
    }
    auto flow = walk(n.list, elem, out);
    vars_.resize(iter_mark);
    if (!flow.ok()) return std::move(flow).error();
    if (flow.value() == Flow::Break) break;
  }
  vars_.resize(mark);
  return Flow::Normal;
}

Result<Value*> Executor::lookup_var(const std::string& name) {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
    if (it->name == name) return &it->value;
  return Error::format("undefined variable \"{}\"", name);
}

Result<Value> Executor::eval_pipeline(const Pipeline& p, const Value& dot) {
  Value result;
  for (size_t i = 0; i < p.cmds.size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(result, eval_command(p.cmds[i], dot, i == 0 ? nullptr : &result));
  }
  // Go unwraps interface values, so a missing map entry reaching a variable stays "no value".
  for (const auto& name : p.decl) {
    if (p.is_assign) {
      CORRAL_ASSIGN_OR_RETURN(Value * existing, lookup_var(name));
      *existing = result;
    } else {
      vars_.push_back(Var{name, result});
    }
  }
  return result;
}

Result<Value> Executor::eval_command(const Command& c, const Value& dot, const Value* final) {
  const Arg& first = c.args[0];
  if (first.kind == ArgKind::Function) return call_function(first.name, c, dot, final);
  if (c.args.size() > 1 || final) {
    if (first.kind == ArgKind::Field || first.kind == ArgKind::Variable)
      return Error::format("can't give argument to non-function {}",
                           first.fields.empty() ? first.name : first.fields.back());
    return Error("can't give argument to non-function");
  }
  return eval_arg(first, dot);
}

Result<Value> Executor::eval_arg(const Arg& a, const Value& dot) {
  CORRAL_TRY(budget_.step());
  switch (a.kind) {
    case ArgKind::Dot: return dot;
    case ArgKind::Constant: return a.constant;
    case ArgKind::Field: return field_chain(dot, a.fields);
    case ArgKind::Variable: {
      CORRAL_ASSIGN_OR_RETURN(Value * v, lookup_var(a.name));
      return field_chain(*v, a.fields);
    }
    case ArgKind::Sub: {
      CORRAL_TRY(budget_.enter());
      DepthGuard guard(budget_);
      CORRAL_ASSIGN_OR_RETURN(Value v, eval_pipeline(*a.sub, dot));
      return field_chain(std::move(v), a.fields);
    }
    case ArgKind::Function: {
      Command c;
      c.pos = a.pos;
      c.args.push_back(Arg{ArgKind::Function, a.pos, a.name, {}, {}, nullptr});
      return call_function(a.name, c, dot, nullptr);
    }
  }
  return Error("bad argument");
}

Result<Value> Executor::call_function(const std::string& name, const Command& c, const Value& dot, const Value* final) {
  size_t n_args = c.args.size() - 1 + (final ? 1 : 0);
  if (name == "and" || name == "or") {
    if (n_args < 1) return Error::format("wrong number of args for {}: want at least 1 got 0", name);
    Value v;
    for (size_t i = 1; i <= n_args; ++i) {
      if (i < c.args.size()) {
        CORRAL_ASSIGN_OR_RETURN(v, eval_arg(c.args[i], dot));
      } else {
        v = *final;
      }
      if (go_truth(v) == (name == "or")) return v;
    }
    return v;
  }
  std::vector<Value> args;
  for (size_t i = 1; i < c.args.size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(Value v, eval_arg(c.args[i], dot));
    args.push_back(std::move(v));
  }
  if (final) args.push_back(*final);
  return call_builtin(budget_, name, args);
}

}  // namespace corral::tmpl::gotmpl
