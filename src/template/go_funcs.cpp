// Go template functions (comparison, len, index, slice, print, printf, escaping) and Ollama's
// (json, currentDate, yesterdayDate, toTypeScriptType); Go's %v printing and JSON encoding.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <ctime>

#include "template/go_eval.h"

namespace corral::tmpl::gotmpl {
namespace {

// fmt's %v of a float64: strconv's shortest 'g', which switches to %e when the decimal exponent is
// below -4 or at least 6 (fmt.Println(1e6) prints 1e+06, 123456.0 prints 123456).
std::string go_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, p);
  int exp = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (exp < -4 || exp >= 6) return sci;
  auto [q, ec2] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  (void)ec;
  (void)ec2;
  return std::string(buf, q);
}

bool has_objects(const Value& v) {
  for (const auto& item : v.items())
    if (item.is_object()) return true;
  return false;
}

Result<int> compare(const Value& a, const Value& b, bool ordered) {
  if (a.kind() == ValueKind::Int && b.kind() == ValueKind::Int)
    return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
  if (a.kind() == ValueKind::Float && b.kind() == ValueKind::Float)
    return a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double() ? 1 : 0;
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (!ordered && a.kind() == ValueKind::Bool && b.kind() == ValueKind::Bool) return a.as_bool() == b.as_bool() ? 0 : 1;
  if (!ordered && (a.is_none() || a.is_undefined()) && (b.is_none() || b.is_undefined())) return 0;
  if (a.is_array() || a.is_object() || b.is_array() || b.is_object())
    return Error(ordered ? "invalid type for comparison" : "non-comparable types");
  return Error("incompatible types for comparison");
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Go's fmt.Sprintf for the verbs templates use: %s %v %d %q %t %f %g %x %%.
Result<std::string> printf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (++i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    std::string flags;
    while (i < format.size() && std::strchr("+-# 0123456789.", format[i])) flags += format[i++];
    if (i >= format.size()) break;
    char verb = format[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) {
      out += fmt::format("%!{}(MISSING)", verb);
      continue;
    }
    const Value& a = args[next++];
    switch (verb) {
      case 's':
      case 'v': out += go_print(a); break;
      case 'd':
        out += a.kind() == ValueKind::Int ? std::to_string(a.as_int()) : fmt::format("%!d({})", go_print(a));
        break;
      case 't': out += a.kind() == ValueKind::Bool ? go_print(a) : fmt::format("%!t({})", go_print(a)); break;
      case 'q': {
        std::string q;
        append_json_string(q, go_print(a));
        out += q;
        break;
      }
      case 'f':
      case 'g':
      case 'e':
        if (a.is_number()) {
          int prec = 6;
          if (auto dot = flags.find('.'); dot != std::string::npos) prec = std::atoi(flags.c_str() + dot + 1);
          prec = std::clamp(prec, 0, 64);
          out += verb == 'g' ? go_float(a.as_double())
                             : fmt::format(fmt::runtime(verb == 'f' ? "{:.{}f}" : "{:.{}e}"), a.as_double(), prec);
        } else {
          out += fmt::format("%!{}({})", verb, go_print(a));
        }
        break;
      case 'x':
        if (a.kind() == ValueKind::Int) {
          out += fmt::format("{:x}", a.as_int());
        } else {
          for (unsigned char ch : go_print(a)) out += fmt::format("{:02x}", ch);
        }
        break;
      default: out += fmt::format("%!{}({})", verb, go_print(a));
    }
  }
  if (next < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = next; k < args.size(); ++k) out += (k > next ? ", " : "") + go_print(args[k]);
    out += ")";
  }
  return out;
}

// The TypeScript type Ollama writes for a tool parameter.
std::string typescript_type(const Value& prop) {
  if (!prop.is_object()) return "any";
  const Value* type = prop.obj().find("Type");
  const Value* enums = prop.obj().find("Enum");
  if (enums && enums->is_array() && !enums->items().empty()) {
    std::string out;
    for (size_t i = 0; i < enums->items().size(); ++i) {
      if (i) out += " | ";
      out += enums->items()[i].is_string() ? "\"" + enums->items()[i].str() + "\"" : go_print(enums->items()[i]);
    }
    return out;
  }
  auto one = [&](const std::string& t) -> std::string {
    if (t == "string") return "string";
    if (t == "number" || t == "integer") return "number";
    if (t == "boolean") return "boolean";
    if (t == "array") {
      const Value* items = prop.obj().find("Items");
      return (items && items->is_object() ? typescript_type(*items) : std::string("any")) + "[]";
    }
    if (t == "object") return "Record<string, any>";
    if (t == "null") return "null";
    return "any";
  };
  if (type && type->is_string()) return one(type->str());
  if (type && type->is_array()) {
    std::string out;
    for (size_t i = 0; i < type->items().size(); ++i) {
      if (i) out += " | ";
      out += type->items()[i].is_string() ? one(type->items()[i].str()) : "any";
    }
    return out.empty() ? "any" : out;
  }
  return "any";
}

std::string date_string(int days_back) {
  std::time_t now = std::time(nullptr) - static_cast<std::time_t>(days_back) * 86400;
  std::tm tm{};
  localtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Result<Value> index_into(const Value& v, const Value& key) {
  if (v.is_array()) {
    if (key.kind() != ValueKind::Int) return Error("cannot index slice/array with non-integer");
    if (key.as_int() < 0 || static_cast<size_t>(key.as_int()) >= v.items().size())
      return Error::format("index out of range: {}", key.as_int());
    return v.items()[static_cast<size_t>(key.as_int())];
  }
  if (v.is_object() && v.obj().style != ObjectStyle::GoStruct) {
    if (!key.is_string()) return Error("value has type int; should be string");
    const Value* f = v.obj().find(key.str());
    return f ? *f : Value();
  }
  if (v.is_string()) {
    if (key.kind() != ValueKind::Int || key.as_int() < 0 || static_cast<size_t>(key.as_int()) >= v.str().size())
      return Error("index out of range");
    return Value::integer(static_cast<unsigned char>(v.str()[static_cast<size_t>(key.as_int())]));
  }
  if (v.is_undefined() || v.is_none()) return Error("index of untyped nil");
  return Error("can't index item");
}

}  // namespace

std::string go_print(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Undefined: return "<no value>";
    case ValueKind::None: return "<nil>";
    case ValueKind::Bool: return v.as_bool() ? "true" : "false";
    case ValueKind::Int: return std::to_string(v.as_int());
    case ValueKind::Float: return go_float(v.as_double());
    case ValueKind::String: return v.str();
    case ValueKind::Array: {
      if (has_objects(v)) return go_json(v);
      std::string out = "[";
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ' ';
        out += v.items()[i].is_undefined() ? "<nil>" : go_print(v.items()[i]);
      }
      return out + "]";
    }
    case ValueKind::Object: return go_json(v);
    case ValueKind::Function: return "<func>";
  }
  return "";
}

std::string go_json(const Value& v) {
  JsonStyle style;
  style.go = true;
  style.item_separator = ",";
  style.key_separator = ":";
  return to_json(v, style);
}

Result<Value> call_builtin(Budget& budget, const std::string& name, std::vector<Value>& args) {
  auto want = [&](size_t n) -> Status {
    if (args.size() != n) return Error::format("wrong number of args for {}: want {} got {}", name, n, args.size());
    return {};
  };
  if (name == "not") {
    CORRAL_TRY(want(1));
    return Value::boolean(!go_truth(args[0]));
  }
  if (name == "eq" || name == "ne") {
    if (args.size() < 2) return Error::format("wrong number of args for {}: want 2 got {}", name, args.size());
    if (name == "ne") CORRAL_TRY(want(2));
    for (size_t i = 1; i < args.size(); ++i) {
      CORRAL_ASSIGN_OR_RETURN(int c, compare(args[0], args[i], false));
      if (c == 0) return Value::boolean(name == "eq");
    }
    return Value::boolean(name == "ne");
  }
  if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
    CORRAL_TRY(want(2));
    CORRAL_ASSIGN_OR_RETURN(int c, compare(args[0], args[1], true));
    return Value::boolean(name == "lt" ? c < 0 : name == "le" ? c <= 0 : name == "gt" ? c > 0 : c >= 0);
  }
  if (name == "len") {
    CORRAL_TRY(want(1));
    const Value& a = args[0];
    if (a.is_string()) return Value::integer(static_cast<int64_t>(a.str().size()));
    if (a.is_array()) return Value::integer(static_cast<int64_t>(a.items().size()));
    if (a.is_object() && a.obj().style != ObjectStyle::GoStruct)
      return Value::integer(static_cast<int64_t>(a.obj().entries.size()));
    return Error("len of type with no length");
  }
  if (name == "index") {
    if (args.empty()) return Error("wrong number of args for index: want at least 1 got 0");
    Value v = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      CORRAL_ASSIGN_OR_RETURN(v, index_into(v, args[i]));
    }
    return v;
  }
  if (name == "slice") {
    if (args.empty() || args.size() > 3) return Error("wrong number of args for slice");
    const Value& v = args[0];
    int64_t len = v.is_string()  ? static_cast<int64_t>(v.str().size())
                  : v.is_array() ? static_cast<int64_t>(v.items().size())
                                 : -1;
    if (len < 0) return Error("can't slice item");
    int64_t idx[2] = {0, len};
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i].kind() != ValueKind::Int) return Error("slice index must be an integer");
      idx[i - 1] = args[i].as_int();
    }
    if (idx[0] < 0 || idx[1] < idx[0] || idx[1] > len) return Error::format("index out of range: {}", idx[1]);
    if (v.is_string())
      return Value::string(v.str().substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0])));
    return Value::array(std::vector<Value>(v.items().begin() + idx[0], v.items().begin() + idx[1]));
  }
  if (name == "print" || name == "println") {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
      bool space = name == "println" || (!args[i].is_string() && i > 0 && !args[i - 1].is_string());
      if (i > 0 && space) out += ' ';
      out += go_print(args[i]);
    }
    if (name == "println") out += '\n';
    CORRAL_TRY(budget.string_size(out.size()));
    return Value::string(std::move(out));
  }
  if (name == "printf") {
    if (args.empty() || !args[0].is_string()) return Error("printf needs a format string");
    CORRAL_ASSIGN_OR_RETURN(std::string out, printf(args[0].str(), args));
    CORRAL_TRY(budget.string_size(out.size()));
    return Value::string(std::move(out));
  }
  if (name == "html" || name == "js" || name == "urlquery") {
    std::string s;
    for (const auto& a : args) s += go_print(a);
    if (name == "html") return Value::string(html_escape(s));
    if (name == "js") {
      std::string q;
      append_json_string(q, s, true);
      return Value::string(q.substr(1, q.size() - 2));
    }
    std::string out;
    for (unsigned char c : s)
      out +=
          std::isalnum(c) || std::strchr("-_.~", c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    return Value::string(std::move(out));
  }
  if (name == "json") {
    CORRAL_TRY(want(1));
    std::string out = go_json(args[0]);
    CORRAL_TRY(budget.string_size(out.size()));
    return Value::string(std::move(out));
  }
  if (name == "currentDate" || name == "yesterdayDate") {
    CORRAL_TRY(want(0));
    return Value::string(date_string(name == "currentDate" ? 0 : 1));
  }
  if (name == "toTypeScriptType") {
    CORRAL_TRY(want(1));
    return Value::string(typescript_type(args[0]));
  }
  return Error::format("function \"{}\" not supported", name);
}

}  // namespace corral::tmpl::gotmpl
