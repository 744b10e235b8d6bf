// GGUF metadata values as JSON and as one-line text, for `corral show` and /api/show.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "gguf/value.h"

namespace corral {

// Arrays longer than `max_array` (0 = no limit) become {"type": "array", "element_type", "length"}.
nlohmann::ordered_json value_to_json(const GgufValue& value, size_t max_array);
// Strings JSON-quoted, arrays as [a, b, …] with "... (N items)" past `max_array` (0 = no limit).
std::string value_to_text(const GgufValue& value, size_t max_array);

}  // namespace corral
