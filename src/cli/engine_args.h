// Shared pieces of the engine debug commands: parsing "--tokens" and opening an Engine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral::cli {

// Ids separated by spaces, commas or newlines (range-checked later, against the model).
Result<std::vector<int32_t>> parse_token_list(std::string_view text);

}  // namespace corral::cli
