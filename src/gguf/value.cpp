#include "gguf/value.h"

#include <limits>

namespace corral {

std::string_view value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8: return "u8";
    case GgufValueType::kI8: return "i8";
    case GgufValueType::kU16: return "u16";
    case GgufValueType::kI16: return "i16";
    case GgufValueType::kU32: return "u32";
    case GgufValueType::kI32: return "i32";
    case GgufValueType::kF32: return "f32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kU64: return "u64";
    case GgufValueType::kI64: return "i64";
    case GgufValueType::kF64: return "f64";
  }
  return "unknown";
}

size_t GgufArray::size() const {
  return std::visit([](const auto& v) { return v.size(); }, elements);
}

bool GgufArray::operator==(const GgufArray& other) const {
  return element_type == other.element_type && elements == other.elements;
}

std::optional<int64_t> GgufValue::as_int() const {
  return std::visit(
      [](const auto& v) -> std::optional<int64_t> {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, uint64_t>) {
          if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
          return static_cast<int64_t>(v);
        } else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
          return static_cast<int64_t>(v);
        } else {
          return std::nullopt;
        }
      },
      storage_);
}

std::optional<uint64_t> GgufValue::as_uint() const {
  auto i = as_int();
  if (i) {
    if (*i < 0) return std::nullopt;
    return static_cast<uint64_t>(*i);
  }
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return *u;
  return std::nullopt;
}

std::optional<double> GgufValue::as_float() const {
  if (const auto* f = std::get_if<float>(&storage_)) return *f;
  if (const auto* d = std::get_if<double>(&storage_)) return *d;
  if (auto i = as_int()) return static_cast<double>(*i);
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return static_cast<double>(*u);
  return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
  if (const auto* b = std::get_if<bool>(&storage_)) return *b;
  return std::nullopt;
}

GgufValue make_string_array(std::vector<std::string> values) {
  return make_array(GgufValueType::kString, std::move(values));
}

void GgufMetadata::set(std::string key, GgufValue value) {
  if (auto it = index_.find(key); it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

bool GgufMetadata::erase(std::string_view key) {
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  return true;
}

const GgufValue* GgufMetadata::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

std::optional<std::string_view> GgufMetadata::get_string(std::string_view key) const {
  const auto* v = find(key);
  if (v == nullptr || v->as_string() == nullptr) return std::nullopt;
  return std::string_view(*v->as_string());
}

std::optional<int64_t> GgufMetadata::get_int(std::string_view key) const {
  const auto* v = find(key);
  return v ? v->as_int() : std::nullopt;
}

std::optional<uint64_t> GgufMetadata::get_uint(std::string_view key) const {
  const auto* v = find(key);
  return v ? v->as_uint() : std::nullopt;
}

std::optional<double> GgufMetadata::get_float(std::string_view key) const {
  const auto* v = find(key);
  return v ? v->as_float() : std::nullopt;
}

std::optional<bool> GgufMetadata::get_bool(std::string_view key) const {
  const auto* v = find(key);
  return v ? v->as_bool() : std::nullopt;
}

}  // namespace corral
