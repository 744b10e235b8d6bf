// `corral show`'s text: an /api/show answer printed as Ollama's showInfo prints it (sections
// Model, Capabilities, Projector, Parameters, Metadata and Tensors with -v, System, License), and
// the Go number formats that text uses. One printer for stored models and local GGUF files.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace corral::cli {

// The sections for `resp` (the JSON of /api/show); Metadata and Tensors only when `verbose`.
std::string format_show(const nlohmann::json& resp, bool verbose);

// Go's %g / %v for a float64: shortest digits, exponent form below 1e-4 or from 1e+06 on
// ("8e+09", "1e-05", "11434", "0.7").
std::string go_float_g(double value);
// Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent.
std::string go_float_f(double value);
// A JSON value as Go's %v prints what encoding/json decoded into `any`: numbers as float64 (%g),
// arrays as "[a b c]", strings bare.
std::string go_value_text(const nlohmann::json& value);

}  // namespace corral::cli
