// Export and import of one model as a tar archive (see archive.h). Every length read from an
// archive is bounded before it is used: the index and manifest by fixed limits, each blob by the
// size the index gives it.
#include "store/archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <set>
#include <vector>

#include "base/atomic_file.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/sys_error.h"
#include "store/blob_store.h"
#include "store/manifest.h"
#include "store/tar.h"

namespace corral::store {
namespace fs = std::filesystem;
namespace {

using nlohmann::ordered_json;

constexpr uint64_t kMaxIndexBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxManifestBytes = uint64_t{8} << 20;
constexpr size_t kMaxBlobs = 65536;
constexpr int64_t kMaxBlobBytes = int64_t{1} << 50;
constexpr size_t kChunk = size_t{1} << 20;

struct BlobRef {
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  std::string media_type;
};

// The blobs a manifest names, config first, each digest once.
std::vector<BlobRef> manifest_blobs(const Manifest& m) {
  std::vector<BlobRef> out;
  std::set<std::string> seen;
  auto add = [&](const Layer& l) {
    if (seen.insert(l.digest).second) out.push_back({l.digest, l.size, l.media_type});
  };
  add(m.config);
  for (const auto& l : m.layers) add(l);
  return out;
}

std::string digest_of(std::string_view bytes) {
  return "sha256:" + Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

Result<std::string> read_small_file(const fs::path& path, uint64_t max_bytes) {
  std::error_code ec;
  uint64_t size = fs::file_size(path, ec);
  if (ec) return Error::format("{}: cannot read: {}", path.string(), ec.message());
  if (size > max_bytes) return Error::format("{}: {} bytes, more than the {} allowed", path.string(), size, max_bytes);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::format("{}: cannot open: {}", path.string(), errno_text(errno));
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd.get(), out.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::format("{}: read failed", path.string());
    got += static_cast<size_t>(n);
  }
  return out;
}

// --- writing ---------------------------------------------------------------------------------

class ArchiveWriter {
 public:
  explicit ArchiveWriter(AtomicFileWriter out) : out_(std::move(out)) {}

  Status header(const std::string& name, uint64_t size, int64_t mtime) {
    CORRAL_ASSIGN_OR_RETURN(TarBlock block, encode_tar_header({name, size, mtime}));
    return out_.write(std::as_bytes(std::span(block)));
  }
  Status data(std::span<const std::byte> bytes) { return out_.write(bytes); }
  Status pad(uint64_t size) {
    static constexpr TarBlock kZero{};
    return out_.write(std::as_bytes(std::span(kZero.data(), tar_padding(size))));
  }
  Status small_member(const std::string& name, std::string_view bytes, int64_t mtime) {
    CORRAL_TRY(header(name, bytes.size(), mtime));
    CORRAL_TRY(data(as_bytes(bytes)));
    return pad(bytes.size());
  }
  // A blob copied from the store and re-hashed on the way.
  Status blob_member(const fs::path& path, const BlobRef& blob, int64_t mtime) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::format("{}: cannot open blob: {} (run `corral verify`)", path.string(), errno_text(errno));
    CORRAL_TRY(header("blobs/" + blob_file_name(blob.digest), static_cast<uint64_t>(blob.size), mtime));
    Sha256 hash;
    std::vector<std::byte> buf(kChunk);
    uint64_t total = 0;
    while (true) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::format("{}: read failed: {}", path.string(), errno_text(errno));
      if (n == 0) break;
      total += static_cast<uint64_t>(n);
      if (total > static_cast<uint64_t>(blob.size)) break;
      std::span<const std::byte> chunk(buf.data(), static_cast<size_t>(n));
      hash.update(chunk);
      CORRAL_TRY(data(chunk));
    }
    std::string got = "sha256:" + Sha256::hex(hash.finish());
    if (total != static_cast<uint64_t>(blob.size) || got != blob.digest)
      return Error::format(
          "{}: the blob is damaged ({} bytes hashing to {}; the manifest says {} bytes): not exported "
          "(run `corral verify`)",
          path.string(), total, total == static_cast<uint64_t>(blob.size) ? got : "?", blob.size);
    return pad(total);
  }
  Result<uint64_t> finish() {
    static constexpr std::array<char, 2 * kTarBlock> kTrailer{};
    CORRAL_TRY(out_.write(std::as_bytes(std::span(kTrailer))));
    uint64_t n = out_.bytes_written();
    CORRAL_TRY(out_.commit());
    return n;
  }

 private:
  AtomicFileWriter out_;
};

// --- reading ---------------------------------------------------------------------------------

class ArchiveReader {
 public:
  static Result<ArchiveReader> open(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::format("cannot open: {}", errno_text(errno));
    return ArchiveReader(std::move(fd));
  }

  // The next member's header; nullopt at the end-of-archive marker.
  Result<std::optional<TarEntry>> next(uint64_t max_size) {
    TarBlock block{};
    CORRAL_TRY(read_exact(std::as_writable_bytes(std::span(block)), "a member header"));
    if (is_zero_block(block)) return std::optional<TarEntry>();
    auto entry = decode_tar_header(block, max_size);
    if (!entry.ok()) return std::move(entry).error().with_context(fmt::format("at byte {}", offset_ - kTarBlock));
    return std::optional<TarEntry>(std::move(*entry));
  }

  Status read_exact(std::span<std::byte> out, std::string_view what) {
    size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::read(fd_.get(), out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::format("read failed at byte {}: {}", offset_ + got, errno_text(errno));
      if (n == 0) return Error::format("the archive is truncated: it ends at byte {}, inside {}", offset_ + got, what);
      got += static_cast<size_t>(n);
    }
    offset_ += got;
    return {};
  }

  Result<std::string> read_member(const TarEntry& e) {
    std::string out(e.size, '\0');
    CORRAL_TRY(read_exact(std::as_writable_bytes(std::span(out.data(), out.size())), e.name));
    CORRAL_TRY(skip(tar_padding(e.size), e.name));
    return out;
  }

  Status skip(uint64_t n, std::string_view what) {
    std::vector<std::byte> buf(std::min<uint64_t>(n, kChunk));
    while (n > 0) {
      size_t step = static_cast<size_t>(std::min<uint64_t>(n, buf.size()));
      CORRAL_TRY(read_exact(std::span(buf.data(), step), what));
      n -= step;
    }
    return {};
  }

  // Copies `size` bytes into `out` while hashing them; returns "sha256:<hex>".
  Result<std::string> copy_hashed(uint64_t size, AtomicFileWriter& out, std::string_view what) {
    Sha256 hash;
    std::vector<std::byte> buf(kChunk);
    while (size > 0) {
      size_t step = static_cast<size_t>(std::min<uint64_t>(size, buf.size()));
      std::span<std::byte> chunk(buf.data(), step);
      CORRAL_TRY(read_exact(chunk, what));
      hash.update(chunk);
      CORRAL_TRY(out.write(chunk));
      size -= step;
    }
    return "sha256:" + Sha256::hex(hash.finish());
  }

 private:
  explicit ArchiveReader(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  uint64_t offset_ = 0;
};

// --- the index -------------------------------------------------------------------------------

struct Index {
  std::string model;
  std::string manifest_digest;
  uint64_t manifest_size = 0;
  std::vector<BlobRef> blobs;
};

std::string index_json(const Index& index) {
  ordered_json j;
  j["format"] = kExportFormat;
  j["version"] = kExportVersion;
  j["model"] = index.model;
  j["manifest"] = {{"digest", index.manifest_digest}, {"size", index.manifest_size}};
  j["blobs"] = ordered_json::array();
  for (const auto& b : index.blobs)
    j["blobs"].push_back({{"digest", b.digest}, {"size", b.size}, {"mediaType", b.media_type}});
  return j.dump(2) + "\n";
}

Result<Index> parse_index(std::string_view text) {
  ordered_json j = ordered_json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error("the index is not a JSON object");
  if (j.value("format", "") != kExportFormat) return Error("not a corral export (index format field)");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int64_t>() != kExportVersion)
    return Error::format("unsupported export format version (this corral reads version {})", kExportVersion);
  Index index;
  if (!j.contains("model") || !j["model"].is_string()) return Error("the index has no model name");
  index.model = j["model"].get<std::string>();
  const auto& m = j.contains("manifest") ? j["manifest"] : ordered_json();
  if (!m.is_object() || !m.contains("digest") || !m["digest"].is_string() || !m.contains("size") ||
      !m["size"].is_number_unsigned())
    return Error("the index has no manifest digest and size");
  CORRAL_ASSIGN_OR_RETURN(index.manifest_digest, parse_digest(m["digest"].get<std::string>()));
  index.manifest_size = m["size"].get<uint64_t>();
  if (index.manifest_size == 0 || index.manifest_size > kMaxManifestBytes)
    return Error::format("the index gives the manifest {} bytes (at most {} allowed)", index.manifest_size,
                         kMaxManifestBytes);
  if (!j.contains("blobs") || !j["blobs"].is_array()) return Error("the index has no blob list");
  if (j["blobs"].size() > kMaxBlobs) return Error::format("the index lists more than {} blobs", kMaxBlobs);
  std::set<std::string> seen;
  for (const auto& b : j["blobs"]) {
    if (!b.is_object() || !b.contains("digest") || !b["digest"].is_string() || !b.contains("size") ||
        !b["size"].is_number_integer())
      return Error("a blob entry of the index has no digest or size");
    BlobRef ref;
    CORRAL_ASSIGN_OR_RETURN(ref.digest, parse_digest(b["digest"].get<std::string>()));
    ref.size = b["size"].get<int64_t>();
    if (ref.size < 0 || ref.size > kMaxBlobBytes) return Error::format("blob {} has an impossible size", ref.digest);
    ref.media_type = b.value("mediaType", "");
    if (!seen.insert(ref.digest).second) return Error::format("blob {} is listed twice in the index", ref.digest);
    index.blobs.push_back(std::move(ref));
  }
  return index;
}

// The manifest must name exactly the blobs the index lists, with the same sizes.
Status check_manifest_matches_index(const Manifest& manifest, const Index& index) {
  std::map<std::string, int64_t> from_index;
  for (const auto& b : index.blobs) from_index[b.digest] = b.size;
  std::map<std::string, int64_t> from_manifest;
  for (const auto& b : manifest_blobs(manifest)) {
    CORRAL_ASSIGN_OR_RETURN(std::string d, parse_digest(b.digest));
    from_manifest[d] = b.size;
  }
  for (const auto& [d, size] : from_manifest) {
    auto it = from_index.find(d);
    if (it == from_index.end()) return Error::format("the manifest names blob {}, which the index does not list", d);
    if (it->second != size)
      return Error::format("blob {}: the manifest says {} bytes, the index {}", d, size, it->second);
  }
  if (from_index.size() != from_manifest.size()) return Error("the index lists blobs the manifest does not name");
  return {};
}

struct ArchiveHead {
  Index index;
  std::string manifest_bytes;
  Manifest manifest;
};

Result<ArchiveHead> read_head(ArchiveReader& reader) {
  ArchiveHead head;
  CORRAL_ASSIGN_OR_RETURN(auto first, reader.next(kMaxIndexBytes));
  if (!first) return Error("the archive is empty");
  if (first->name != kExportIndexMember)
    return Error::format("not a corral export: the first member is '{}', not '{}'", first->name, kExportIndexMember);
  CORRAL_ASSIGN_OR_RETURN(std::string index_text, reader.read_member(*first));
  CORRAL_ASSIGN_OR_RETURN(head.index, parse_index(index_text));

  CORRAL_ASSIGN_OR_RETURN(auto second, reader.next(head.index.manifest_size));
  if (!second || second->name != kExportManifestMember)
    return Error::format("the second member must be '{}'", kExportManifestMember);
  if (second->size != head.index.manifest_size)
    return Error::format("{} is {} bytes, the index says {}", kExportManifestMember, second->size,
                         head.index.manifest_size);
  CORRAL_ASSIGN_OR_RETURN(head.manifest_bytes, reader.read_member(*second));
  std::string digest = digest_of(head.manifest_bytes);
  if (digest != head.index.manifest_digest)
    return Error::format("{} hashes to {}, the index says {}: the archive is damaged", kExportManifestMember, digest,
                         head.index.manifest_digest);
  CORRAL_ASSIGN_OR_RETURN(head.manifest, parse_manifest(head.manifest_bytes, kExportManifestMember));
  CORRAL_TRY(check_manifest_matches_index(head.manifest, head.index));
  return head;
}

// Blob members, each checked against the index as it streams into a temporary file in blobs/.
// Nothing is renamed here: the writers are returned for the caller to commit.
Result<std::vector<AtomicFileWriter>> read_blobs(ArchiveReader& reader, const Store& store, const Index& index,
                                                 ImportSummary& summary, const ArchiveStatusFn& status) {
  std::map<std::string, const BlobRef*> wanted;
  for (const auto& b : index.blobs) wanted[b.digest] = &b;
  uint64_t max_size = 0;
  for (const auto& b : index.blobs) max_size = std::max(max_size, static_cast<uint64_t>(b.size));
  std::vector<AtomicFileWriter> pending;
  for (size_t i = 0; i < index.blobs.size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(auto entry, reader.next(max_size));
    if (!entry) return Error::format("the archive ends after {} of its {} blobs", i, index.blobs.size());
    std::string_view name = entry->name;
    if (!name.starts_with("blobs/") || !is_blob_file_name(name.substr(6)))
      return Error::format("unexpected member '{}' (want blobs/sha256-<hex>)", entry->name);
    std::string digest = "sha256:" + std::string(name.substr(13));
    auto it = wanted.find(digest);
    if (it == wanted.end()) return Error::format("member '{}' is not in the index, or appears twice", entry->name);
    const BlobRef& ref = *it->second;
    wanted.erase(it);
    if (entry->size != static_cast<uint64_t>(ref.size))
      return Error::format("member '{}' is {} bytes, the index says {}", entry->name, entry->size, ref.size);
    if (blob_present(store, digest, ref.size)) {
      if (status) status(fmt::format("using existing layer {}", digest));
      CORRAL_TRY(reader.skip(entry->size + tar_padding(entry->size), entry->name));
      ++summary.blobs_reused;
      continue;
    }
    if (status) status(fmt::format("importing layer {} ({} bytes)", digest, ref.size));
    CORRAL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::create(store.blob_path(digest)));
    CORRAL_ASSIGN_OR_RETURN(std::string got, reader.copy_hashed(entry->size, writer, entry->name));
    if (got != digest) return Error::format("member '{}' hashes to {}: the archive is damaged", entry->name, got);
    CORRAL_TRY(reader.skip(tar_padding(entry->size), entry->name));
    summary.bytes_written += entry->size;
    ++summary.blobs_written;
    pending.push_back(std::move(writer));
  }
  return pending;
}

}  // namespace

Result<ExportSummary> export_model(const Store& store, const ModelName& model, const fs::path& out,
                                   const ArchiveStatusFn& status) {
  auto found = store.find(model);
  if (!found) return Error::format("model '{}' not found", model.display_shortest());
  fs::path manifest_path = store.manifests_dir() / found->manifest_relative_path();
  CORRAL_ASSIGN_OR_RETURN(std::string manifest_bytes, read_small_file(manifest_path, kMaxManifestBytes));
  CORRAL_ASSIGN_OR_RETURN(Manifest manifest, parse_manifest(manifest_bytes, manifest_path.string()));

  Index index;
  index.model = found->display_long();
  index.manifest_digest = digest_of(manifest_bytes);
  index.manifest_size = manifest_bytes.size();
  index.blobs = manifest_blobs(manifest);
  for (auto& b : index.blobs) {
    CORRAL_ASSIGN_OR_RETURN(b.digest, parse_digest(b.digest));
  }
  for (const auto& b : index.blobs)
    if (!blob_present(store, b.digest, b.size))
      return Error::format("{}: missing or the wrong size; the model cannot be exported (run `corral verify`)",
                           store.blob_path(b.digest).string());

  std::error_code ec;
  auto mtime = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::file_clock::to_sys(fs::last_write_time(manifest_path, ec)).time_since_epoch())
                   .count();
  CORRAL_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::create(out));
  ArchiveWriter writer(std::move(file));
  CORRAL_TRY(writer.small_member(std::string(kExportIndexMember), index_json(index), mtime));
  CORRAL_TRY(writer.small_member(std::string(kExportManifestMember), manifest_bytes, mtime));
  for (const auto& b : index.blobs) {
    if (status) status(fmt::format("writing {} ({} bytes)", b.digest, b.size));
    CORRAL_TRY(writer.blob_member(store.blob_path(b.digest), b, mtime));
  }
  CORRAL_ASSIGN_OR_RETURN(uint64_t bytes, writer.finish());
  return ExportSummary{index.model, index.manifest_digest, index.blobs.size(), bytes};
}

Result<ImportSummary> import_model(const Store& store, const fs::path& archive, const std::optional<ModelName>& name,
                                   const ArchiveStatusFn& status) {
  const std::string where = archive.string();
  auto reader = ArchiveReader::open(archive);
  if (!reader.ok()) return std::move(reader).error().with_context(where);
  auto head = read_head(*reader);
  if (!head.ok()) return std::move(head).error().with_context(where);

  ImportSummary summary;
  if (name) {
    summary.name = *name;
  } else {
    auto recorded = ModelName::parse(head->index.model);
    if (!recorded.ok()) return std::move(recorded).error().with_context(where + ": the recorded model name");
    summary.name = std::move(*recorded);
  }
  summary.manifest_digest = head->index.manifest_digest;

  CORRAL_TRY(store.ensure_dirs());
  CORRAL_ASSIGN_OR_RETURN(StoreLock lock, StoreLock::acquire(store));
  auto pending = read_blobs(*reader, store, head->index, summary, status);
  if (!pending.ok()) return std::move(pending).error().with_context(where);

  // Everything checked: make the blobs visible, then the manifest.
  for (auto& w : *pending) CORRAL_TRY(w.commit());
  fs::path manifest_path = store.manifest_path(summary.name);
  std::vector<std::string> replaced;
  if (auto old = read_manifest(manifest_path); old.ok()) {
    std::set<std::string> keep;
    for (const auto& b : manifest_blobs(head->manifest)) keep.insert(b.digest);
    for (const auto& b : manifest_blobs(old->manifest))
      if (!keep.count(b.digest)) replaced.push_back(b.digest);
  }
  std::error_code ec;
  fs::create_directories(manifest_path.parent_path(), ec);
  if (ec) return Error::format("{}: cannot create directory: {}", manifest_path.parent_path().string(), ec.message());
  if (status) status("writing manifest");
  CORRAL_TRY(write_file_atomic(manifest_path, head->manifest_bytes));
  if (!replaced.empty()) {
    auto removed = remove_unreferenced(store, replaced);
    if (!removed.ok()) LOG_WARN("import: old layers not removed: {}", removed.error().to_string());
  }
  return summary;
}

}  // namespace corral::store
