// Writing to a store safely. Blobs are written to a temporary file in blobs/ (a name that never
// matches sha256-<hex>), hashed while written, fsynced and renamed to their digest; a manifest is
// written atomically and only once every blob it names is complete. Mutating operations hold a
// store-wide lock (flock on <root>/.corral-lock), so concurrent processes are serialised; readers
// never need it because every file appears under its final name complete or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/name.h"

namespace corral::store {

// Temporary files in blobs/ start with this; prune removes stale ones.
inline constexpr std::string_view kTempPrefix = ".corral-tmp-";

class StoreLock {
 public:
  // Blocks until the lock is ours. Creates the store directories first.
  static Result<StoreLock> acquire(const Store& store);
  StoreLock(StoreLock&&) noexcept = default;
  StoreLock& operator=(StoreLock&&) noexcept = default;

 private:
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing it releases the flock
};

struct BlobInfo {
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  bool existed = false;  // deduplicated: a complete blob with this digest was already there
};

// Called with (bytes done, bytes total) while a large file is copied or hashed.
using ProgressFn = std::function<void(uint64_t, uint64_t)>;

struct AddFileOptions {
  // Hard-link the source into blobs/ when on the same filesystem (then hash the linked file)
  // instead of copying it.
  bool allow_hardlink = true;
  ProgressFn progress;
};

// Stores bytes as a blob (dedup by digest).
Result<BlobInfo> write_blob(const Store& store, std::string_view bytes);
// Stores a blob that arrives in chunks (an HTTP upload): hashed while written to a temporary file
// in blobs/, never held in memory. commit() renames it to its digest; dropping the writer without
// a commit removes the temporary file.
class BlobWriter {
 public:
  static Result<BlobWriter> create(const Store& store);
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  ~BlobWriter();
  Status write(std::string_view chunk);
  uint64_t size() const;
  // The digest of the bytes so far ("sha256:<hex>"); call once, before commit().
  std::string finish_digest();
  // fsync and rename to `digest` (the one finish_digest() returned).
  Result<BlobInfo> commit(const std::string& digest);

 private:
  struct Impl;
  explicit BlobWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Stores a file as a blob: copied and hashed in one pass, or hard-linked and hashed.
Result<BlobInfo> add_blob_from_file(const Store& store, const std::filesystem::path& source,
                                    const AddFileOptions& options = {});

// True when blobs/ holds a complete blob with this digest and size (size not re-hashed).
bool blob_present(const Store& store, std::string_view digest, int64_t size);

// Writes the manifest for `name` atomically, after checking that every blob it names is present.
// Returns the path written.
Result<std::filesystem::path> write_manifest(const Store& store, const ModelName& name, const Manifest& manifest);

// Deletes the blobs among `candidates` that no manifest in the store references. When some
// manifest cannot be parsed, nothing is deleted (it might reference them). Returns the digests
// deleted. Call with the lock held.
Result<std::vector<std::string>> remove_unreferenced(const Store& store, const std::vector<std::string>& candidates);

}  // namespace corral::store
