// Durations the way Ollama reads them: keep_alive in requests (JSON number of seconds or a Go
// duration string) and the scheduler's environment settings (KEEP_ALIVE, LOAD_TIMEOUT, ...).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/env.h"
#include "base/result.h"

namespace corral::sched {

// How long an idle runner stays loaded: negative = forever, 0 = unload as soon as it is idle.
using KeepAlive = std::chrono::nanoseconds;
inline constexpr KeepAlive kKeepAliveForever{-1};
inline constexpr KeepAlive kDefaultKeepAlive = std::chrono::minutes(5);
inline bool is_forever(KeepAlive k) {
  return k.count() < 0;
}

// A Go duration ("5m", "1h30m", "300ms", "1.5h", "-1s", "0"; units ns us µs ms s m h) or a plain
// number of seconds ("300", "2.5", "-1"). Errors read like Go's: `time: invalid duration "x"`,
// `time: unknown unit "x" in duration "5x"`. The sign is kept (callers decide what negative means).
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// A request's keep_alive: null/absent → nullopt (keep the runner's current value); a number is
// seconds (fractions allowed); a string as parse_duration; negative → kKeepAliveForever. Other
// JSON types → `Unsupported type: 'bool'` (Ollama's wording, with Go's type names).
Result<std::optional<KeepAlive>> parse_keep_alive(const nlohmann::json& value);
Result<std::optional<KeepAlive>> parse_keep_alive(const nlohmann::ordered_json& value);

// KEEP_ALIVE from CORRAL_KEEP_ALIVE / OLLAMA_KEEP_ALIVE (default 5m; negative = forever); a bad
// value is an error naming the variable.
Result<KeepAlive> keep_alive_from_env(const Env& env);

// Go's Duration.String(): "5m0s", "1h30m0s", "300ms", "1.5s", "0s"; "forever" for negative
// keep-alives is the caller's choice (format_keep_alive).
std::string format_duration(std::chrono::nanoseconds d);
std::string format_keep_alive(KeepAlive k);  // "forever" or format_duration

}  // namespace corral::sched
