// The store operations behind list, cp, rm and prune. Every mutating one holds the store lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/name.h"

namespace corral::store {

struct ModelListing {
  ModelName name;
  std::filesystem::path manifest_path;
  std::string id;  // hex SHA-256 of the manifest bytes ("" when unreadable)
  int64_t size = 0;
  std::filesystem::file_time_type modified;
  // Empty for a healthy model, else what is wrong at a glance ("missing blob sha256-…",
  // "manifest does not parse"); `corral verify` gives the details.
  std::string problem;
};

// Every model in the store, newest first. Broken manifests and missing or short blobs do not stop
// the listing: those models carry a `problem`. Blobs are checked by size, not re-hashed.
std::vector<ModelListing> list_models(const Store& store);

// A model's manifest and the path it was read from (case-insensitive lookup).
struct FoundModel {
  ModelName name;  // on-disk casing
  std::filesystem::path path;
  StoredManifest stored;
};
Result<FoundModel> open_model(const Store& store, const ModelName& name);
// A blob's bytes as text (template, system, params, license layers).
Result<std::string> read_blob_text(const Store& store, std::string_view digest);

// Copies the manifest only; blobs are shared.
Status copy_model(const Store& store, const ModelName& from, const ModelName& to);
// Removes the manifest, then the blobs no other manifest references. Returns those digests.
Result<std::vector<std::string>> remove_model(const Store& store, const ModelName& name);

struct PruneResult {
  std::vector<std::filesystem::path> removed;  // blobs and stale temporary files
  uint64_t bytes = 0;
};
// Deletes unreferenced blobs and stray files in blobs/ (temporary files, partial downloads)
// older than `grace`, and empty manifest directories. Skipped entirely when a manifest does not
// parse, as in Ollama (it might reference blobs).
Result<PruneResult> prune(const Store& store, std::chrono::seconds grace = std::chrono::hours(1));

// Ollama's format.HumanTime for a time `seconds` in the past: "2 days ago", "About an hour ago".
std::string human_time_ago(double seconds);

}  // namespace corral::store
