// Token-list parsing for the engine debug commands.
#include "cli/engine_args.h"

#include <charconv>

namespace corral::cli {

Result<std::vector<int32_t>> parse_token_list(std::string_view text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  constexpr std::string_view kSeparators = " ,\n\t\r";
  while (pos < text.size()) {
    if (kSeparators.find(text[pos]) != std::string_view::npos) {
      ++pos;
      continue;
    }
    size_t end = text.find_first_of(kSeparators, pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(pos, end - pos);
    int32_t id = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (ec != std::errc() || ptr != word.data() + word.size() || id < 0)
      return Error::format("\"{}\" is not a token id", word);
    ids.push_back(id);
    pos = end;
  }
  if (ids.empty()) return Error("no token ids given");
  return ids;
}

}  // namespace corral::cli
