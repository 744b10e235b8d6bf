// Go-compatible duration parsing and formatting for keep_alive and the scheduler's settings.
#include "sched/keep_alive.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace corral::sched {
namespace {

using std::chrono::nanoseconds;
constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;  // |int64 min|

std::string quoted(std::string_view s) {
  return fmt::format("\"{}\"", s);
}

Error invalid(std::string_view orig) {
  return Error("time: invalid duration " + quoted(orig));
}

std::optional<uint64_t> unit_ns(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1000;  // µ (micro sign) and μ (mu)
  if (u == "ms") return 1000000;
  if (u == "s") return 1000000000;
  if (u == "m") return 60ull * 1000000000;
  if (u == "h") return 3600ull * 1000000000;
  return std::nullopt;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Plain decimal seconds ("300", "-2.5"); nullopt when the text is not just a number.
std::optional<double> plain_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Seconds (any sign) to nanoseconds, saturating at the int64 range.
nanoseconds seconds_to_ns(double seconds) {
  const double ns = seconds * 1e9;
  if (ns >= 9.2e18) return nanoseconds::max();
  if (ns <= -9.2e18) return nanoseconds::min();
  return nanoseconds(static_cast<int64_t>(ns));
}

// Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".
Result<nanoseconds> parse_go_duration(std::string_view orig) {
  std::string_view s = orig;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return nanoseconds(0);
  if (s.empty()) return invalid(orig);
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return invalid(orig);
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > (kMaxMagnitude - 1) / 10) return invalid(orig);  // overflow
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kMaxMagnitude) return invalid(orig);
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    uint64_t fraction = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (overflow || fraction > (std::numeric_limits<uint64_t>::max() >> 4)) {
          overflow = true;  // further digits are below the precision kept
          continue;
        }
        fraction = fraction * 10 + static_cast<uint64_t>(s[j] - '0');
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return invalid(orig);  // ".s", "-.s"
    size_t k = 0;
    while (k < s.size() && s[k] != '.' && !is_digit(s[k])) ++k;
    if (k == 0) return Error("time: missing unit in duration " + quoted(orig));
    const std::string_view unit_text = s.substr(0, k);
    s.remove_prefix(k);
    const std::optional<uint64_t> unit = unit_ns(unit_text);
    if (!unit) return Error("time: unknown unit " + quoted(unit_text) + " in duration " + quoted(orig));
    if (whole > kMaxMagnitude / *unit) return invalid(orig);
    uint64_t v = whole * *unit;
    if (fraction > 0) {
      v += static_cast<uint64_t>(static_cast<double>(fraction) * (static_cast<double>(*unit) / scale));
      if (v > kMaxMagnitude) return invalid(orig);
    }
    total += v;
    if (total > kMaxMagnitude) return invalid(orig);
  }
  if (negative)
    return nanoseconds(total == kMaxMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(total));
  if (total > kMaxMagnitude - 1) return invalid(orig);
  return nanoseconds(static_cast<int64_t>(total));
}

KeepAlive normalise(nanoseconds d) {
  return d.count() < 0 ? kKeepAliveForever : d;
}

template <typename Json>
Result<std::optional<KeepAlive>> parse_keep_alive_json(const Json& value) {
  if (value.is_null()) return std::optional<KeepAlive>();
  if (value.is_number()) return std::optional<KeepAlive>(normalise(seconds_to_ns(value.template get<double>())));
  if (value.is_string()) {
    CORRAL_ASSIGN_OR_RETURN(const nanoseconds d, parse_duration(value.template get_ref<const std::string&>()));
    return std::optional<KeepAlive>(normalise(d));
  }
  // Go's reflect names of what encoding/json decodes into an `any`.
  std::string_view type = "map[string]interface {}";
  if (value.is_boolean()) type = "bool";
  if (value.is_array()) type = "[]interface {}";
  return Error::format("Unsupported type: '{}'", type);
}

// "1.5", "0.25", "3" for a value of `units` with `digits` fractional digits (trailing zeros cut).
std::string fixed_point(uint64_t value, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  uint64_t frac = value % scale;
  if (frac == 0) return out;
  std::string f = fmt::format("{:0{}}", frac, digits);
  while (!f.empty() && f.back() == '0') f.pop_back();
  return out + "." + f;
}

}  // namespace

Result<nanoseconds> parse_duration(std::string_view text) {
  // Ollama's env reader accepts integer seconds; fractions are accepted too (as JSON numbers are).
  if (std::optional<double> seconds = plain_seconds(text)) return seconds_to_ns(*seconds);
  return parse_go_duration(text);
}

Result<std::optional<KeepAlive>> parse_keep_alive(const nlohmann::json& value) {
  return parse_keep_alive_json(value);
}
Result<std::optional<KeepAlive>> parse_keep_alive(const nlohmann::ordered_json& value) {
  return parse_keep_alive_json(value);
}

Result<KeepAlive> keep_alive_from_env(const Env& env) {
  const std::optional<EnvValue> v = env.get("KEEP_ALIVE");
  if (!v) return kDefaultKeepAlive;
  Result<nanoseconds> d = parse_duration(v->value);
  if (!d.ok()) return Error::format("{}={:?}: {}", v->name, v->value, d.error().message());
  return normalise(*d);
}

std::string format_duration(nanoseconds d) {
  if (d.count() == 0) return "0s";
  const bool negative = d.count() < 0;
  const uint64_t u = negative ? static_cast<uint64_t>(-(d.count() + 1)) + 1 : static_cast<uint64_t>(d.count());
  std::string out;
  if (u < 1000) {
    out = fmt::format("{}ns", u);
  } else if (u < 1000000) {
    out = fixed_point(u, 3) + "\xC2\xB5s";
  } else if (u < 1000000000) {
    out = fixed_point(u, 6) + "ms";
  } else {
    const uint64_t total_seconds = u / 1000000000;
    const uint64_t hours = total_seconds / 3600, minutes = (total_seconds / 60) % 60;
    const std::string seconds = fixed_point(u % 60000000000ull, 9) + "s";
    if (hours > 0)
      out = fmt::format("{}h{}m{}", hours, minutes, seconds);
    else if (minutes > 0)
      out = fmt::format("{}m{}", minutes, seconds);
    else
      out = seconds;
  }
  return negative ? "-" + out : out;
}

std::string format_keep_alive(KeepAlive k) {
  return is_forever(k) ? "forever" : format_duration(k);
}

}  // namespace corral::sched
