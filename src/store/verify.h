// `corral verify`: re-hash the blobs of a store and say, per model, exactly which file is wrong —
// a manifest that does not parse, a missing blob, a blob whose bytes no longer match its digest,
// a model layer that is not a complete GGUF. Also a cheap existence-and-size check for `list`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/name.h"

namespace corral::store {

enum class ProblemKind {
  kManifestUnparsable,  // the manifest file cannot be read or parsed
  kMissingBlob,         // blobs/sha256-… named by a manifest does not exist
  kDigestMismatch,      // the blob's bytes hash to something else (truncated, overwritten, …)
  kBadGguf,             // a model/projector/adapter/draft layer that the GGUF reader rejects
  kUnreadableBlob,      // the blob exists but cannot be read
  kCorruptOrphan,       // a blob no manifest names whose bytes do not match its file name
};

struct Problem {
  ProblemKind kind;
  std::filesystem::path file;       // the exact file at fault
  std::string detail;               // one line: what is wrong with it
  std::vector<std::string> models;  // every model (shortest name) that uses the file
  std::string to_string() const;    // "<file>: <detail>"
};

struct ModelReport {
  std::string name;  // shortest display name
  std::filesystem::path manifest_path;
  std::vector<Problem> problems;
  bool ok() const { return problems.empty(); }
};

struct VerifyReport {
  std::vector<ModelReport> models;      // sorted by name
  std::vector<Problem> store_problems;  // not tied to a model (corrupt unreferenced blobs)
  size_t blobs_checked = 0;
  uint64_t bytes_hashed = 0;
  bool ok() const;
};

struct VerifyOptions {
  std::optional<ModelName> only;  // verify this model only (unreferenced blobs are then skipped)
  size_t threads = 0;             // blobs hashed in parallel; 0 = min(physical cores, 4)
  // Called as each blob starts being checked (from worker threads, serialised).
  std::function<void(const std::filesystem::path& blob, uint64_t size)> on_blob;
};

// Re-hashes every blob the selected manifests name (and, for a whole-store run, every other
// complete blob in blobs/). An error only when the store itself cannot be walked or the named
// model does not exist; everything wrong with files is in the report.
Result<VerifyReport> verify_store(const Store& store, const VerifyOptions& options = {});

// The report as text, one line per model ("name: OK" or one line per problem naming the file),
// then a summary line.
std::string format_verify_report(const VerifyReport& report);

// What `list` can afford per model: every blob present with the manifest's size; no hashing.
struct ModelHealth {
  bool ok = true;
  std::string problem;  // the first problem found, e.g. "missing blob sha256-…"
};
ModelHealth quick_check(const Store& store, const Manifest& manifest);

}  // namespace corral::store
