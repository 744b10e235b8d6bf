// Jinja binary operators: boolean short-circuit, comparison, membership, arithmetic, concatenation.
#include <fmt/format.h>

#include <cmath>

#include "template/jinja_eval.h"

namespace corral::tmpl::jinja {
namespace {

bool is_numeric(const Value& v) {
  return v.is_number() || v.kind() == ValueKind::Bool;
}

Result<int> compare(const Value& a, const Value& b, std::string_view op) {
  if (is_numeric(a) && is_numeric(b)) {
    if (a.kind() == ValueKind::Int && b.kind() == ValueKind::Int)
      return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return Error::format("'{}' not supported between these values", op);
}

Result<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case ValueKind::Undefined: return false;
    case ValueKind::Array:
      for (const auto& v : container.items())
        if (values_equal(v, item)) return true;
      return false;
    case ValueKind::Object:
      if (!item.is_string()) return false;
      return container.obj().find(item.str()) != nullptr;
    case ValueKind::String:
      if (!item.is_string()) return Error("'in <string>' requires a string as left operand");
      return container.str().find(item.str()) != std::string::npos;
    default: return Error("argument of 'in' is not a container");
  }
}

// Python semantics: int op int stays int (float on overflow), anything with a float is float.
Result<Value> arithmetic(std::string_view op, const Value& a, const Value& b) {
  bool ints = a.kind() != ValueKind::Float && b.kind() != ValueKind::Float;
  if (ints) {
    int64_t x = a.kind() == ValueKind::Bool ? a.as_bool() : a.as_int();
    int64_t y = b.kind() == ValueKind::Bool ? b.as_bool() : b.as_int();
    int64_t r = 0;
    if (op == "+" && !__builtin_add_overflow(x, y, &r)) return Value::integer(r);
    if (op == "-" && !__builtin_sub_overflow(x, y, &r)) return Value::integer(r);
    if (op == "*" && !__builtin_mul_overflow(x, y, &r)) return Value::integer(r);
    if (op == "//" || op == "%") {
      if (y == 0) return Error("division by zero");
      if (x == INT64_MIN && y == -1) return Value::number(op == "%" ? 0.0 : 9.2233720368547758e18);
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value::integer(op == "//" ? q : m);
    }
  }
  double x = a.as_double(), y = b.as_double();
  if (op == "+") return Value::number(x + y);
  if (op == "-") return Value::number(x - y);
  if (op == "*") return Value::number(x * y);
  if (op == "/") {
    if (y == 0) return Error("division by zero");
    return Value::number(x / y);
  }
  if (op == "//") {
    if (y == 0) return Error("division by zero");
    return Value::number(std::floor(x / y));
  }
  if (op == "%") {
    if (y == 0) return Error("division by zero");
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    return Value::number(m);
  }
  if (op == "**") {
    double r = std::pow(x, y);
    if (!std::isfinite(r)) return Error("exponentiation result is not a finite number");
    if (ints && y >= 0 && std::fabs(r) < 9e15) return Value::integer(static_cast<int64_t>(r));
    return Value::number(r);
  }
  return Error::format("unknown operator '{}'", op);
}

}  // namespace

Result<Value> Interpreter::eval_binary(const Expr& e, Scope& scope) {
  const std::string& op = e.name;
  CORRAL_ASSIGN_OR_RETURN(Value a, eval(*e.args[0], scope));
  if (op == "and") return a.truthy() ? eval(*e.args[1], scope) : a;
  if (op == "or") return a.truthy() ? a : eval(*e.args[1], scope);
  CORRAL_ASSIGN_OR_RETURN(Value b, eval(*e.args[1], scope));
  if (op == "==") return Value::boolean(values_equal(a, b));
  if (op == "!=") return Value::boolean(!values_equal(a, b));
  if (op == "in" || op == "not in") {
    CORRAL_ASSIGN_OR_RETURN(bool r, contains(b, a));
    return Value::boolean(r == (op == "in"));
  }
  if (a.is_undefined() || b.is_undefined()) return Error::format("cannot apply '{}' to an undefined value", op);
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    CORRAL_ASSIGN_OR_RETURN(int c, compare(a, b, op));
    bool r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    return Value::boolean(r);
  }
  if (op == "~") {
    std::string l = to_output(a), r = to_output(b);
    CORRAL_TRY(budget().string_size(l.size() + r.size()));
    return Value::string(l + r);
  }
  if (op == "+" && (a.is_string() || b.is_string())) {
    if (a.is_none() || b.is_none()) return Error("cannot add none to a string");
    std::string l = to_output(a), r = to_output(b);
    CORRAL_TRY(budget().string_size(l.size() + r.size()));
    return Value::string(l + r);
  }
  if (op == "+" && a.is_array() && b.is_array()) {
    CORRAL_TRY(budget().reserve_iterations(a.items().size() + b.items().size()));
    std::vector<Value> items = a.items();
    items.insert(items.end(), b.items().begin(), b.items().end());
    return Value::array(std::move(items));
  }
  if (op == "*" && a.is_string() && b.kind() == ValueKind::Int) {
    int64_t n = std::max<int64_t>(b.as_int(), 0);
    if (n > 0 && a.str().size() > budget().limits().max_output_bytes / static_cast<uint64_t>(n))
      return Error::format("output size limit ({} bytes) exceeded", budget().limits().max_output_bytes);
    CORRAL_TRY(budget().string_size(a.str().size() * static_cast<size_t>(n)));
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += a.str();
    return Value::string(std::move(out));
  }
  if (is_numeric(a) && is_numeric(b)) return arithmetic(op, a, b);
  return Error::format("unsupported operand types for '{}'", op);
}

}  // namespace corral::tmpl::jinja
