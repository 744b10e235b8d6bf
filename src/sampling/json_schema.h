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

}  // namespace corral::sampling
