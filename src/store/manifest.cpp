// Manifest and config JSON: strict parsing, Go-identical serialization (see go_json.h).
#include "store/manifest.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "base/sha256.h"
#include "store/go_json.h"
#include "store/layout.h"

namespace corral::store {
namespace {

using nlohmann::ordered_json;

Result<std::string> get_string(const ordered_json& obj, const char* key, bool required, std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return Error::format("{}: missing \"{}\"", where, key);
    return std::string();
  }
  if (!it->is_string()) return Error::format("{}: \"{}\" is not a string", where, key);
  return it->get<std::string>();
}

Result<Layer> parse_layer(const ordered_json& j, std::string_view where) {
  if (!j.is_object()) return Error::format("{}: not an object", where);
  Layer l;
  CORRAL_ASSIGN_OR_RETURN(l.media_type, get_string(j, "mediaType", true, where));
  CORRAL_ASSIGN_OR_RETURN(std::string digest, get_string(j, "digest", true, where));
  auto d = parse_digest(digest);
  if (!d.ok()) return Error::format("{}: {}", where, d.error().message());
  l.digest = *d;
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    return Error::format("{}: \"size\" must be a non-negative integer", where);
  l.size = size->get<int64_t>();
  CORRAL_ASSIGN_OR_RETURN(l.from, get_string(j, "from", false, where));
  CORRAL_ASSIGN_OR_RETURN(l.name, get_string(j, "name", false, where));
  return l;
}

ordered_json layer_json(const Layer& l) {
  ordered_json j;
  j["mediaType"] = l.media_type;
  j["digest"] = l.digest;
  j["size"] = l.size;
  if (!l.from.empty()) j["from"] = l.from;
  if (!l.name.empty()) j["name"] = l.name;
  return j;
}

ordered_json string_list(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;
  return ordered_json(v);
}

}  // namespace

std::vector<std::string> Manifest::blob_digests() const {
  std::vector<std::string> out{config.digest};
  for (const auto& l : layers)
    if (std::find(out.begin(), out.end(), l.digest) == out.end()) out.push_back(l.digest);
  return out;
}

int64_t Manifest::total_size() const {
  int64_t total = config.size;
  for (const auto& l : layers) total += l.size;
  return total;
}

const Layer* Manifest::find_layer(std::string_view type) const {
  for (const auto& l : layers)
    if (l.media_type == type) return &l;
  return nullptr;
}

Result<Manifest> parse_manifest(std::string_view bytes, std::string_view source) {
  ordered_json j = ordered_json::parse(bytes, nullptr, false);
  if (j.is_discarded()) return Error::format("{}: manifest is not valid JSON", source);
  if (!j.is_object()) return Error::format("{}: manifest is not a JSON object", source);
  Manifest m;
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != 2)
    return Error::format("{}: manifest \"schemaVersion\" is not 2", source);
  std::string where = fmt::format("{}: manifest", source);
  CORRAL_ASSIGN_OR_RETURN(m.media_type, get_string(j, "mediaType", false, where));
  auto config = j.find("config");
  if (config == j.end()) return Error::format("{}: manifest has no \"config\"", source);
  CORRAL_ASSIGN_OR_RETURN(m.config, parse_layer(*config, fmt::format("{}: manifest config", source)));
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array())
    return Error::format("{}: manifest \"layers\" is missing or not an array", source);
  for (size_t i = 0; i < layers->size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(Layer l, parse_layer((*layers)[i], fmt::format("{}: manifest layer {}", source, i)));
    m.layers.push_back(std::move(l));
  }
  return m;
}

std::string serialize_manifest(const Manifest& m) {
  ordered_json j;
  j["schemaVersion"] = m.schema_version;
  j["mediaType"] = m.media_type;
  j["config"] = layer_json(m.config);
  ordered_json layers = ordered_json::array();
  for (const auto& l : m.layers) layers.push_back(layer_json(l));
  j["layers"] = std::move(layers);
  return go_json(j);
}

Result<StoredManifest> read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::format("{}: cannot read manifest", path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  StoredManifest out;
  CORRAL_ASSIGN_OR_RETURN(out.manifest, parse_manifest(bytes, path.string()));
  out.id = Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
  std::error_code ec;
  out.modified = std::filesystem::last_write_time(path, ec);
  return out;
}

Result<ModelConfig> parse_config(std::string_view bytes, std::string_view source) {
  ordered_json j = ordered_json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::format("{}: config is not a JSON object", source);
  std::string where = fmt::format("{}: config", source);
  ModelConfig c;
  CORRAL_ASSIGN_OR_RETURN(c.model_format, get_string(j, "model_format", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.model_family, get_string(j, "model_family", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.model_type, get_string(j, "model_type", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.file_type, get_string(j, "file_type", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.renderer, get_string(j, "renderer", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.parser, get_string(j, "parser", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.requires_version, get_string(j, "requires", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.remote_host, get_string(j, "remote_host", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.remote_model, get_string(j, "remote_model", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.base_name, get_string(j, "base_name", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.architecture, get_string(j, "architecture", false, where));
  CORRAL_ASSIGN_OR_RETURN(c.os, get_string(j, "os", false, where));
  auto strings = [&](const char* key, std::vector<std::string>& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_array()) return Error::format("{}: \"{}\" is not an array", where, key);
    for (const auto& e : *it) {
      if (!e.is_string()) return Error::format("{}: \"{}\" holds a non-string", where, key);
      out.push_back(e.get<std::string>());
    }
    return {};
  };
  CORRAL_TRY(strings("model_families", c.model_families));
  CORRAL_TRY(strings("capabilities", c.capabilities));
  for (auto [key, out] : {std::pair{"context_length", &c.context_length}, {"embedding_length", &c.embedding_length}}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number_integer()) *out = it->get<int64_t>();
  }
  if (auto rootfs = j.find("rootfs"); rootfs != j.end() && rootfs->is_object()) {
    if (auto t = rootfs->find("type"); t != rootfs->end() && t->is_string()) c.rootfs_type = t->get<std::string>();
    if (auto ids = rootfs->find("diff_ids"); ids != rootfs->end() && ids->is_array())
      for (const auto& e : *ids)
        if (e.is_string()) c.diff_ids.push_back(e.get<std::string>());
  }
  return c;
}

std::string serialize_config(const ModelConfig& c) {
  ordered_json j;
  j["model_format"] = c.model_format;
  j["model_family"] = c.model_family;
  j["model_families"] = string_list(c.model_families);
  j["model_type"] = c.model_type;
  j["file_type"] = c.file_type;
  if (!c.renderer.empty()) j["renderer"] = c.renderer;
  if (!c.parser.empty()) j["parser"] = c.parser;
  if (!c.requires_version.empty()) j["requires"] = c.requires_version;
  if (!c.remote_host.empty()) j["remote_host"] = c.remote_host;
  if (!c.remote_model.empty()) j["remote_model"] = c.remote_model;
  if (!c.capabilities.empty()) j["capabilities"] = c.capabilities;
  if (c.context_length != 0) j["context_length"] = c.context_length;
  if (c.embedding_length != 0) j["embedding_length"] = c.embedding_length;
  if (!c.base_name.empty()) j["base_name"] = c.base_name;
  j["architecture"] = c.architecture;
  j["os"] = c.os;
  j["rootfs"] = {{"type", c.rootfs_type}, {"diff_ids", string_list(c.diff_ids)}};
  return go_json(j);
}

}  // namespace corral::store
