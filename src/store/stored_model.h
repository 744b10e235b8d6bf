// A stored model read whole: its manifest, config and the texts of its layers (template, system,
// params, messages, licenses), and the capabilities Ollama derives from them. Shared by
// `corral show` and the server's /api/show, /api/tags and model lookups.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "gguf/file.h"
#include "gguf/model_info.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/modelfile.h"
#include "store/name.h"
#include "store/ops.h"

namespace corral::store {

struct StoredModel {
  FoundModel found;
  ModelConfig config;
  std::string model_path;     // the GGUF blob; empty when the manifest has no model layer
  ModelfileParts parts;       // parts.name is the short display name ("llama3.2:latest")
  bool has_template = false;  // a template layer exists (its text may still be empty)
};

// Reads the manifest of `name` (case-insensitive), its config blob and every text layer.
// A missing manifest gives `model '<name>' not found` (see open_model).
Result<StoredModel> load_stored_model(const Store& store, const ModelName& name);

// Ollama's capabilities in its order: completion or embedding (a pooling type in the GGUF), tools
// and insert, vision (a projector layer or vision metadata), thinking — tools, insert and thinking
// read from the template that answers chats (the TEMPLATE layer, else the GGUF's Jinja template;
// template/features.h).
std::vector<std::string> model_capabilities(const GgufFile& file, const ModelInfo& info, const ModelfileParts& parts);

// The model facts with the config's overrides (parameter size, quantization) applied, as show
// and tags report them.
ModelInfo stored_model_info(const GgufFile& file, const ModelConfig& config);

}  // namespace corral::store
