// The dynamic value both template engines compute with: JSON-like data (from nlohmann::ordered_json,
// key order kept) plus Jinja's undefined, namespaces and callables, and Go's maps vs structs.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"

namespace corral::tmpl {

enum class ValueKind : uint8_t { Undefined, None, Bool, Int, Float, String, Array, Object, Function };

// How an object behaves: Jinja dict or namespace (the only mutable container); for Go templates a
// map (keys sorted when ranged over or printed) or a struct (fields in declaration order).
enum class ObjectStyle : uint8_t { Dict, Namespace, GoMap, GoStruct };

// Containers deeper than this are refused, so printing, comparing and freeing never recurse far.
inline constexpr int kMaxValueDepth = 200;

class Value;
using Entries = std::vector<std::pair<std::string, Value>>;

struct CallArgs {
  std::vector<Value> positional;
  Entries keyword;
  const Value* find_keyword(std::string_view name) const;
};
using NativeFunction = std::function<Result<Value>(CallArgs&)>;

struct ArrayData {
  std::vector<Value> items;
  int depth = 1;
  bool has_namespace = false;
};

struct ObjectData {
  Entries entries;
  ObjectStyle style = ObjectStyle::Dict;
  int depth = 1;
  bool has_namespace = false;

  const Value* find(std::string_view key) const;
  // Inserts or replaces; keeps the first insertion position like a Python dict.
  void set(std::string key, Value value);
};

class Value {
 public:
  Value() = default;  // undefined
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value array(std::vector<Value> items);
  static Value object(Entries entries, ObjectStyle style = ObjectStyle::Dict);
  static Value function(NativeFunction fn);

  // JSON → value; fails when nested deeper than kMaxValueDepth. Go styles make objects GoMap.
  static Result<Value> from_json(const nlohmann::ordered_json& j, ObjectStyle object_style = ObjectStyle::Dict);

  ValueKind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == ValueKind::Undefined; }
  bool is_none() const { return kind_ == ValueKind::None; }
  bool is_string() const { return kind_ == ValueKind::String; }
  bool is_array() const { return kind_ == ValueKind::Array; }
  bool is_object() const { return kind_ == ValueKind::Object; }
  bool is_number() const { return kind_ == ValueKind::Int || kind_ == ValueKind::Float; }
  bool is_function() const { return kind_ == ValueKind::Function; }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_double() const;  // Int, Float or Bool as a double
  const std::string& str() const { return std::get<std::string>(data_); }
  const std::vector<Value>& items() const { return std::get<std::shared_ptr<ArrayData>>(data_)->items; }
  const ObjectData& obj() const { return *std::get<std::shared_ptr<ObjectData>>(data_); }
  ObjectData& mutable_obj() const { return *std::get<std::shared_ptr<ObjectData>>(data_); }
  const NativeFunction& fn() const { return *std::get<std::shared_ptr<NativeFunction>>(data_); }
  bool same_object(const Value& other) const;

  // Containers: nesting depth (scalars 0) and whether a namespace or function is inside (neither may
  // be stored in a namespace: no cycles, and no function outliving the scope it refers to).
  int depth() const;
  bool has_namespace() const;

  // Python truthiness: empty strings, containers, zero, none and undefined are false.
  bool truthy() const;

 private:
  ValueKind kind_ = ValueKind::Undefined;
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<ArrayData>,
               std::shared_ptr<ObjectData>, std::shared_ptr<NativeFunction>>
      data_;
};

// Deep equality (Python ==): numbers compare by value, containers element-wise.
bool values_equal(const Value& a, const Value& b);

struct JsonStyle {
  int indent = -1;                    // < 0: one line
  std::string item_separator = ", ";  // Python json.dumps defaults (", " or "," with indent)
  std::string key_separator = ": ";
  bool go = false;  // Go encoding/json: compact, <>& and U+2028/9 escaped, GoMap keys sorted
};

// JSON text of a value; undefined becomes null.
std::string to_json(const Value& v, const JsonStyle& style = {});

// A JSON string literal (quotes included), escaped like JavaScript's JSON.stringify.
void append_json_string(std::string& out, std::string_view s, bool go_escapes = false);

// Shortest round-trip decimal for a double, JavaScript style (1.5, 2.0 written as "2.0" by Jinja).
std::string format_double(double d);

}  // namespace corral::tmpl
