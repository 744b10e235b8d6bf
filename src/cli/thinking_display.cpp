// The thinking block of `corral run`; see thinking_display.h.
#include "cli/thinking_display.h"

#include <fmt/format.h>

#include <cstdio>

namespace corral::cli {
namespace {

constexpr std::string_view kGrey = "\x1b[90m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kDefault = "\x1b[0m";

}  // namespace

ThinkingDisplay::ThinkingDisplay(bool hide, bool styled, int width)
    : hide_(hide), styled_(styled), wrap_(width, [this](std::string_view s) {
        if (!s.empty()) at_line_start_ = s.back() == '\n';
        fmt::print("{}", s);
      }) {}

void ThinkingDisplay::thinking(std::string_view text) {
  if (hide_ || text.empty()) return;
  if (!open_) {
    open_ = true;
    if (styled_)
      fmt::print("{}{}Thinking...\n{}{}", kGrey, kBold, kDefault, kGrey);
    else
      fmt::print("Thinking...\n");
  }
  wrap_.write(text);
  std::fflush(stdout);
}

void ThinkingDisplay::close() {
  if (!open_) return;
  open_ = false;
  wrap_.finish();
  if (!at_line_start_) fmt::print("\n");
  if (styled_)
    fmt::print("{}{}...done thinking.\n\n{}", kGrey, kBold, kDefault);
  else
    fmt::print("...done thinking.\n\n");
  std::fflush(stdout);
}

}  // namespace corral::cli
