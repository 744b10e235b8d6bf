// Where things live in a model store (Ollama's layout, byte for byte):
//   <root>/manifests/<host>/<namespace>/<model>/<tag>   manifest JSON
//   <root>/blobs/sha256-<64 hex>                         content-addressed blobs
// The root is CORRAL_MODELS, else OLLAMA_MODELS, else ~/.corral/models.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "store/name.h"

namespace corral::store {

// "sha256:<64 lowercase hex>" from either the colon or the file ("sha256-") form; upper-case hex
// is accepted and lowered, as Ollama does.
Result<std::string> parse_digest(std::string_view text);
// "sha256-<hex>" for a valid digest.
std::string blob_file_name(std::string_view digest);
// True for names of the form sha256-<64 lowercase hex> (complete blobs, never temporary files).
bool is_blob_file_name(std::string_view file_name);

struct ManifestEntry {
  ModelName name;
  std::filesystem::path path;
};

class Store {
 public:
  explicit Store(std::filesystem::path root) : root_(std::move(root)) {}
  // From the environment (see above); HOME must be set when neither variable is.
  static Result<Store> from_env(const Env& env);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path manifests_dir() const { return root_ / "manifests"; }
  std::filesystem::path blobs_dir() const { return root_ / "blobs"; }
  std::filesystem::path lock_path() const { return root_ / ".corral-lock"; }

  // Path of a blob; `digest` must be valid (see parse_digest).
  std::filesystem::path blob_path(std::string_view digest) const;
  // Path of the manifest for `name` with the casing already on disk when one matches
  // case-insensitively (Ollama's lookup), else the name's own casing.
  std::filesystem::path manifest_path(const ModelName& name) const;
  // The name as stored on disk (case-insensitive match), or nullopt when no manifest exists.
  std::optional<ModelName> find(const ModelName& name) const;

  // Every manifest file four levels under manifests/ whose path is a valid name, sorted by path.
  // Files with other names (temporary files, stray files) are skipped.
  std::vector<ManifestEntry> list_manifests() const;
  // Makes root, manifests/ and blobs/ when missing.
  Status ensure_dirs() const;

 private:
  std::filesystem::path root_;
};

}  // namespace corral::store
