#include "base/env.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace corral {
namespace {

std::string_view trim_value(std::string_view s) {
  auto is_trimmed = [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\''; };
  while (!s.empty() && is_trimmed(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_trimmed(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Env::Env()
    : lookup_([](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): corral never calls setenv
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      }) {}

Env::Env(Lookup lookup) : lookup_(std::move(lookup)) {}

std::optional<std::string> Env::raw(std::string_view name) const {
  return lookup_(std::string(name));
}

std::optional<EnvValue> Env::get(std::string_view key) const {
  for (std::string_view prefix : {"CORRAL_", "OLLAMA_"}) {
    std::string name = std::string(prefix) + std::string(key);
    if (auto v = lookup_(name)) {
      std::string_view trimmed = trim_value(*v);
      if (!trimmed.empty()) return EnvValue{name, std::string(trimmed)};
    }
  }
  return std::nullopt;
}

std::string Env::get_string(std::string_view key, std::string_view fallback) const {
  auto v = get(key);
  return v ? v->value : std::string(fallback);
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string s = lower(trim_value(text));
  if (s == "1" || s == "true" || s == "t" || s == "yes" || s == "y" || s == "on") return true;
  if (s == "0" || s == "false" || s == "f" || s == "no" || s == "n" || s == "off") return false;
  return std::nullopt;
}

Result<bool> Env::get_bool(std::string_view key, bool fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  if (auto b = parse_bool(v->value)) return *b;
  return Error::format("{}={:?} is not a boolean (use 1/0, true/false)", v->name, v->value);
}

Result<long long> Env::get_int(std::string_view key, long long fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  long long out = 0;
  const char* first = v->value.data();
  const char* last = first + v->value.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec != std::errc() || ptr != last) return Error::format("{}={:?} is not an integer", v->name, v->value);
  return out;
}

}  // namespace corral
