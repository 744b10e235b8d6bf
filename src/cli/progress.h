// Progress output for long CLI steps (create's hashing and uploads; pull later), drawn as Ollama's
// CLI draws it: a spinner line per status and a bar per transfer, redrawn in place on a terminal;
// on anything else plain lines, one per step, with no carriage returns or escape sequences.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace corral::cli {

class Progress {
 public:
  // Draws on `out`; `terminal` chooses in-place redraws (normally isatty of `out`).
  Progress(std::FILE* out, bool terminal);
  // On stderr, redrawn in place when stderr is a terminal.
  Progress();
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A new status line with a spinner; the line before it is finished first. The same text as the
  // current line changes nothing.
  void status(const std::string& text);
  // A bar line for `label` at done of total bytes: started on the first call for a label (the line
  // before it finished), updated by the next ones.
  void bar(const std::string& label, uint64_t done, uint64_t total);
  // Finishes the current line (the spinner stops, the bar shows its last state).
  void stop();

  bool terminal() const { return terminal_; }

  // One bar line as drawn on a terminal `width` columns wide, e.g.
  // "copying file sha256:… 45% ▕███████         ▏ 1.2 GB/2.7 GB  120 MB/s  12s"; a complete bar
  // shows the total only. `seconds` is the time since the bar started.
  static std::string render_bar(const std::string& label, uint64_t done, uint64_t total, double seconds, int width);
  // "1h2m3s", "4m5s", "12s" (Go's duration form, whole seconds).
  static std::string format_eta(double seconds);

 private:
  enum class Kind { kNone, kSpinner, kBar };
  void finish_line_locked();
  void draw_locked();
  void tick();
  int width() const;

  std::FILE* out_;
  bool terminal_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  Kind kind_ = Kind::kNone;
  std::string text_;  // the status text or the bar label
  uint64_t done_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point started_;
  int frame_ = 0;
  std::thread ticker_;  // terminal only: redraws the spinner and the bar's rate
};

}  // namespace corral::cli
