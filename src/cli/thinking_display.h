// How `corral run` shows a thinking model's answer, as `ollama run` does: "Thinking...", the
// thinking text (grey on a terminal), then "...done thinking." and a blank line before the
// answer; nothing of it with --hidethinking.
#pragma once

#include <string_view>

#include "cli/word_wrap.h"

namespace corral::cli {

class ThinkingDisplay {
 public:
  // `styled`: ANSI grey and bold (stdout is a terminal); `width`: word wrap (0 = none).
  ThinkingDisplay(bool hide, bool styled, int width);

  void thinking(std::string_view text);
  // Before the answer's content (and at its end): closes the block once it was opened.
  void close();

 private:
  bool hide_, styled_;
  bool open_ = false;
  bool at_line_start_ = true;
  WordWrapper wrap_;
};

}  // namespace corral::cli
