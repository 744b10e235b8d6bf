// Model details from the config blob (see model_details.h).
#include "server/model_details.h"

#include "gguf/value_json.h"
#include "store/ops.h"
#include "tensor/ggml_type.h"

namespace corral::server {

nlohmann::ordered_json details_json(const store::ModelConfig& config, std::string_view parent_model) {
  nlohmann::ordered_json d;
  d["parent_model"] = std::string(parent_model);
  d["format"] = config.model_format;
  d["family"] = config.model_family;
  d["families"] = config.model_families;  // [] when empty
  d["parameter_size"] = config.model_type;
  d["quantization_level"] = config.file_type;
  return d;
}

nlohmann::ordered_json model_details(const ModelRef& ref) {
  return details_json(ref.config);
}

nlohmann::ordered_json model_info_json(const GgufFile& file, bool verbose) {
  constexpr size_t kMaxArrayShown = 5;
  nlohmann::ordered_json info = nlohmann::ordered_json::object();
  for (const auto& [key, value] : file.metadata().entries()) {
    if (key == "general.name" || key == "tokenizer.chat_template") continue;
    const GgufArray* a = value.as_array();
    if (!verbose && a && a->size() > kMaxArrayShown)
      info[key] = nlohmann::ordered_json::array();
    else
      info[key] = value_to_json(value, 0);
  }
  return info;
}

nlohmann::ordered_json tensors_json(const GgufFile& file) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& t : file.tensors()) {
    nlohmann::ordered_json shape = nlohmann::ordered_json::array();
    for (uint32_t d = 0; d < t.n_dims; ++d) shape.push_back(t.ne[d]);
    out.push_back({{"name", t.name}, {"type", ggml_type_name(t.type)}, {"shape", std::move(shape)}});
  }
  return out;
}

Result<store::ModelConfig> read_model_config(const store::Store& st, const std::filesystem::path& manifest_path) {
  CORRAL_ASSIGN_OR_RETURN(store::StoredManifest stored, store::read_manifest(manifest_path));
  const std::string& digest = stored.manifest.config.digest;
  CORRAL_ASSIGN_OR_RETURN(std::string text, store::read_blob_text(st, digest));
  return store::parse_config(text, st.blob_path(digest).string());
}

}  // namespace corral::server
