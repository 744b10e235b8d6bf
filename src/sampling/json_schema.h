// JSON schema -> GBNF grammar, for structured outputs (Ollama's `format`, OpenAI's
// `response_format`). The grammar's words are JSON texts that parse and validate against the
// schema; what the converter supports and how it emits JSON is in docs/architecture.md
// ("Structured outputs"). Keywords that would constrain the output and are not supported are an
// error naming the keyword and the JSON pointer of the schema part:
// `unsupported JSON schema keyword "multipleOf" at /properties/age`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "base/result.h"

namespace corral::sampling {

// Ollama's format "json": any JSON value that starts with an object.
std::string json_object_grammar();

Result<std::string> json_schema_to_grammar(const nlohmann::ordered_json& schema);

// For a prompt that ends inside a thinking section (its template's generation prompt opens the
// tag): the rest of the thinking first — any text without `close_tag`, then `close_tag` and up to
// 8 blank characters — then the words of `format_grammar` (the output of the two functions above).
// The end of generation stays allowed only once the format is complete.
std::string grammar_after_thinking(std::string_view format_grammar, std::string_view close_tag);

}  // namespace corral::sampling
