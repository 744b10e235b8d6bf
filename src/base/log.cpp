#include "base/log.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace corral {
namespace {

// Process-wide by nature: stderr is one stream. Initialised from the environment on first use.
std::atomic<int>& level_storage() {
  static std::atomic<int> level{static_cast<int>(log_level_from_env(Env()))};
  return level;
}

std::mutex& write_mutex() {
  static std::mutex m;
  return m;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "ERROR";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kTrace: return "TRACE";
  }
  return "INFO";
}

}  // namespace

LogLevel log_level_from_env(const Env& env) {
  auto v = env.get("DEBUG");
  if (!v) return LogLevel::kInfo;
  int n = 0;
  auto [ptr, ec] = std::from_chars(v->value.data(), v->value.data() + v->value.size(), n);
  if (ec == std::errc() && ptr == v->value.data() + v->value.size()) {
    if (n <= 0) return LogLevel::kInfo;
    return n == 1 ? LogLevel::kDebug : LogLevel::kTrace;
  }
  if (auto b = parse_bool(v->value)) return *b ? LogLevel::kDebug : LogLevel::kInfo;
  return LogLevel::kInfo;
}

LogLevel log_level() {
  return static_cast<LogLevel>(level_storage().load(std::memory_order_relaxed));
}

void set_log_level(LogLevel level) {
  level_storage().store(static_cast<int>(level), std::memory_order_relaxed);
}

void log_write(LogLevel level, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string line =
      fmt::format("time={:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z level={} msg={:?}\n", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms, level_name(level), message);
  std::lock_guard lock(write_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace corral
