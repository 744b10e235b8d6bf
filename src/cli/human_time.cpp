// See human_time.h.
#include "cli/human_time.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "store/ops.h"

namespace corral::cli {

std::optional<double> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double seconds = static_cast<double>(timegm(&tm));
  size_t i = static_cast<size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    size_t start = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) seconds += std::stod("0." + text.substr(start, i - start));
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &hh, &mm) == 2)
      seconds -= (text[i] == '+' ? 1 : -1) * (hh * 3600.0 + mm * 60.0);
  }
  return seconds;
}

std::string human_time(const std::string& rfc3339, double now, const std::string& zero) {
  auto t = parse_rfc3339(rfc3339);
  if (!t || rfc3339.rfind("0001-01-01T00:00:00", 0) == 0) return zero;  // Go's zero time
  double delta = now - *t;
  if (static_cast<long long>(delta / 3600) / 24 / 365 < -20) return "Forever";
  if (delta < 0) {
    std::string d = store::human_time_ago(-delta);  // "N minutes ago": the same wording
    d.resize(d.size() - std::string_view(" ago").size());
    return d + " from now";
  }
  return store::human_time_ago(delta);
}

double epoch_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace corral::cli
