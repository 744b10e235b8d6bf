// Pieces of the JSON schema converter (json_schema.cpp) that produce GBNF text for one kind of
// value: literals, character classes, characters inside a JSON string, integer and number
// ranges, string formats and the regular-expression subset of `pattern`. Internal to the
// converter's files.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sampling/grammar.h"

namespace corral::sampling::schema {

// A GBNF literal ("...") matching exactly `bytes` (UTF-8).
std::string gbnf_literal(std::string_view bytes);
// A GBNF character class ([...]) of `set` (not empty).
std::string gbnf_class(const CharSet& set);
// One code point of `set` as JSON writes it inside a string: raw where JSON allows, else the
// escape (\" \\ \n \r \t \b \f, \u00XX for other control characters). A GBNF expression.
std::string json_string_char(const CharSet& set);

// Integers in [lo, hi] (absent: unbounded; at most 16 digits then) in JSON's shortest form,
// without trailing whitespace. lo <= hi.
std::string integer_range(std::optional<int64_t> lo, std::optional<int64_t> hi);

// A bound of a number: the value and whether it is exclusive.
struct NumberBound {
  int64_t value = 0;
  bool exclusive = false;
};
// Decimal numbers (integer part, optional fraction; no exponent) between integer-valued bounds.
// An error when the bounds leave nothing.
Result<std::string> number_range(std::optional<NumberBound> lo, std::optional<NumberBound> hi);

// The content (between the quotes) of a string in a supported `format`; nullopt for a format
// this converter does not support. The names are ajv-formats' (the validator the tests use), and
// every string produced passes its "full" checks.
std::optional<std::string> string_format_content(std::string_view format);
// The formats string_format_content supports, for error messages.
std::string supported_string_formats();

// The content of a string matching the ECMAScript regular expression `pattern` (the subset in
// docs/architecture.md), JSON-escaped; the match is generated whole, so it satisfies the pattern
// anchored or not. The error names the unsupported feature.
Result<std::string> regex_string_content(std::string_view pattern);

// --- Schema documents (json_schema_merge.cpp) ---

using Json = nlohmann::ordered_json;

// "/" for the root, else the JSON pointer itself: how errors name a schema part.
std::string where(const std::string& pointer);
// The pointer of `key` under `pointer` (escaping ~ and /).
std::string child_pointer(const std::string& pointer, std::string_view key);
// Keywords that carry no constraint (annotations, and $defs/definitions, read only through $ref).
bool is_annotation(std::string_view keyword);
// Errors for keywords that would constrain the output and are not supported, and for malformed
// values of the supported ones' container types.
Status check_keywords(const Json& schema, const std::string& pointer);
// The schema a local reference (#, #/$defs/x, any #/json/pointer) names in `root`, with its pointer.
Result<std::pair<const Json*, std::string>> resolve_ref(const Json& root, const Json& ref, const std::string& pointer);
// allOf folded into one schema (objects: properties and required merged, closed branches
// respected; bounds tightened; types, enums intersected; anyOf/oneOf in a branch distributed).
// `schema` holds "allOf"; the result holds none at its top.
Result<Json> merge_all_of(const Json& root, const Json& schema, const std::string& pointer);

}  // namespace corral::sampling::schema
