// GGUF metadata values: the 13 value types, arrays (typed, possibly nested) and the ordered
// key/value map of a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace corral {

// On-disk ids of GGUF value types.
enum class GgufValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
inline constexpr uint32_t kGgufValueTypeCount = 13;

std::string_view value_type_name(GgufValueType type);

class GgufValue;

// A homogeneous array. Booleans are stored as uint8_t (0/1); element_type says which it is.
struct GgufArray {
  using Elements =
      std::variant<std::vector<uint8_t>, std::vector<int8_t>, std::vector<uint16_t>, std::vector<int16_t>,
                   std::vector<uint32_t>, std::vector<int32_t>, std::vector<float>, std::vector<uint64_t>,
                   std::vector<int64_t>, std::vector<double>, std::vector<std::string>, std::vector<GgufValue>>;
  GgufValueType element_type = GgufValueType::kU8;
  Elements elements;

  size_t size() const;
  bool operator==(const GgufArray& other) const;
};

class GgufValue {
 public:
  // The variant's alternative index equals the on-disk type id.
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string,
                               GgufArray, uint64_t, int64_t, double>;

  GgufValue() : storage_(uint8_t{0}) {}
  template <typename V>
  requires std::is_constructible_v<Storage, V&&> GgufValue(V&& v)
      : storage_(std::forward<V>(v)) {}                        // NOLINT: implicit by design
  GgufValue(const char* s) : storage_(std::string(s)) {}       // NOLINT
  GgufValue(std::string_view s) : storage_(std::string(s)) {}  // NOLINT

  GgufValueType type() const { return static_cast<GgufValueType>(storage_.index()); }
  const Storage& storage() const { return storage_; }

  // Numeric views that accept any integer (or float) type when the value fits.
  std::optional<int64_t> as_int() const;
  std::optional<uint64_t> as_uint() const;
  std::optional<double> as_float() const;
  std::optional<bool> as_bool() const;
  const std::string* as_string() const { return std::get_if<std::string>(&storage_); }
  const GgufArray* as_array() const { return std::get_if<GgufArray>(&storage_); }

  bool operator==(const GgufValue& other) const { return storage_ == other.storage_; }

 private:
  Storage storage_;
};

// Builders for arrays.
GgufValue make_string_array(std::vector<std::string> values);
template <typename T>
GgufValue make_array(GgufValueType element_type, std::vector<T> values) {
  GgufArray a;
  a.element_type = element_type;
  a.elements = std::move(values);
  return GgufValue(std::move(a));
}

// Keys in file order with O(1) lookup.
class GgufMetadata {
 public:
  // Adds the key, or replaces the value of an existing key in place.
  void set(std::string key, GgufValue value);
  bool erase(std::string_view key);

  const GgufValue* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }

  std::optional<std::string_view> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<uint64_t> get_uint(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace corral
