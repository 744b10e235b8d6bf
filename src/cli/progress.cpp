// See progress.h. The terminal drawing redraws one line with "\r" and clear-to-end-of-line; a
// ticker thread keeps the spinner turning and the rate and ETA current between updates.
#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/units.h"

namespace corral::cli {
namespace {

constexpr const char* kSpinnerFrames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr int kFrames = sizeof(kSpinnerFrames) / sizeof(kSpinnerFrames[0]);
constexpr auto kTick = std::chrono::milliseconds(100);
constexpr int kDefaultWidth = 80;

// Columns a UTF-8 string takes (every code point one column: what the bar and labels use).
int columns(const std::string& s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// `s` cut to `max` columns, ending in "…" when cut.
std::string fit(const std::string& s, int max) {
  if (columns(s) <= max) return s;
  if (max <= 1) return max == 1 ? "…" : "";
  std::string out;
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if ((c & 0xC0) != 0x80 && ++n > max - 1) break;
    out += s[i];
  }
  return out + "…";
}

}  // namespace

Progress::Progress(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {
  if (terminal_) ticker_ = std::thread([this] { tick(); });
}

Progress::Progress() : Progress(stderr, ::isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() {
  stop();
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

int Progress::width() const {
  winsize ws{};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return kDefaultWidth;
}

std::string Progress::format_eta(double seconds) {
  auto s = static_cast<int64_t>(std::max(0.0, std::round(seconds)));
  if (s >= 3600) return fmt::format("{}h{}m{}s", s / 3600, s % 3600 / 60, s % 60);
  if (s >= 60) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string Progress::render_bar(const std::string& label, uint64_t done, uint64_t total, double seconds, int width) {
  done = std::min(done, total);
  int pct = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  std::string suffix;
  if (total == 0 || done == total) {
    suffix = human_bytes(static_cast<int64_t>(total));
  } else {
    suffix = fmt::format("{}/{}", human_bytes(static_cast<int64_t>(done)), human_bytes(static_cast<int64_t>(total)));
    if (seconds > 0.5 && done > 0) {
      double rate = static_cast<double>(done) / seconds;
      suffix += fmt::format("  {}/s  {}", human_bytes(static_cast<int64_t>(rate)),
                            format_eta(static_cast<double>(total - done) / rate));
    }
  }
  std::string percent = fmt::format("{:3}%", pct);
  // The label takes at most half the line; the bar gets what is left, between 10 and 50 cells.
  std::string head = fit(label, std::max(10, width / 2));
  int fixed = columns(head) + 1 + columns(percent) + 1 + 2 + 1 + columns(suffix);
  int cells = std::clamp(width - fixed - 1, 10, 50);
  int filled = total == 0 ? cells : static_cast<int>(done * static_cast<uint64_t>(cells) / total);
  std::string bar;
  for (int i = 0; i < cells; ++i) bar += i < filled ? "█" : " ";
  return fmt::format("{} {} ▕{}▏ {}", head, percent, bar, suffix);
}

void Progress::draw_locked() {
  if (kind_ == Kind::kNone) return;
  std::string line;
  if (kind_ == Kind::kSpinner) {
    line = fmt::format("{} {}", text_, kSpinnerFrames[frame_ % kFrames]);
  } else {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    line = render_bar(text_, done_, total_, seconds, width());
  }
  fmt::print(out_, "\r{}\x1b[K", fit(line, width() - 1));
  std::fflush(out_);
}

void Progress::finish_line_locked() {
  if (kind_ == Kind::kNone) return;
  if (terminal_) {
    if (kind_ == Kind::kSpinner) {
      fmt::print(out_, "\r{}\x1b[K\n", fit(text_, width() - 1));
    } else {
      draw_locked();
      fmt::print(out_, "\n");
    }
    std::fflush(out_);
  }
  kind_ = Kind::kNone;
}

void Progress::status(const std::string& text) {
  std::lock_guard lock(mu_);
  if (kind_ == Kind::kSpinner && text_ == text) return;
  finish_line_locked();
  kind_ = Kind::kSpinner;
  text_ = text;
  if (terminal_) {
    draw_locked();
  } else {
    fmt::print(out_, "{}\n", text);
    std::fflush(out_);
  }
}

void Progress::bar(const std::string& label, uint64_t done, uint64_t total) {
  std::lock_guard lock(mu_);
  if (kind_ != Kind::kBar || text_ != label) {
    finish_line_locked();
    kind_ = Kind::kBar;
    text_ = label;
    started_ = std::chrono::steady_clock::now();
    if (!terminal_) {
      fmt::print(out_, "{}\n", label);
      std::fflush(out_);
    }
  }
  bool changed_percent = total > 0 && done * 100 / total != done_ * 100 / std::max<uint64_t>(total_, 1);
  done_ = done;
  total_ = total;
  // Between ticks only a new whole percent is drawn, so a fast copy does not flood the terminal.
  if (terminal_ && changed_percent) draw_locked();
}

void Progress::stop() {
  std::lock_guard lock(mu_);
  finish_line_locked();
}

void Progress::tick() {
  std::unique_lock lock(mu_);
  while (!quit_) {
    cv_.wait_for(lock, kTick, [this] { return quit_; });
    if (quit_) break;
    ++frame_;
    draw_locked();
  }
}

}  // namespace corral::cli
