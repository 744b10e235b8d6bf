// CORRAL_CHECK: invariants of the program itself (not of its input). A failed check is a bug:
// it prints where and why, then aborts.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace corral::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition, std::string_view message);
}  // namespace corral::detail

#define CORRAL_CHECK(cond, ...)                                                                 \
  do {                                                                                          \
    if (!(cond)) [[unlikely]]                                                                   \
      ::corral::detail::check_failed(__FILE__, __LINE__, #cond, ::fmt::format("" __VA_ARGS__)); \
  } while (0)
