// Model details from the config blob (see model_details.h).
#include "server/model_details.h"

#include "store/ops.h"

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

Result<store::ModelConfig> read_model_config(const store::Store& st, const std::filesystem::path& manifest_path) {
  CORRAL_ASSIGN_OR_RETURN(store::StoredManifest stored, store::read_manifest(manifest_path));
  const std::string& digest = stored.manifest.config.digest;
  CORRAL_ASSIGN_OR_RETURN(std::string text, store::read_blob_text(st, digest));
  return store::parse_config(text, st.blob_path(digest).string());
}

}  // namespace corral::server
