// Stop strings matched across token boundaries: generated text goes in piece by piece; what
// comes out is safe to show. Text that could still be the start of a stop string is held back,
// and a stop string itself (and anything after it) is never emitted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace corral::sampling {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Appends a piece; returns the text that can be emitted now.
  std::string push(std::string_view piece);
  // True once a stop string was seen (push then returns only the text before it).
  bool stopped() const { return stopped_; }
  // At the end of generation: the held-back text (a partial stop string that never completed).
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace corral::sampling
