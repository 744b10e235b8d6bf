// Jinja attribute and item access, slicing, methods of strings and dicts, and the global functions.
#include <fmt/format.h>

#include <ctime>

#include "template/jinja_eval.h"
#include "template/text_util.h"

namespace corral::tmpl::jinja {
namespace {

const Value* arg(const CallArgs& args, size_t index, std::string_view name) {
  if (index < args.positional.size()) return &args.positional[index];
  return args.find_keyword(name);
}

Result<bool> affix_test(const std::string& s, const Value* pattern, bool prefix) {
  auto one = [&](const std::string& p) {
    if (p.size() > s.size()) return false;
    return prefix ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0;
  };
  if (!pattern) return Error("startswith()/endswith() needs an argument");
  if (pattern->is_string()) return one(pattern->str());
  if (pattern->is_array()) {
    for (const auto& p : pattern->items()) {
      if (!p.is_string()) return Error("startswith()/endswith() tuple elements must be strings");
      if (one(p.str())) return true;
    }
    return false;
  }
  return Error("startswith()/endswith() argument must be a string or tuple of strings");
}

Result<Value> split(Budget& budget, const std::string& s, const CallArgs& args) {
  const Value* sep = arg(args, 0, "sep");
  const Value* max = arg(args, 1, "maxsplit");
  int64_t maxsplit = max && max->kind() == ValueKind::Int ? max->as_int() : -1;
  std::vector<Value> parts;
  if (!sep || sep->is_none() || sep->is_undefined()) {
    std::string_view rest(s);
    while (true) {
      rest.remove_prefix(whitespace_prefix(rest));
      if (rest.empty()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) {
        parts.push_back(Value::string(std::string(rest.substr(0, rest.size() - whitespace_suffix(rest)))));
        break;
      }
      size_t end = 0;
      while (end < rest.size() && whitespace_prefix(rest.substr(end)) == 0) ++end;
      parts.push_back(Value::string(std::string(rest.substr(0, end))));
      rest.remove_prefix(end);
      CORRAL_TRY(budget.loop_iteration());
    }
    return Value::array(std::move(parts));
  }
  if (!sep->is_string()) return Error("split() separator must be a string or none");
  if (sep->str().empty()) return Error("empty separator");
  size_t i = 0;
  while (true) {
    size_t j =
        (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) ? std::string::npos : s.find(sep->str(), i);
    if (j == std::string::npos) {
      parts.push_back(Value::string(s.substr(i)));
      break;
    }
    parts.push_back(Value::string(s.substr(i, j - i)));
    i = j + sep->str().size();
    CORRAL_TRY(budget.loop_iteration());
  }
  return Value::array(std::move(parts));
}

Value strip_method(const std::string& s, const CallArgs& args, bool left, bool right) {
  const Value* chars = arg(args, 0, "chars");
  if (chars && chars->is_string()) return Value::string(std::string(strip_chars(s, chars->str(), left, right)));
  std::string_view v(s);
  if (left) v.remove_prefix(whitespace_prefix(v));
  if (right) v.remove_suffix(whitespace_suffix(v));
  return Value::string(std::string(v));
}

Value string_method(Interpreter& in, const Value& self, const std::string& name) {
  std::string s = self.str();
  Interpreter* interp = &in;
  auto bind = [&](auto fn) { return Value::function(fn); };
  if (name == "startswith" || name == "endswith") {
    bool prefix = name == "startswith";
    return bind([s, prefix](CallArgs& a) -> Result<Value> {
      CORRAL_ASSIGN_OR_RETURN(bool r, affix_test(s, arg(a, 0, "prefix"), prefix));
      return Value::boolean(r);
    });
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool left = name != "rstrip", right = name != "lstrip";
    return bind([s, left, right](CallArgs& a) -> Result<Value> { return strip_method(s, a, left, right); });
  }
  if (name == "split") return bind([s, interp](CallArgs& a) { return split(interp->budget(), s, a); });
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" || name == "replace") {
    return bind([s, interp, name](CallArgs& a) -> Result<Value> {
      Scope none;
      return apply_filter(*interp, none, name, Value::string(s), a);
    });
  }
  if (name == "find") {
    return bind([s](CallArgs& a) -> Result<Value> {
      const Value* sub = arg(a, 0, "sub");
      if (!sub || !sub->is_string()) return Error("find() needs a string");
      size_t pos = s.find(sub->str());
      return Value::integer(pos == std::string::npos ? -1 : static_cast<int64_t>(code_point_count(s.substr(0, pos))));
    });
  }
  if (name == "join") {
    return bind([s, interp](CallArgs& a) -> Result<Value> {
      const Value* items = arg(a, 0, "iterable");
      if (!items || !items->is_array()) return Error("join() needs a list");
      std::string out;
      for (size_t i = 0; i < items->items().size(); ++i) {
        if (i) out += s;
        out += Interpreter::to_output(items->items()[i]);
        CORRAL_TRY(interp->budget().string_size(out.size()));
      }
      return Value::string(std::move(out));
    });
  }
  return Value();
}

Value dict_method(const Value& self, const std::string& name) {
  if (name == "get") {
    return Value::function([self](CallArgs& a) -> Result<Value> {
      const Value* key = arg(a, 0, "key");
      if (!key || !key->is_string()) return Value::none();
      if (const Value* v = self.obj().find(key->str())) return *v;
      const Value* fallback = arg(a, 1, "default");
      return fallback ? *fallback : Value::none();
    });
  }
  if (name == "items" || name == "keys" || name == "values") {
    return Value::function([self, name](CallArgs&) -> Result<Value> {
      std::vector<Value> out;
      for (const auto& [k, v] : self.obj().entries) {
        if (name == "items") out.push_back(Value::array({Value::string(k), v}));
        if (name == "keys") out.push_back(Value::string(k));
        if (name == "values") out.push_back(v);
      }
      return Value::array(std::move(out));
    });
  }
  return Value();
}

int64_t normalize_index(int64_t i, int64_t n) {
  return i < 0 ? i + n : i;
}

}  // namespace

Value get_attribute(Interpreter& in, const Value& obj, const std::string& name) {
  if (obj.is_object()) {
    if (const Value* v = obj.obj().find(name)) return *v;
    if (obj.obj().style == ObjectStyle::Namespace) return Value();
    return dict_method(obj, name);
  }
  if (obj.is_string()) return string_method(in, obj, name);
  return Value();
}

Result<Value> get_item(const Value& obj, const Value& key) {
  if (obj.is_object()) {
    if (!key.is_string()) return Value();
    const Value* v = obj.obj().find(key.str());
    return v ? *v : Value();
  }
  if (key.kind() != ValueKind::Int) return Value();
  if (obj.is_array()) {
    auto n = static_cast<int64_t>(obj.items().size());
    int64_t i = normalize_index(key.as_int(), n);
    return i >= 0 && i < n ? obj.items()[static_cast<size_t>(i)] : Value();
  }
  if (obj.is_string()) {
    auto offs = code_point_offsets(obj.str());
    auto n = static_cast<int64_t>(offs.size() - 1);
    int64_t i = normalize_index(key.as_int(), n);
    if (i < 0 || i >= n) return Value();
    auto k = static_cast<size_t>(i);
    return Value::string(obj.str().substr(offs[k], offs[k + 1] - offs[k]));
  }
  return Value();
}

Result<Value> slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  for (const Value* v : {&start, &stop, &step})
    if (!v->is_undefined() && !v->is_none() && v->kind() != ValueKind::Int)
      return Error("slice indices must be integers");
  int64_t st = step.kind() == ValueKind::Int ? step.as_int() : 1;
  if (st == 0) return Error("slice step cannot be zero");
  std::vector<size_t> offs;
  int64_t n = 0;
  if (obj.is_array()) {
    n = static_cast<int64_t>(obj.items().size());
  } else if (obj.is_string()) {
    offs = code_point_offsets(obj.str());
    n = static_cast<int64_t>(offs.size() - 1);
  } else {
    return Error("only lists and strings can be sliced");
  }
  auto bound = [&](const Value& v, int64_t fallback) {
    if (v.kind() != ValueKind::Int) return fallback;
    int64_t i = v.as_int();
    if (i < 0) i = std::max<int64_t>(i + n, st < 0 ? -1 : 0);
    return std::min<int64_t>(i, st < 0 ? n - 1 : n);
  };
  int64_t b = bound(start, st < 0 ? n - 1 : 0);
  int64_t e = bound(stop, st < 0 ? -1 : n);
  std::vector<Value> items;
  std::string text;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    auto k = static_cast<size_t>(i);
    if (obj.is_array()) {
      items.push_back(obj.items()[k]);
    } else {
      text += obj.str().substr(offs[k], offs[k + 1] - offs[k]);
    }
  }
  if (obj.is_array()) return Value::array(std::move(items));
  return Value::string(std::move(text));
}

void add_globals(Interpreter& in, Scope& globals) {
  Interpreter* interp = &in;
  globals.set("raise_exception", Value::function([](CallArgs& a) -> Result<Value> {
                return Error(a.positional.empty() ? std::string("raise_exception called")
                                                  : Interpreter::to_output(a.positional[0]));
              }));
  globals.set("range", Value::function([interp](CallArgs& a) -> Result<Value> {
                int64_t v[3] = {0, 0, 1};
                size_t n = a.positional.size();
                if (n == 0 || n > 3) return Error("range() takes 1 to 3 integer arguments");
                for (size_t i = 0; i < n; ++i)
                  if (a.positional[i].kind() != ValueKind::Int) return Error("range() arguments must be integers");
                if (n == 1) v[1] = a.positional[0].as_int();
                for (size_t i = 0; n > 1 && i < n; ++i) v[i] = a.positional[i].as_int();
                if (v[2] == 0) return Error("range() step must not be zero");
                double count = std::max(0.0, std::ceil((static_cast<double>(v[1]) - static_cast<double>(v[0])) /
                                                       static_cast<double>(v[2])));
                CORRAL_TRY(interp->budget().reserve_iterations(static_cast<uint64_t>(std::min(count, 1e18))));
                std::vector<Value> items;
                for (int64_t i = 0; i < static_cast<int64_t>(count); ++i)
                  items.push_back(Value::integer(v[0] + i * v[2]));
                return Value::array(std::move(items));
              }));
  globals.set("namespace", Value::function([](CallArgs& a) -> Result<Value> {
                Value ns = Value::object({}, ObjectStyle::Namespace);
                if (!a.positional.empty()) {
                  if (!a.positional[0].is_object()) return Error("namespace() takes a mapping");
                  for (const auto& [k, v] : a.positional[0].obj().entries) ns.mutable_obj().set(k, v);
                }
                for (const auto& [k, v] : a.keyword) {
                  if (v.has_namespace()) return Error("namespaces and functions cannot be stored in a namespace");
                  ns.mutable_obj().set(k, v);
                }
                return ns;
              }));
  globals.set("dict", Value::function([](CallArgs& a) -> Result<Value> { return Value::object(a.keyword); }));
  globals.set("strftime_now", Value::function([](CallArgs& a) -> Result<Value> {
                if (a.positional.empty() || !a.positional[0].is_string()) return Error("strftime_now() needs a format");
                std::time_t now = std::time(nullptr);
                std::tm tm{};
                localtime_r(&now, &tm);
                char buf[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"  // the format is the template's, as in Python
                size_t n = std::strftime(buf, sizeof buf, a.positional[0].str().c_str(), &tm);
#pragma GCC diagnostic pop
                return Value::string(std::string(buf, n));
              }));
}

}  // namespace corral::tmpl::jinja
