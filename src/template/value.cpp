// Value construction, JSON conversion both ways, truthiness and equality.
#include "template/value.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace corral::tmpl {

const Value* CallArgs::find_keyword(std::string_view name) const {
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return nullptr;
}

const Value* ObjectData::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

void ObjectData::set(std::string key, Value value) {
  depth = std::max(depth, value.depth() + 1);
  has_namespace = has_namespace || value.has_namespace();
  for (auto& [k, v] : entries) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

Value Value::none() {
  Value v;
  v.kind_ = ValueKind::None;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = ValueKind::Bool;
  v.data_ = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = ValueKind::Int;
  v.data_ = i;
  return v;
}

Value Value::number(double d) {
  Value v;
  v.kind_ = ValueKind::Float;
  v.data_ = d;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = ValueKind::String;
  v.data_ = std::move(s);
  return v;
}

Value Value::array(std::vector<Value> items) {
  auto data = std::make_shared<ArrayData>();
  for (const auto& item : items) {
    data->depth = std::max(data->depth, item.depth() + 1);
    data->has_namespace = data->has_namespace || item.has_namespace();
  }
  data->items = std::move(items);
  Value v;
  v.kind_ = ValueKind::Array;
  v.data_ = std::move(data);
  return v;
}

Value Value::object(Entries entries, ObjectStyle style) {
  auto data = std::make_shared<ObjectData>();
  data->style = style;
  data->has_namespace = style == ObjectStyle::Namespace;
  for (const auto& [k, item] : entries) {
    data->depth = std::max(data->depth, item.depth() + 1);
    data->has_namespace = data->has_namespace || item.has_namespace();
  }
  data->entries = std::move(entries);
  Value v;
  v.kind_ = ValueKind::Object;
  v.data_ = std::move(data);
  return v;
}

Value Value::function(NativeFunction fn) {
  Value v;
  v.kind_ = ValueKind::Function;
  v.data_ = std::make_shared<NativeFunction>(std::move(fn));
  return v;
}

namespace {

Result<Value> from_json_at(const nlohmann::ordered_json& j, ObjectStyle style, int depth) {
  if (depth > kMaxValueDepth) return Error::format("input nested deeper than {} levels", kMaxValueDepth);
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::none();
    case nlohmann::ordered_json::value_t::boolean: return Value::boolean(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value::integer(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value::number(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value::string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) {
        CORRAL_ASSIGN_OR_RETURN(Value item, from_json_at(e, style, depth + 1));
        items.push_back(std::move(item));
      }
      return Value::array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Entries entries;
      entries.reserve(j.size());
      for (const auto& [k, e] : j.items()) {
        CORRAL_ASSIGN_OR_RETURN(Value item, from_json_at(e, style, depth + 1));
        entries.emplace_back(k, std::move(item));
      }
      return Value::object(std::move(entries), style);
    }
    default: return Error("unsupported JSON value (binary or discarded)");
  }
}

}  // namespace

Result<Value> Value::from_json(const nlohmann::ordered_json& j, ObjectStyle object_style) {
  return from_json_at(j, object_style, 0);
}

double Value::as_double() const {
  if (kind_ == ValueKind::Int) return static_cast<double>(as_int());
  if (kind_ == ValueKind::Bool) return as_bool() ? 1.0 : 0.0;
  return std::get<double>(data_);
}

bool Value::same_object(const Value& other) const {
  return data_ == other.data_;
}

int Value::depth() const {
  if (kind_ == ValueKind::Array) return std::get<std::shared_ptr<ArrayData>>(data_)->depth;
  if (kind_ == ValueKind::Object) return std::get<std::shared_ptr<ObjectData>>(data_)->depth;
  return 0;
}

bool Value::has_namespace() const {
  if (kind_ == ValueKind::Function) return true;  // a function may point into a scope; keep it out too
  if (kind_ == ValueKind::Array) return std::get<std::shared_ptr<ArrayData>>(data_)->has_namespace;
  if (kind_ == ValueKind::Object) return std::get<std::shared_ptr<ObjectData>>(data_)->has_namespace;
  return false;
}

bool Value::truthy() const {
  switch (kind_) {
    case ValueKind::Undefined:
    case ValueKind::None: return false;
    case ValueKind::Bool: return as_bool();
    case ValueKind::Int: return as_int() != 0;
    case ValueKind::Float: return as_double() != 0.0;
    case ValueKind::String: return !str().empty();
    case ValueKind::Array: return !items().empty();
    case ValueKind::Object: return !obj().entries.empty();
    case ValueKind::Function: return true;
  }
  return false;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() == ValueKind::Int && b.kind() == ValueKind::Int) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::Undefined:
    case ValueKind::None: return true;
    case ValueKind::Bool: return a.as_bool() == b.as_bool();
    case ValueKind::String: return a.str() == b.str();
    case ValueKind::Array: {
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!values_equal(x[i], y[i])) return false;
      return true;
    }
    case ValueKind::Object: {
      const auto& x = a.obj().entries;
      const auto& y = b.obj().entries;
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x) {
        const Value* other = b.obj().find(k);
        if (!other || !values_equal(v, *other)) return false;
      }
      return true;
    }
    case ValueKind::Function: return a.same_object(b);
    default: return false;
  }
}

void append_json_string(std::string& out, std::string_view s, bool go_escapes) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (go_escapes) {
      if (c == '<' || c == '>' || c == '&') {
        out += fmt::format("\\u00{:02x}", c);
        continue;
      }
      // U+2028 and U+2029 (E2 80 A8/A9) are escaped by Go's encoder.
      if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
        out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
        i += 2;
        continue;
      }
    } else if (c == '\b') {
      out += "\\b";
      continue;
    } else if (c == '\f') {
      out += "\\f";
      continue;
    }
    if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      continue;
    }
    out += static_cast<char>(c);
  }
  out += '"';
}

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", d);
}

namespace {

void append_json(std::string& out, const Value& v, const JsonStyle& style, int level);

void newline_indent(std::string& out, const JsonStyle& style, int level) {
  out += '\n';
  out.append(static_cast<size_t>(style.indent) * static_cast<size_t>(level), ' ');
}

// Go struct fields of Ollama's API types: JSON tag and whether it is omitempty.
std::string go_json_name(const std::string& field) {
  if (field == "ID") return "id";
  if (field == "ToolCalls") return "tool_calls";
  if (field == "ToolName") return "tool_name";
  if (field == "ToolCallID") return "tool_call_id";
  if (field == "Defs") return "$defs";
  if (field == "AnyOf") return "anyOf";
  std::string out = field;
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] + 32);
  return out;
}

bool go_omit(const std::string& field, const Value& v) {
  static constexpr std::string_view kOmitEmpty[] = {"Items",      "Description", "Defs",   "Required",  "Enum",
                                                    "AnyOf",      "Thinking",    "Images", "ToolCalls", "ToolName",
                                                    "ToolCallID", "ID",          "Index"};
  if (v.is_undefined()) return true;
  bool omitempty = false;
  for (auto f : kOmitEmpty) omitempty = omitempty || f == field;
  if (!omitempty) return false;
  return !v.truthy();
}

void append_object(std::string& out, const ObjectData& o, const JsonStyle& style, int level) {
  std::vector<const std::pair<std::string, Value>*> order;
  order.reserve(o.entries.size());
  for (const auto& e : o.entries) order.push_back(&e);
  if (style.go && o.style != ObjectStyle::GoStruct)
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  out += '{';
  bool first = true;
  for (const auto* e : order) {
    bool go_struct = style.go && o.style == ObjectStyle::GoStruct;
    if (go_struct && go_omit(e->first, e->second)) continue;
    if (!first) out += style.item_separator;
    first = false;
    if (style.indent >= 0) newline_indent(out, style, level + 1);
    append_json_string(out, go_struct ? go_json_name(e->first) : e->first, style.go);
    out += style.key_separator;
    append_json(out, e->second, style, level + 1);
  }
  if (style.indent >= 0 && !first) newline_indent(out, style, level);
  out += '}';
}

void append_json(std::string& out, const Value& v, const JsonStyle& style, int level) {
  switch (v.kind()) {
    case ValueKind::Undefined:
    case ValueKind::None:
    case ValueKind::Function: out += "null"; return;
    case ValueKind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case ValueKind::Int: out += std::to_string(v.as_int()); return;
    case ValueKind::Float: {
      double d = v.as_double();
      if (!std::isfinite(d)) {
        out += "null";
      } else if (d == std::floor(d) && std::fabs(d) < 1e21) {
        out += fmt::format("{:.0f}", d);  // JSON.stringify and Go print integral floats bare
      } else {
        out += fmt::format("{}", d);
      }
      return;
    }
    case ValueKind::String: append_json_string(out, v.str(), style.go); return;
    case ValueKind::Array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out += style.item_separator;
        first = false;
        if (style.indent >= 0) newline_indent(out, style, level + 1);
        append_json(out, item, style, level + 1);
      }
      if (style.indent >= 0 && !first) newline_indent(out, style, level);
      out += ']';
      return;
    }
    case ValueKind::Object: append_object(out, v.obj(), style, level); return;
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonStyle& style) {
  std::string out;
  append_json(out, v, style, 0);
  return out;
}

}  // namespace corral::tmpl
