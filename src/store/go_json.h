// JSON bytes exactly as Go's encoding/json writes them, so that files corral writes hash the same
// as Ollama's: compact, `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c etc., invalid UTF-8 as
// \ufffd, floats in Go's shortest form (1e-7, 0.6), and map keys sorted when the Go side is a map.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace corral::store {

struct GoJsonOptions {
  bool sort_keys = false;        // a Go map (sorted keys) rather than a struct (declaration order)
  bool trailing_newline = true;  // json.Encoder.Encode appends '\n'; json.Marshal does not
  bool float32 = false;          // floats that are exact float32 values are printed as float32
};

std::string go_json(const nlohmann::ordered_json& value, const GoJsonOptions& options = {});

}  // namespace corral::store
