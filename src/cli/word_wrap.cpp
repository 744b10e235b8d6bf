// See word_wrap.h.
#include "cli/word_wrap.h"

#include <sys/ioctl.h>
#include <unistd.h>

namespace corral::cli {

WordWrapper::WordWrapper(int width, std::function<void(std::string_view)> out) : width_(width), out_(std::move(out)) {}

void WordWrapper::emit(std::string_view text, size_t columns) {
  out_(text);
  column_ += columns;
}

void WordWrapper::flush_word() {
  if (word_.empty()) return;
  const auto width = static_cast<size_t>(width_);
  if (column_ > 0 && column_ + spaces_ + word_columns_ > width) {
    out_("\n");  // the spaces before the word become the line break
    column_ = 0;
  } else {
    emit(std::string(spaces_, ' '), spaces_);
  }
  spaces_ = 0;
  emit(word_, word_columns_);
  word_.clear();
  word_columns_ = 0;
}

void WordWrapper::write(std::string_view text) {
  if (width_ <= 0) {
    out_(text);
    return;
  }
  const auto width = static_cast<size_t>(width_);
  for (char c : text) {
    if (c == '\n') {
      flush_word();
      emit(std::string(spaces_, ' '), 0);
      spaces_ = 0;
      out_("\n");
      column_ = 0;
    } else if (c == ' ') {
      flush_word();
      ++spaces_;
    } else {
      // Columns are code points: UTF-8 continuation bytes take none. (Wide CJK glyphs that take
      // two columns are counted as one; the terminal then wraps such a line itself.)
      const bool starts_code_point = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      // A word as long as a whole line is broken where the line ends (between code points).
      if (starts_code_point && word_columns_ >= width) flush_word();
      word_ += c;
      if (starts_code_point) ++word_columns_;
    }
  }
}

void WordWrapper::finish() {
  if (width_ <= 0) return;
  flush_word();
  emit(std::string(spaces_, ' '), spaces_);
  spaces_ = 0;
}

int terminal_width() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
  return ws.ws_col;
}

}  // namespace corral::cli
