// What the routes need to know about a model's GGUF beyond its manifest: the training context,
// the Jinja chat template with its BOS/EOS texts, and the pooling type of embedding models.
// Blobs are content-addressed, so facts read once per blob path stay true; the cache keeps them.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "template/features.h"

namespace corral::server {

struct ModelFacts {
  std::string arch;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  std::optional<std::string> jinja;     // tokenizer.chat_template
  std::string bos_text, eos_text;       // texts of the BOS/EOS tokens (for Jinja's bos_token/eos_token)
  std::optional<int64_t> pooling_type;  // <arch>.pooling_type: an embedding model
  bool is_embedding_model() const { return pooling_type.has_value() && *pooling_type != 0; }
};

Result<ModelFacts> read_model_facts(const std::filesystem::path& gguf_path);

class ModelFactsCache {
 public:
  Result<std::shared_ptr<const ModelFacts>> get(const std::filesystem::path& gguf_path);

 private:
  std::mutex mu_;
  std::map<std::filesystem::path, std::shared_ptr<const ModelFacts>> facts_;
};

// A template's features (tmpl::template_features renders probes, so they are worked out once per
// template text).
class TemplateFeaturesCache {
 public:
  std::shared_ptr<const tmpl::TemplateFeatures> get(const tmpl::ChatTemplates& templates);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const tmpl::TemplateFeatures>> features_;
};

}  // namespace corral::server
