// Streamed text wrapped at word boundaries to a terminal width, as `ollama run` shows answers:
// a word that would cross the right edge starts the next line. The word being received (and the
// spaces before it) is held back until it ends, so nothing printed ever has to be taken back.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace corral::cli {

class WordWrapper {
 public:
  // `width` <= 0 passes the text through unchanged.
  WordWrapper(int width, std::function<void(std::string_view)> out);

  void write(std::string_view text);
  // Prints the word held back (end of the answer).
  void finish();

 private:
  void flush_word();
  void emit(std::string_view text, size_t columns);

  int width_;
  std::function<void(std::string_view)> out_;
  size_t column_ = 0;
  size_t spaces_ = 0;  // spaces after the last word, printed once the next word fits
  std::string word_;
  size_t word_columns_ = 0;
};

// The number of columns of the terminal on standard output (0 when it is not a terminal).
int terminal_width();

}  // namespace corral::cli
