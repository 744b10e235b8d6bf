// Reads the few metadata keys the routes use; the GGUF is mapped, so this costs one header parse.
#include "server/model_facts.h"

#include "gguf/file.h"

namespace corral::server {
namespace {

std::string token_text(const GgufMetadata& md, std::string_view id_key) {
  auto id = md.get_uint(id_key);
  const GgufValue* tokens = md.find("tokenizer.ggml.tokens");
  if (!id || tokens == nullptr || tokens->as_array() == nullptr) return "";
  const auto* texts = std::get_if<std::vector<std::string>>(&tokens->as_array()->elements);
  if (texts == nullptr || *id >= texts->size()) return "";
  return (*texts)[*id];
}

}  // namespace

Result<ModelFacts> read_model_facts(const std::filesystem::path& gguf_path) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(gguf_path));
  const GgufMetadata& md = file.metadata();
  ModelFacts f;
  f.arch = std::string(md.get_string("general.architecture").value_or(""));
  f.n_ctx_train = md.get_int(f.arch + ".context_length").value_or(0);
  f.n_embd = md.get_int(f.arch + ".embedding_length").value_or(0);
  if (auto t = md.get_string("tokenizer.chat_template")) f.jinja = std::string(*t);
  f.bos_text = token_text(md, "tokenizer.ggml.bos_token_id");
  f.eos_text = token_text(md, "tokenizer.ggml.eos_token_id");
  if (auto p = md.get_int(f.arch + ".pooling_type")) f.pooling_type = *p;
  return f;
}

Result<std::shared_ptr<const ModelFacts>> ModelFactsCache::get(const std::filesystem::path& gguf_path) {
  {
    std::lock_guard lock(mu_);
    if (auto it = facts_.find(gguf_path); it != facts_.end()) return it->second;
  }
  CORRAL_ASSIGN_OR_RETURN(ModelFacts facts, read_model_facts(gguf_path));
  auto shared = std::make_shared<const ModelFacts>(std::move(facts));
  std::lock_guard lock(mu_);
  facts_.emplace(gguf_path, shared);
  return shared;
}

std::shared_ptr<const tmpl::TemplateFeatures> TemplateFeaturesCache::get(const tmpl::ChatTemplates& templates) {
  std::string key =
      templates.go_template ? "go\n" + *templates.go_template : "jinja\n" + templates.jinja.value_or(std::string());
  {
    std::lock_guard lock(mu_);
    if (auto it = features_.find(key); it != features_.end()) return it->second;
  }
  auto shared = std::make_shared<const tmpl::TemplateFeatures>(tmpl::template_features(templates));
  std::lock_guard lock(mu_);
  if (features_.size() >= 64) features_.clear();  // request templates could otherwise grow it without bound
  features_.emplace(std::move(key), shared);
  return shared;
}

}  // namespace corral::server
