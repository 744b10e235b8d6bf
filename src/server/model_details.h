// The `details` object of /api/tags, /api/show and /api/ps (Ollama's api.ModelDetails), from a
// model's config blob.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

#include "base/result.h"
#include "gguf/file.h"
#include "server/model_ref.h"
#include "store/layout.h"
#include "store/manifest.h"

namespace corral::server {

// {parent_model, format, family, families, parameter_size, quantization_level}; families is an
// empty array (not null) when the config has none, so clients and the OpenAPI schema accept it.
nlohmann::ordered_json details_json(const store::ModelConfig& config, std::string_view parent_model = "");

// The details of a resolved model.
nlohmann::ordered_json model_details(const ModelRef& ref);

// /api/show's model_info: every GGUF key but general.name and tokenizer.chat_template; arrays
// longer than five elements are [] unless `verbose`, as Ollama.
nlohmann::ordered_json model_info_json(const GgufFile& file, bool verbose);

// /api/show's tensors (verbose): [{name, type, shape}].
nlohmann::ordered_json tensors_json(const GgufFile& file);

// The config blob named by the manifest at `manifest_path`.
Result<store::ModelConfig> read_model_config(const store::Store& store, const std::filesystem::path& manifest_path);

}  // namespace corral::server
