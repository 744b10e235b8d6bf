// GGUF metadata values as JSON and text (show, /api/show).
#include "gguf/value_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

namespace corral {
namespace {

// A float32 as the double its shortest decimal names (1e-05, not 9.999999747378752e-06), as Go
// encodes a float32 in JSON.
nlohmann::ordered_json float_json(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf - 1, f);
  *r.ptr = '\0';
  return nlohmann::ordered_json(std::strtod(buf, nullptr));
}

template <typename E>
nlohmann::ordered_json element_to_json(const E& e, GgufValueType element_type, size_t max_array) {
  if constexpr (std::is_same_v<E, GgufValue>) {
    return value_to_json(e, max_array);
  } else if constexpr (std::is_same_v<E, uint8_t>) {
    if (element_type == GgufValueType::kBool) return nlohmann::ordered_json(e != 0);
    return nlohmann::ordered_json(e);
  } else if constexpr (std::is_same_v<E, float>) {
    return float_json(e);
  } else {
    return nlohmann::ordered_json(e);
  }
}

std::string scalar_text(const nlohmann::ordered_json& j) {
  // Strings keep their quotes so that whitespace and control characters stay visible.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::ordered_json value_to_json(const GgufValue& value, size_t max_array) {
  if (const GgufArray* a = value.as_array()) {
    if (max_array != 0 && a->size() > max_array) {
      return {{"type", "array"}, {"element_type", value_type_name(a->element_type)}, {"length", a->size()}};
    }
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    std::visit(
        [&](const auto& elements) {
          for (const auto& e : elements) out.push_back(element_to_json(e, a->element_type, max_array));
        },
        a->elements);
    return out;
  }
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, GgufArray>) {
          return nullptr;  // handled above
        } else if constexpr (std::is_same_v<V, float>) {
          return float_json(v);
        } else {
          return nlohmann::ordered_json(v);
        }
      },
      value.storage());
}

std::string value_to_text(const GgufValue& value, size_t max_array) {
  const GgufArray* a = value.as_array();
  if (a == nullptr) return scalar_text(value_to_json(value, 0));
  std::string out = "[";
  size_t shown = max_array == 0 ? a->size() : std::min(a->size(), max_array);
  std::visit(
      [&](const auto& elements) {
        for (size_t i = 0; i < shown; ++i) {
          if (i > 0) out += ", ";
          using E = std::decay_t<decltype(elements[i])>;
          if constexpr (std::is_same_v<E, GgufValue>) {
            out += value_to_text(elements[i], max_array);
          } else {
            out += scalar_text(element_to_json(elements[i], a->element_type, max_array));
          }
        }
      },
      a->elements);
  if (shown < a->size()) out += fmt::format(", ... ({} items)", a->size());
  out += "]";
  return out;
}

}  // namespace corral
