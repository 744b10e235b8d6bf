// Reading a stored model's layers once, for show and the server (see stored_model.h).
#include "store/stored_model.h"

#include <nlohmann/json.hpp>

#include "template/features.h"

namespace corral::store {

Result<StoredModel> load_stored_model(const Store& st, const ModelName& name) {
  StoredModel m;
  CORRAL_ASSIGN_OR_RETURN(m.found, open_model(st, name));
  const auto& manifest = m.found.stored.manifest;
  CORRAL_ASSIGN_OR_RETURN(std::string config_text, read_blob_text(st, manifest.config.digest));
  CORRAL_ASSIGN_OR_RETURN(m.config, parse_config(config_text, st.blob_path(manifest.config.digest).string()));
  m.parts.name = m.found.name.display_shortest();
  for (const Layer& l : manifest.layers) {
    std::string path = st.blob_path(l.digest).string();
    auto text = [&]() -> Result<std::string> { return read_blob_text(st, l.digest); };
    if (l.media_type == kMediaModel) {
      m.parts.model_path = m.model_path = path;
    } else if (l.media_type == kMediaProjector) {
      m.parts.projector_paths.push_back(path);
    } else if (l.media_type == kMediaAdapter) {
      m.parts.adapter_paths.push_back(path);
    } else if (l.media_type == kMediaTemplate || l.media_type == kMediaPrompt) {
      CORRAL_ASSIGN_OR_RETURN(m.parts.template_text, text());
      m.has_template = true;
    } else if (l.media_type == kMediaSystem) {
      CORRAL_ASSIGN_OR_RETURN(m.parts.system, text());
    } else if (l.media_type == kMediaLicense) {
      CORRAL_ASSIGN_OR_RETURN(std::string license, text());
      m.parts.licenses.push_back(std::move(license));
    } else if (l.media_type == kMediaParams || l.media_type == kMediaMessages) {
      CORRAL_ASSIGN_OR_RETURN(std::string json_text, text());
      auto j = nlohmann::ordered_json::parse(json_text, nullptr, false);
      if (j.is_discarded()) return Error::format("{}: not valid JSON", path);
      (l.media_type == kMediaParams ? m.parts.params : m.parts.messages) = std::move(j);
    }
  }
  return m;
}

std::vector<std::string> model_capabilities(const GgufFile& file, const ModelInfo& info, const ModelfileParts& parts) {
  const auto& md = file.metadata();
  bool embedding = md.find(info.architecture + ".pooling_type") != nullptr;
  std::vector<std::string> caps{embedding ? "embedding" : "completion"};
  // The template that answers chats: the TEMPLATE layer, else the GGUF's Jinja template.
  tmpl::ChatTemplates templates;
  if (!parts.template_text.empty()) {
    templates.go_template = parts.template_text;
  } else if (auto jinja = md.get_string("tokenizer.chat_template")) {
    templates.jinja = std::string(*jinja);
  }
  const tmpl::TemplateFeatures features = tmpl::template_features(templates);
  if (!embedding && features.tools) caps.emplace_back("tools");
  if (!embedding && features.insert) caps.emplace_back("insert");
  if (!parts.projector_paths.empty() || md.find(info.architecture + ".vision.block_count") != nullptr)
    caps.emplace_back("vision");
  if (features.thinking) caps.emplace_back("thinking");
  return caps;
}

ModelInfo stored_model_info(const GgufFile& file, const ModelConfig& config) {
  ModelInfo info = summarize_model(file);
  if (!config.model_type.empty()) info.parameter_size = config.model_type;
  if (!config.file_type.empty()) info.quantization = config.file_type;
  return info;
}

}  // namespace corral::store
