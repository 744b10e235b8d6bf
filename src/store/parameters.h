// Modelfile PARAMETER names and their types (Ollama's api.Options keys): strict value parsing,
// the params layer JSON, and back to PARAMETER lines and `show --parameters` text.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace corral::store {

enum class ParameterType { kInt, kFloat, kBool, kStringList };

// The type of a valid parameter name; nullopt for deprecated and unknown names.
std::optional<ParameterType> parameter_type(std::string_view name);
// Removed options (penalize_newline, mirostat, …): accepted in a Modelfile, warned about, dropped.
bool is_deprecated_parameter(std::string_view name);

// Checks one PARAMETER line: "unknown parameter 'x'", "invalid int value …", "invalid float value
// …", "invalid bool value …". Deprecated names pass (they are dropped later).
Status validate_parameter(std::string_view name, std::string_view value);

// The params layer: each value converted to its type, `stop` accumulated into an array, deprecated
// names dropped with a warning. Keys sorted, as Go's JSON encoder writes a map, so that the blob
// (and its digest) matches what Ollama writes for the same Modelfile.
Result<nlohmann::ordered_json> parameters_to_json(const std::vector<std::pair<std::string, std::string>>& name_values);

// Merges `overrides` over `base` (both params objects): a key present in `overrides` replaces the
// inherited value entirely (stop lists too). Keys sorted.
nlohmann::ordered_json merge_parameters(const nlohmann::ordered_json& base, const nlohmann::ordered_json& overrides);

// A params object back to (name, value) pairs, one per stop string, in object order.
std::vector<std::pair<std::string, std::string>> parameters_from_json(const nlohmann::ordered_json& params);

// `show --parameters` text: one "name<pad to 30> value" line per value, strings Go-quoted.
std::string parameters_text(const nlohmann::ordered_json& params);

}  // namespace corral::store
