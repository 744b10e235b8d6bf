// Manifests (Docker v2 schema 2 with Ollama's media types) and the config blob (ConfigV2), parsed
// with full validation and written with exactly Ollama's field names, order and JSON form.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral::store {

inline constexpr std::string_view kManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kConfigMediaType = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kMediaModel = "application/vnd.ollama.image.model";
inline constexpr std::string_view kMediaProjector = "application/vnd.ollama.image.projector";
inline constexpr std::string_view kMediaAdapter = "application/vnd.ollama.image.adapter";
inline constexpr std::string_view kMediaDraft = "application/vnd.ollama.image.draft";
inline constexpr std::string_view kMediaTemplate = "application/vnd.ollama.image.template";
inline constexpr std::string_view kMediaPrompt = "application/vnd.ollama.image.prompt";  // legacy template
inline constexpr std::string_view kMediaSystem = "application/vnd.ollama.image.system";
inline constexpr std::string_view kMediaParams = "application/vnd.ollama.image.params";
inline constexpr std::string_view kMediaMessages = "application/vnd.ollama.image.messages";
inline constexpr std::string_view kMediaLicense = "application/vnd.ollama.image.license";

struct Layer {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  std::string from;  // omitted when empty
  std::string name;  // omitted when empty
  bool operator==(const Layer&) const = default;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type = std::string(kManifestMediaType);
  Layer config;
  std::vector<Layer> layers;

  // Config first, then the layers, each digest once.
  std::vector<std::string> blob_digests() const;
  // Total bytes of config and layers (what `list` shows as SIZE).
  int64_t total_size() const;
  const Layer* find_layer(std::string_view type) const;
};

// Parses manifest bytes; errors start with `source` (usually the file path).
Result<Manifest> parse_manifest(std::string_view bytes, std::string_view source);
// Ollama's exact bytes: compact JSON, fields in Go struct order, trailing newline.
std::string serialize_manifest(const Manifest& manifest);

// A manifest read from disk, with what `list` needs about the file.
struct StoredManifest {
  Manifest manifest;
  std::string id;  // hex SHA-256 of the file bytes (the model ID; list shows 12 characters)
  std::filesystem::file_time_type modified;
};
Result<StoredManifest> read_manifest(const std::filesystem::path& path);

// The config blob (Ollama's ConfigV2). Fields with omitempty in Ollama are left out when empty.
struct ModelConfig {
  std::string model_format;
  std::string model_family;
  std::vector<std::string> model_families;  // null when empty, as a nil Go slice
  std::string model_type;                   // "1.2B"
  std::string file_type;                    // "Q4_K_M"
  std::string renderer;
  std::string parser;
  std::string requires_version;
  std::string remote_host;
  std::string remote_model;
  std::vector<std::string> capabilities;
  int64_t context_length = 0;
  int64_t embedding_length = 0;
  std::string base_name;
  std::string architecture = "amd64";
  std::string os = "linux";
  std::string rootfs_type = "layers";
  std::vector<std::string> diff_ids;  // the layer digests, in manifest order
};

Result<ModelConfig> parse_config(std::string_view bytes, std::string_view source);
std::string serialize_config(const ModelConfig& config);

}  // namespace corral::store
