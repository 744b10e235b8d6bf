// Jinja builtins: filters, tests, methods of strings and dicts, item access, slicing and globals
// (range, namespace, raise_exception, strftime_now, dict).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include "template/jinja_eval.h"
#include "template/jinja_parser.h"
#include "template/text_util.h"

namespace corral::tmpl::jinja {
namespace {

constexpr std::array kFilters = {
    "abs",    "attr",       "capitalize", "count",   "d",     "default", "dictsort",   "first", "float",
    "indent", "int",        "items",      "join",    "last",  "length",  "list",       "lower", "map",
    "reject", "rejectattr", "replace",    "reverse", "safe",  "select",  "selectattr", "sort",  "string",
    "title",  "tojson",     "trim",       "unique",  "upper", "round",   "sum",        "min",   "max"};

constexpr std::array kTests = {"boolean", "callable", "defined",  "divisibleby", "eq",   "equalto",   "even",
                               "false",   "float",    "ge",       "gt",          "in",   "integer",   "iterable",
                               "le",      "lower",    "lt",       "mapping",     "ne",   "none",      "number",
                               "odd",     "sameas",   "sequence", "string",      "true", "undefined", "upper"};

const Value* arg(const CallArgs& args, size_t index, std::string_view name) {
  if (index < args.positional.size()) return &args.positional[index];
  return args.find_keyword(name);
}

Result<int64_t> int_arg(const CallArgs& args, size_t index, std::string_view name, int64_t fallback) {
  const Value* v = arg(args, index, name);
  if (!v || v->is_none() || v->is_undefined()) return fallback;
  if (v->kind() != ValueKind::Int) return Error::format("argument '{}' must be an integer", name);
  return v->as_int();
}

bool bool_arg(const CallArgs& args, size_t index, std::string_view name, bool fallback) {
  const Value* v = arg(args, index, name);
  return v && !v->is_undefined() ? v->truthy() : fallback;
}

// `a.b.0` attribute paths of selectattr/map/sort.
Value attribute_path(const Value& item, std::string_view path) {
  Value v = item;
  while (true) {
    size_t dot = path.find('.');
    std::string part(path.substr(0, dot));
    if (v.is_object()) {
      const Value* f = v.obj().find(part);
      v = f ? *f : Value();
    } else if (v.is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit) && part.size() < 10) {
      size_t i = std::stoul(part);
      v = i < v.items().size() ? v.items()[i] : Value();
    } else {
      return Value();
    }
    if (dot == std::string_view::npos) return v;
    path.remove_prefix(dot + 1);
  }
}

Result<std::vector<Value>> as_list(const Value& v) {
  if (v.is_array()) return v.items();
  if (v.is_undefined()) return std::vector<Value>{};
  if (v.is_object()) {
    std::vector<Value> keys;
    for (const auto& [k, x] : v.obj().entries) keys.push_back(Value::string(k));
    return keys;
  }
  if (v.is_string()) {
    std::vector<Value> chars;
    auto offs = code_point_offsets(v.str());
    for (size_t k = 0; k + 1 < offs.size(); ++k)
      chars.push_back(Value::string(v.str().substr(offs[k], offs[k + 1] - offs[k])));
    return chars;
  }
  return Error("value is not iterable");
}

Result<std::string> to_json_filter(Interpreter& in, const Value& v, const CallArgs& args) {
  JsonStyle style;
  CORRAL_ASSIGN_OR_RETURN(int64_t indent, int_arg(args, 0, "indent", -1));
  if (indent > 64) return Error("tojson indent too large");
  style.indent = static_cast<int>(indent);
  if (indent >= 0) style.item_separator = ",";
  if (const Value* seps = args.find_keyword("separators"); seps && seps->is_array() && seps->items().size() == 2 &&
                                                           seps->items()[0].is_string() &&
                                                           seps->items()[1].is_string()) {
    style.item_separator = seps->items()[0].str();
    style.key_separator = seps->items()[1].str();
  }
  CORRAL_TRY(in.budget().step(1));
  std::string out = to_json(v, style);
  CORRAL_TRY(in.budget().string_size(out.size()));
  return out;
}

std::string indent_text(const std::string& s, const std::string& pad, bool first, bool blank) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(s.substr(start));
      break;
    }
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() > 1 && lines.back().empty()) lines.pop_back();  // splitlines drops the final empty line
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    if ((i > 0 || first) && (blank || !lines[i].empty())) out += pad;
    out += lines[i];
  }
  return out;
}

Result<Value> sort_values(std::vector<Value> items, bool reverse, std::string_view attribute) {
  Status failure;
  auto key = [&](const Value& v) { return attribute.empty() ? v : attribute_path(v, attribute); };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    Value x = key(a), y = key(b);
    if (x.is_string() && y.is_string()) return reverse ? y.str() < x.str() : x.str() < y.str();
    if ((x.is_number() || x.kind() == ValueKind::Bool) && (y.is_number() || y.kind() == ValueKind::Bool))
      return reverse ? y.as_double() < x.as_double() : x.as_double() < y.as_double();
    failure = Error("cannot sort values of different types");
    return false;
  });
  CORRAL_TRY(std::move(failure));
  return Value::array(std::move(items));
}

Result<Value> select_filter(Interpreter& in, Scope& scope, std::string_view name, const Value& operand,
                            CallArgs& args) {
  CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
  bool by_attr = name == "selectattr" || name == "rejectattr";
  bool keep_when = name == "select" || name == "selectattr";
  size_t next = 0;
  std::string attribute;
  if (by_attr) {
    if (args.positional.empty() || !args.positional[0].is_string())
      return Error::format("{} needs an attribute name", name);
    attribute = args.positional[0].str();
    next = 1;
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) return Error("test name must be a string");
    test = args.positional[next].str();
    if (!is_known_test(test)) return Error::format("unknown test '{}'", test);
  }
  std::vector<Value> test_args(args.positional.begin() + static_cast<long>(std::min(next + 1, args.positional.size())),
                               args.positional.end());
  std::vector<Value> out;
  for (const auto& item : items) {
    CORRAL_TRY(in.budget().loop_iteration());
    Value subject = by_attr ? attribute_path(item, attribute) : item;
    bool r = false;
    if (test.empty()) {
      r = subject.truthy();
    } else {
      CORRAL_ASSIGN_OR_RETURN(r, apply_test(in, test, subject, test_args));
    }
    if (r == keep_when) out.push_back(item);
  }
  (void)scope;
  return Value::array(std::move(out));
}

Result<Value> map_filter(Interpreter& in, Scope& scope, const Value& operand, CallArgs& args) {
  CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
  std::vector<Value> out;
  if (const Value* attr = args.find_keyword("attribute")) {
    if (!attr->is_string()) return Error("map attribute must be a string");
    const Value* fallback = args.find_keyword("default");
    for (const auto& item : items) {
      CORRAL_TRY(in.budget().loop_iteration());
      Value v = attribute_path(item, attr->str());
      out.push_back(v.is_undefined() && fallback ? *fallback : v);
    }
    return Value::array(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) return Error("map needs a filter name or attribute=");
  std::string filter = args.positional[0].str();
  if (!is_known_filter(filter)) return Error::format("unknown filter '{}'", filter);
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const auto& item : items) {
    CORRAL_TRY(in.budget().loop_iteration());
    CORRAL_ASSIGN_OR_RETURN(Value v, apply_filter(in, scope, filter, item, rest));
    out.push_back(std::move(v));
  }
  return Value::array(std::move(out));
}

Result<Value> string_filter(Interpreter& in, std::string_view name, const Value& operand, CallArgs& args) {
  const std::string& s = operand.str();
  if (name == "trim") {
    const Value* chars = arg(args, 0, "chars");
    if (chars && chars->is_string()) return Value::string(std::string(strip_chars(s, chars->str(), true, true)));
    return Value::string(std::string(trim_whitespace(s)));
  }
  if (name == "upper") return Value::string(ascii_upper(s));
  if (name == "lower") return Value::string(ascii_lower(s));
  if (name == "capitalize") {
    std::string out = ascii_lower(s);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
    return Value::string(std::move(out));
  }
  if (name == "title") {
    std::string out = s;
    bool start = true;
    for (char& c : out) {
      bool alpha = std::isalpha(static_cast<unsigned char>(c));
      if (alpha) c = static_cast<char>(start ? std::toupper(c) : std::tolower(c));
      start = !alpha && !(static_cast<unsigned char>(c) & 0x80);
    }
    return Value::string(std::move(out));
  }
  if (name == "replace") {
    const Value* from = arg(args, 0, "old");
    const Value* to = arg(args, 1, "new");
    if (!from || !to || !from->is_string() || !to->is_string()) return Error("replace() arguments must be strings");
    CORRAL_ASSIGN_OR_RETURN(int64_t count, int_arg(args, 2, "count", -1));
    std::string out;
    if (!replace_all(s, from->str(), to->str(), count, in.budget().limits().max_output_bytes, out))
      return Error::format("output size limit ({} bytes) exceeded", in.budget().limits().max_output_bytes);
    CORRAL_TRY(in.budget().string_size(out.size()));
    return Value::string(std::move(out));
  }
  if (name == "indent") {
    std::string pad(4, ' ');
    if (const Value* w = arg(args, 0, "width")) {
      if (w->kind() == ValueKind::Int) {
        if (w->as_int() < 0 || w->as_int() > 256) return Error("indent width out of range");
        pad.assign(static_cast<size_t>(w->as_int()), ' ');
      } else if (w->is_string()) {
        pad = w->str();
      }
    }
    std::string out = indent_text(s, pad, bool_arg(args, 1, "first", false), bool_arg(args, 2, "blank", false));
    CORRAL_TRY(in.budget().string_size(out.size()));
    return Value::string(std::move(out));
  }
  if (name == "int" || name == "float") {
    std::string t(trim_whitespace(s));
    char* end = nullptr;
    double d = std::strtod(t.c_str(), &end);
    bool ok = !t.empty() && end == t.c_str() + t.size() && std::isfinite(d);
    if (name == "float") return Value::number(ok ? d : 0.0);
    if (!ok || std::fabs(d) > 9e18) {
      const Value* fallback = arg(args, 0, "default");
      return fallback ? *fallback : Value::integer(0);
    }
    return Value::integer(static_cast<int64_t>(d));
  }
  return Error::format("filter '{}' cannot be applied to a string", name);
}

}  // namespace

bool is_known_filter(std::string_view name) {
  return std::find(kFilters.begin(), kFilters.end(), name) != kFilters.end();
}

bool is_known_test(std::string_view name) {
  return std::find(kTests.begin(), kTests.end(), name) != kTests.end();
}

bool test_takes_argument(std::string_view name) {
  for (std::string_view n : {"divisibleby", "eq", "equalto", "ge", "gt", "in", "le", "lt", "ne", "sameas"})
    if (n == name) return true;
  return false;
}

Result<Value> apply_filter(Interpreter& in, Scope& scope, std::string_view name, const Value& operand, CallArgs& args) {
  if (name == "safe") return operand;
  if (name == "default" || name == "d") {
    bool use_default = bool_arg(args, 1, "boolean", false) ? !operand.truthy() : operand.is_undefined();
    if (!use_default) return operand;
    const Value* d = arg(args, 0, "default_value");
    return d ? *d : Value::string("");
  }
  if (name == "tojson") {
    CORRAL_ASSIGN_OR_RETURN(std::string s, to_json_filter(in, operand, args));
    return Value::string(std::move(s));
  }
  if (name == "string") return Value::string(Interpreter::to_output(operand));
  if (name == "length" || name == "count") {
    if (operand.is_string()) return Value::integer(static_cast<int64_t>(code_point_count(operand.str())));
    if (operand.is_array()) return Value::integer(static_cast<int64_t>(operand.items().size()));
    if (operand.is_object()) return Value::integer(static_cast<int64_t>(operand.obj().entries.size()));
    if (operand.is_undefined()) return Value::integer(0);
    return Error::format("object of this type has no length");
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr")
    return select_filter(in, scope, name, operand, args);
  if (name == "map") return map_filter(in, scope, operand, args);
  if (name == "items") {
    if (operand.is_undefined()) return Value::array({});
    if (!operand.is_object()) return Error("items filter needs a mapping");
    std::vector<Value> pairs;
    for (const auto& [k, v] : operand.obj().entries) pairs.push_back(Value::array({Value::string(k), v}));
    return Value::array(std::move(pairs));
  }
  if (name == "dictsort") {
    if (!operand.is_object()) return Error("dictsort filter needs a mapping");
    std::vector<Value> pairs;
    for (const auto& [k, v] : operand.obj().entries) pairs.push_back(Value::array({Value::string(k), v}));
    return sort_values(std::move(pairs), bool_arg(args, 2, "reverse", false), "0");
  }
  if (name == "list") {
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    return Value::array(std::move(items));
  }
  if (name == "first" || name == "last") {
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    if (items.empty()) return Value();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (operand.is_string()) {
      auto offs = code_point_offsets(operand.str());
      std::string out;
      for (size_t k = offs.size() - 1; k > 0; --k) out += operand.str().substr(offs[k - 1], offs[k] - offs[k - 1]);
      return Value::string(std::move(out));
    }
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    std::reverse(items.begin(), items.end());
    return Value::array(std::move(items));
  }
  if (name == "sort") {
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    const Value* attr = arg(args, 2, "attribute");
    return sort_values(std::move(items), bool_arg(args, 0, "reverse", false),
                       attr && attr->is_string() ? std::string_view(attr->str()) : std::string_view());
  }
  if (name == "unique") {
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    std::vector<Value> out;
    for (const auto& v : items) {
      CORRAL_TRY(in.budget().step(out.size()));
      if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return values_equal(o, v); })) out.push_back(v);
    }
    return Value::array(std::move(out));
  }
  if (name == "join") {
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    const Value* sep = arg(args, 0, "d");
    const Value* attr = arg(args, 1, "attribute");
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0 && sep) out += Interpreter::to_output(*sep);
      out += Interpreter::to_output(attr && attr->is_string() ? attribute_path(items[i], attr->str()) : items[i]);
      CORRAL_TRY(in.budget().string_size(out.size()));
    }
    return Value::string(std::move(out));
  }
  if (name == "sum" || name == "min" || name == "max") {
    CORRAL_ASSIGN_OR_RETURN(std::vector<Value> items, as_list(operand));
    if (name == "sum") {
      Value total = Value::integer(0);
      for (const auto& v : items) {
        if (!v.is_number()) return Error("sum needs numbers");
        total = total.kind() == ValueKind::Int && v.kind() == ValueKind::Int
                    ? Value::integer(total.as_int() + v.as_int())
                    : Value::number(total.as_double() + v.as_double());
      }
      return total;
    }
    if (items.empty()) return Value();
    CORRAL_ASSIGN_OR_RETURN(Value sorted, sort_values(std::move(items), false, ""));
    return name == "min" ? sorted.items().front() : sorted.items().back();
  }
  if (name == "abs" || name == "round") {
    if (operand.kind() == ValueKind::Int)
      return Value::integer(operand.as_int() == INT64_MIN ? INT64_MAX : std::llabs(operand.as_int()));
    if (operand.kind() == ValueKind::Float)
      return Value::number(name == "abs" ? std::fabs(operand.as_double()) : std::nearbyint(operand.as_double()));
    return Error::format("{} needs a number", name);
  }
  if (name == "int" || name == "float") {
    if (operand.is_string()) return string_filter(in, name, operand, args);
    if (operand.kind() == ValueKind::Bool)
      return name == "int" ? Value::integer(operand.as_bool()) : Value::number(operand.as_bool());
    if (operand.kind() == ValueKind::Int) return name == "int" ? operand : Value::number(operand.as_double());
    if (operand.kind() == ValueKind::Float) {
      double d = operand.as_double();
      if (name == "float") return operand;
      if (!std::isfinite(d) || std::fabs(d) > 9e18) return Error("cannot convert this float to an integer");
      return Value::integer(static_cast<int64_t>(d));
    }
    return name == "int" ? Value::integer(0) : Value::number(0.0);
  }
  if (name == "attr") {
    const Value* a = arg(args, 0, "name");
    if (!a || !a->is_string()) return Error("attr needs a name");
    return get_attribute(in, operand, a->str());
  }
  if (operand.is_string()) return string_filter(in, name, operand, args);
  if (operand.is_undefined() && (name == "trim" || name == "upper" || name == "lower" || name == "capitalize" ||
                                 name == "title" || name == "indent" || name == "replace"))
    return string_filter(in, name, Value::string(""), args);
  return Error::format("filter '{}' cannot be applied to this value", name);
}

Result<bool> apply_test(Interpreter& in, std::string_view name, const Value& v, const std::vector<Value>& args) {
  (void)in;
  auto need_arg = [&]() -> Result<const Value*> {
    if (args.empty()) return Error::format("test '{}' needs an argument", name);
    return &args[0];
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_object() && v.obj().style != ObjectStyle::Namespace;
  if (name == "iterable") return v.is_array() || v.is_string() || v.is_object();
  if (name == "sequence") return v.is_array() || v.is_string() || v.is_object();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.kind() == ValueKind::Int;
  if (name == "float") return v.kind() == ValueKind::Float;
  if (name == "boolean") return v.kind() == ValueKind::Bool;
  if (name == "true") return v.kind() == ValueKind::Bool && v.as_bool();
  if (name == "false") return v.kind() == ValueKind::Bool && !v.as_bool();
  if (name == "callable") return v.is_function();
  if (name == "lower") return v.is_string() && ascii_lower(v.str()) == v.str();
  if (name == "upper") return v.is_string() && ascii_upper(v.str()) == v.str();
  if (name == "odd" || name == "even") {
    if (v.kind() != ValueKind::Int) return Error::format("test '{}' needs an integer", name);
    return (v.as_int() % 2 != 0) == (name == "odd");
  }
  if (name == "divisibleby") {
    CORRAL_ASSIGN_OR_RETURN(const Value* d, need_arg());
    if (v.kind() != ValueKind::Int || d->kind() != ValueKind::Int || d->as_int() == 0)
      return Error("divisibleby needs non-zero integers");
    return d->as_int() == -1 || v.as_int() % d->as_int() == 0;
  }
  if (name == "eq" || name == "equalto" || name == "sameas" || name == "ne") {
    CORRAL_ASSIGN_OR_RETURN(const Value* other, need_arg());
    return values_equal(v, *other) != (name == "ne");
  }
  if (name == "in") {
    CORRAL_ASSIGN_OR_RETURN(const Value* c, need_arg());
    if (c->is_array())
      return std::any_of(c->items().begin(), c->items().end(), [&](const Value& x) { return values_equal(x, v); });
    if (c->is_object()) return v.is_string() && c->obj().find(v.str());
    if (c->is_string()) return v.is_string() && c->str().find(v.str()) != std::string::npos;
    return Error("test 'in' needs a container");
  }
  if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
    CORRAL_ASSIGN_OR_RETURN(const Value* o, need_arg());
    if (!v.is_number() || !o->is_number()) return Error::format("test '{}' needs numbers", name);
    double a = v.as_double(), b = o->as_double();
    return name == "lt" ? a < b : name == "le" ? a <= b : name == "gt" ? a > b : a >= b;
  }
  return Error::format("unknown test '{}'", name);
}

}  // namespace corral::tmpl::jinja
