// Hyper-parameter reader (see hparams.h).
#include "models/hparams.h"

#include <fmt/format.h>

#include <variant>

namespace corral::models {

int64_t HParamReader::u32(std::string_view suffix) {
  const std::string k = key(suffix);
  const GgufValue* v = md_.find(k);
  if (!v) {
    fail(fmt::format("missing key {}", k));
    return 0;
  }
  const auto u = v->as_uint();
  if (!u || *u > 0xffffffffu) {
    fail(fmt::format("key {} is not an unsigned 32-bit integer", k));
    return 0;
  }
  return static_cast<int64_t>(*u);
}

int64_t HParamReader::u32_or(std::string_view suffix, int64_t fallback) {
  return md_.contains(key(suffix)) ? u32(suffix) : fallback;
}

float HParamReader::f32(std::string_view suffix) {
  const std::string k = key(suffix);
  const GgufValue* v = md_.find(k);
  if (!v) {
    fail(fmt::format("missing key {}", k));
    return 0.f;
  }
  const auto f = v->as_float();
  if (!f) {
    fail(fmt::format("key {} is not a number", k));
    return 0.f;
  }
  return static_cast<float>(*f);
}

float HParamReader::f32_or(std::string_view suffix, float fallback) {
  return md_.contains(key(suffix)) ? f32(suffix) : fallback;
}

std::string HParamReader::str_or(std::string_view suffix, std::string fallback) {
  const auto s = md_.get_string(key(suffix));
  return s ? std::string(*s) : fallback;
}

int64_t HParamReader::per_layer_u32(std::string_view suffix, int64_t n_layer, const int64_t* fallback) {
  const std::string k = key(suffix);
  const GgufValue* v = md_.find(k);
  if (!v) {
    if (fallback) return *fallback;
    fail(fmt::format("missing key {}", k));
    return 0;
  }
  const GgufArray* arr = v->as_array();
  if (!arr) return u32(suffix);
  std::vector<int64_t> values;
  std::visit(
      [&](const auto& elems) {
        using E = typename std::decay_t<decltype(elems)>::value_type;
        if constexpr (std::is_integral_v<E>)
          for (E e : elems) values.push_back(static_cast<int64_t>(e));
      },
      arr->elements);
  if (static_cast<int64_t>(values.size()) != n_layer || values.empty()) {
    fail(fmt::format("key {} has {} entries, expected {} integers", k, values.size(), n_layer));
    return 0;
  }
  for (int64_t x : values)
    if (x != values[0]) {
      fail(fmt::format("key {}: per-layer values differ ({} and {}); not supported for this architecture", k, values[0],
                       x));
      return 0;
    }
  return values[0];
}

Status HParamReader::status() const {
  if (errors_.empty()) return {};
  std::string all;
  for (const std::string& e : errors_) all += (all.empty() ? "" : "; ") + e;
  return Error(all);
}

}  // namespace corral::models
