#include "base/units.h"

#include <fmt/format.h>

#include <cmath>

namespace corral {

std::string human_number(uint64_t n) {
  constexpr double kThousand = 1e3, kMillion = 1e6, kBillion = 1e9;
  double v = static_cast<double>(n);
  if (v >= kBillion) {
    double x = v / kBillion;
    return x == std::floor(x) ? fmt::format("{:.0f}B", x) : fmt::format("{:.1f}B", x);
  }
  if (v >= kMillion) {
    double x = v / kMillion;
    return x == std::floor(x) ? fmt::format("{:.0f}M", x) : fmt::format("{:.2f}M", x);
  }
  if (v >= kThousand) return fmt::format("{:.0f}K", v / kThousand);
  return fmt::format("{}", n);
}

std::string human_bytes(int64_t bytes) {
  constexpr double kKB = 1e3, kMB = 1e6, kGB = 1e9, kTB = 1e12;
  double v = static_cast<double>(bytes);
  const char* unit = "B";
  double x = 0;
  if (v >= kTB) {
    x = v / kTB;
    unit = "TB";
  } else if (v >= kGB) {
    x = v / kGB;
    unit = "GB";
  } else if (v >= kMB) {
    x = v / kMB;
    unit = "MB";
  } else if (v >= kKB) {
    x = v / kKB;
    unit = "KB";
  } else {
    return fmt::format("{} B", bytes);
  }
  if (x >= 10 || x == std::trunc(x)) return fmt::format("{:.0f} {}", std::trunc(x), unit);
  return fmt::format("{:.1f} {}", x, unit);
}

std::string human_bytes_binary(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double x = static_cast<double>(bytes);
  int u = 0;
  while (x >= 1024.0 && u < 4) {
    x /= 1024.0;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", x, kUnits[u]);
}

}  // namespace corral
