// Configuration from environment variables. Every setting `X` is read from CORRAL_X first and
// OLLAMA_X second, so an existing Ollama setup keeps working. The lookup function is injectable so
// code and tests never depend on the real process environment implicitly.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace corral {

struct EnvValue {
  std::string name;   // the variable it came from, e.g. "OLLAMA_KEEP_ALIVE"
  std::string value;  // trimmed of surrounding spaces and quotes
};

class Env {
 public:
  using Lookup = std::function<std::optional<std::string>(const std::string& name)>;

  Env();  // the process environment
  explicit Env(Lookup lookup);

  // The exact variable, untrimmed; set-but-empty is distinct from unset.
  std::optional<std::string> raw(std::string_view name) const;

  // Setting `key` (e.g. "KEEP_ALIVE") from CORRAL_key, else OLLAMA_key. Empty values count as
  // unset, like Ollama's envconfig.
  std::optional<EnvValue> get(std::string_view key) const;

  std::string get_string(std::string_view key, std::string_view fallback) const;
  // true/false/1/0/yes/no/on/off (case-insensitive); anything else is an error naming the variable.
  Result<bool> get_bool(std::string_view key, bool fallback) const;
  Result<long long> get_int(std::string_view key, long long fallback) const;

 private:
  Lookup lookup_;
};

// Parses a boolean the way users write them in variables; nullopt when it is not one.
std::optional<bool> parse_bool(std::string_view text);

}  // namespace corral
