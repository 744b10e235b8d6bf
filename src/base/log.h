// Levelled logging to stderr in Ollama's key=value style. The level comes from CORRAL_DEBUG or
// OLLAMA_DEBUG (1 = debug, 2 = trace) unless main() sets it explicitly.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "base/env.h"

namespace corral {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

// The level a CORRAL_DEBUG/OLLAMA_DEBUG value asks for (unset = info).
LogLevel log_level_from_env(const Env& env);

LogLevel log_level();
// Called from main() only (the one place allowed to configure process-wide state).
void set_log_level(LogLevel level);
inline bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= static_cast<int>(log_level());
}

void log_write(LogLevel level, std::string_view message);

template <typename... Args>
void log_at(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(level)) log_write(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace corral

// Macros so that arguments are not even evaluated when the level is off.
#define CORRAL_LOG_(level, ...)                                                               \
  do {                                                                                        \
    if (::corral::log_enabled(level)) ::corral::log_write(level, ::fmt::format(__VA_ARGS__)); \
  } while (0)
#define LOG_ERROR(...) CORRAL_LOG_(::corral::LogLevel::kError, __VA_ARGS__)
#define LOG_WARN(...) CORRAL_LOG_(::corral::LogLevel::kWarn, __VA_ARGS__)
#define LOG_INFO(...) CORRAL_LOG_(::corral::LogLevel::kInfo, __VA_ARGS__)
#define LOG_DEBUG(...) CORRAL_LOG_(::corral::LogLevel::kDebug, __VA_ARGS__)
#define LOG_TRACE(...) CORRAL_LOG_(::corral::LogLevel::kTrace, __VA_ARGS__)
