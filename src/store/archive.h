// `corral export` / `corral import`: one self-describing archive per model. A POSIX tar whose
// first member, corral-export.json, lists the model name, the manifest digest and every blob with
// its digest and size; then manifest.json (the exact manifest bytes); then blobs/sha256-<hex>.
// Import checks every byte against both the index and the manifest before anything is visible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/layout.h"
#include "store/name.h"

namespace corral::store {

inline constexpr std::string_view kExportIndexMember = "corral-export.json";
inline constexpr std::string_view kExportManifestMember = "manifest.json";
inline constexpr std::string_view kExportFormat = "corral-export";
inline constexpr int kExportVersion = 1;

// Called with a line of status ("writing sha256-…", …).
using ArchiveStatusFn = std::function<void(const std::string&)>;

struct ExportSummary {
  std::string model;            // long name, as recorded in the index
  std::string manifest_digest;  // "sha256:<hex>" of the manifest bytes
  size_t blobs = 0;
  uint64_t archive_bytes = 0;
};

// Writes `model` to `out` (atomically: a failed export leaves no file). Each blob is re-hashed
// while copied, so a damaged store is never exported silently.
Result<ExportSummary> export_model(const Store& store, const ModelName& model, const std::filesystem::path& out,
                                   const ArchiveStatusFn& status = {});

struct ImportSummary {
  ModelName name;
  std::string manifest_digest;
  size_t blobs_written = 0;
  size_t blobs_reused = 0;  // already in the store
  uint64_t bytes_written = 0;
};

// Imports an archive as `name` (default: the name recorded in it), under the store lock. Blobs are
// streamed to temporary files while hashed; only when every digest and size matches the index and
// the manifest are they renamed into place, and the manifest is written last. Any error (damaged
// or truncated archive, full disk) leaves the store as it was.
Result<ImportSummary> import_model(const Store& store, const std::filesystem::path& archive,
                                   const std::optional<ModelName>& name = std::nullopt,
                                   const ArchiveStatusFn& status = {});

}  // namespace corral::store
