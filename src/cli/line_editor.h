// The REPL's line editor: libedit (emacs keys, history with a file), where Ctrl+C is a key that
// ends the read as an interrupt rather than a signal, so the REPL decides what it means.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace corral::cli {

struct LineRead {
  enum class Kind { kLine, kInterrupt, kEof };
  Kind kind = Kind::kEof;
  std::string text;  // the line without its newline (kLine), or what was typed before Ctrl+C
};

class LineEditor {
 public:
  // History is read from and appended to `history_file` when given (its directory is created).
  explicit LineEditor(std::optional<std::filesystem::path> history_file);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  LineRead read(const std::string& prompt);
  // Adds a line to the history (and the history file) unless history is off.
  void remember(const std::string& line);
  void set_history_enabled(bool enabled) { history_enabled_ = enabled; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool history_enabled_ = true;
};

}  // namespace corral::cli
