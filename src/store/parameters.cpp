// PARAMETER names and types, after Ollama's api.Options JSON keys (reference §2.3, §3).
#include "store/parameters.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "base/log.h"

namespace corral::store {
namespace {

using nlohmann::ordered_json;

struct ParameterSpec {
  std::string_view name;
  ParameterType type;
};

constexpr std::array<ParameterSpec, 20> kParameters{{
    {"num_ctx", ParameterType::kInt},
    {"num_batch", ParameterType::kInt},
    {"num_gpu", ParameterType::kInt},
    {"main_gpu", ParameterType::kInt},
    {"use_mmap", ParameterType::kBool},
    {"num_thread", ParameterType::kInt},
    {"draft_num_predict", ParameterType::kInt},
    {"num_keep", ParameterType::kInt},
    {"seed", ParameterType::kInt},
    {"num_predict", ParameterType::kInt},
    {"top_k", ParameterType::kInt},
    {"top_p", ParameterType::kFloat},
    {"min_p", ParameterType::kFloat},
    {"typical_p", ParameterType::kFloat},
    {"repeat_last_n", ParameterType::kInt},
    {"temperature", ParameterType::kFloat},
    {"repeat_penalty", ParameterType::kFloat},
    {"presence_penalty", ParameterType::kFloat},
    {"frequency_penalty", ParameterType::kFloat},
    {"stop", ParameterType::kStringList},
}};

// Ollama's deprecated list, plus tfs_z and numa, removed earlier: old Modelfiles that still carry
// them should migrate with a warning rather than fail.
constexpr std::array<std::string_view, 11> kDeprecated{"penalize_newline", "low_vram",  "f16_kv",   "logits_all",
                                                       "vocab_only",       "use_mlock", "mirostat", "mirostat_tau",
                                                       "mirostat_eta",     "tfs_z",     "numa"};

// Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, nothing else.
std::optional<int64_t> parse_int_strict(std::string_view s) {
  const bool plus = !s.empty() && s.front() == '+';
  if (plus) s.remove_prefix(1);
  if (s.empty() || (plus && !std::isdigit(static_cast<unsigned char>(s.front())))) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A decimal float as Go's ParseFloat(s, 32) reads it, rounded to float32. Infinities and NaN are
// refused: a params layer is JSON, which cannot hold them.
std::optional<float> parse_float_strict(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '.')) return std::nullopt;
  float v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return negative ? -v : v;
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool_strict(std::string_view s) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
    if (s == t) return true;
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
    if (s == f) return false;
  return std::nullopt;
}

// A float32 as JSON the way Go encodes it: the shortest decimal that reads back as the same
// float32, and integral values without a fraction ("1", not "1.0").
ordered_json float_json(float v) {
  if (std::trunc(v) == v && std::fabs(v) < 1e15f) return static_cast<int64_t>(v);
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  double d = 0;
  std::from_chars(buf.data(), end, d);
  return d;
}

Result<ordered_json> convert(std::string_view name, std::string_view value) {
  auto type = parameter_type(name);
  if (!type) return Error::format("unknown parameter '{}'", name);
  switch (*type) {
    case ParameterType::kInt:
      if (auto v = parse_int_strict(value)) return ordered_json(*v);
      return Error::format("invalid int value \"{}\" for parameter '{}'", value, name);
    case ParameterType::kFloat:
      if (auto v = parse_float_strict(value)) return float_json(*v);
      return Error::format("invalid float value \"{}\" for parameter '{}'", value, name);
    case ParameterType::kBool:
      if (auto v = parse_bool_strict(value)) return ordered_json(*v);
      return Error::format("invalid bool value \"{}\" for parameter '{}'", value, name);
    case ParameterType::kStringList: return ordered_json(std::string(value));
  }
  return Error::format("unknown parameter '{}'", name);
}

ordered_json sorted(const std::map<std::string, ordered_json>& m) {
  ordered_json out = ordered_json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

// Go's strconv.Quote for the text a Go %#v prints.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\x{:02x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A JSON scalar as a PARAMETER value (Go's %v) or, with `quoted`, as %#v.
std::string scalar_text(const ordered_json& v, bool quoted) {
  if (v.is_string()) return quoted ? go_quote(v.get<std::string>()) : v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return v.dump();
}

}  // namespace

std::optional<ParameterType> parameter_type(std::string_view name) {
  for (const auto& p : kParameters)
    if (p.name == name) return p.type;
  return std::nullopt;
}

bool is_deprecated_parameter(std::string_view name) {
  return std::find(kDeprecated.begin(), kDeprecated.end(), name) != kDeprecated.end();
}

Status validate_parameter(std::string_view name, std::string_view value) {
  if (is_deprecated_parameter(name)) return {};
  auto converted = convert(name, value);
  if (!converted.ok()) return std::move(converted).error();
  return {};
}

Result<ordered_json> parameters_to_json(const std::vector<std::pair<std::string, std::string>>& name_values) {
  std::map<std::string, ordered_json> out;
  for (const auto& [name, value] : name_values) {
    if (is_deprecated_parameter(name)) {
      LOG_WARN("parameter {} is deprecated and ignored", name);
      continue;
    }
    CORRAL_ASSIGN_OR_RETURN(ordered_json v, convert(name, value));
    if (parameter_type(name) == ParameterType::kStringList) {
      auto& list = out[name];
      if (!list.is_array()) list = ordered_json::array();
      list.push_back(std::move(v));
    } else {
      out[name] = std::move(v);
    }
  }
  return sorted(out);
}

ordered_json merge_parameters(const ordered_json& base, const ordered_json& overrides) {
  std::map<std::string, ordered_json> out;
  if (base.is_object())
    for (const auto& [k, v] : base.items()) out[k] = v;
  if (overrides.is_object())
    for (const auto& [k, v] : overrides.items()) out[k] = v;
  return sorted(out);
}

std::vector<std::pair<std::string, std::string>> parameters_from_json(const ordered_json& params) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!params.is_object()) return out;
  for (const auto& [k, v] : params.items()) {
    if (v.is_array()) {
      for (const auto& e : v) out.emplace_back(k, scalar_text(e, false));
    } else {
      out.emplace_back(k, scalar_text(v, false));
    }
  }
  return out;
}

std::string parameters_text(const ordered_json& params) {
  std::string out;
  if (!params.is_object()) return out;
  auto line = [&](const std::string& k, const ordered_json& v) {
    if (!out.empty()) out += '\n';
    out += fmt::format("{:<30} {}", k, scalar_text(v, true));
  };
  for (const auto& [k, v] : params.items()) {
    if (v.is_array()) {
      for (const auto& e : v) line(k, e);
    } else {
      line(k, v);
    }
  }
  return out;
}

}  // namespace corral::store
