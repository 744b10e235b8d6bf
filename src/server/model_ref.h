// A request's model name resolved against the store: everything the inference and management
// routes need from the manifest and its layers, or an error that says which HTTP status it is.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/layout.h"
#include "store/manifest.h"
#include "store/name.h"
#include "store/stored_model.h"

namespace corral::server {

struct ModelRef {
  store::ModelName name;                                             // the on-disk name (case as stored)
  std::string display_name;                                          // "llama3.2:latest"
  std::string digest;                                                // hex SHA-256 of the manifest file (the model ID)
  std::filesystem::path model_path;                                  // the GGUF blob
  nlohmann::ordered_json params = nlohmann::ordered_json::object();  // params layer
  std::optional<std::string> template_text;                          // the TEMPLATE layer, when there is one
  std::string system;
  std::vector<std::string> licenses;
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // [{role, content}]
  std::filesystem::file_time_type modified;
  store::ModelConfig config;
  store::Manifest manifest;
  std::vector<std::filesystem::path> projector_paths, adapter_paths;
  store::ModelfileParts parts;  // the same layers, as the Modelfile generator wants them
};

// The outcome of a lookup: a model, or a message with its status (400 invalid name, 404 not
// found, 500 a model whose manifest or layers cannot be read).
struct ModelLookup {
  std::optional<ModelRef> ref;
  int status = 200;
  std::string error;
  bool ok() const { return ref.has_value(); }
  bool not_found() const { return status == 404; }
};

// A missing model reads `model "x" not found, try pulling it first` (x as the request wrote it).
ModelLookup resolve_model(const store::Store& store, std::string_view name);

}  // namespace corral::server
