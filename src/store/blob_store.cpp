// Blob and manifest writes: temp file, hash while writing, fsync, rename, fsync the directory.
#include "store/blob_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <vector>

#include "base/atomic_file.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/sys_error.h"

namespace corral::store {
namespace fs = std::filesystem;
namespace {

constexpr size_t kCopyChunk = 4 << 20;

// A temporary file in blobs/, removed unless released.
class TempBlob {
 public:
  static Result<TempBlob> create(const Store& store) {
    std::string pattern = (store.blobs_dir() / (std::string(kTempPrefix) + "XXXXXX")).string();
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) return Error::format("{}: cannot create temporary file: {}", pattern, errno_text(errno));
    ::fchmod(fd, 0644);
    return TempBlob(pattern, UniqueFd(fd));
  }
  // A name for a hard link; nothing is created yet.
  static TempBlob reserve_name(const Store& store, const std::string& tag) {
    return TempBlob((store.blobs_dir() / (std::string(kTempPrefix) + "link-" + tag)).string(), UniqueFd());
  }
  TempBlob(TempBlob&& o) noexcept : path_(std::exchange(o.path_, {})), fd_(std::move(o.fd_)) {}
  TempBlob& operator=(TempBlob&&) = delete;
  ~TempBlob() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  void set_fd(UniqueFd fd) { fd_ = std::move(fd); }

  Status write(const std::byte* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_.get(), p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return Error::format("{}: write failed: {}", path_, errno_text(errno));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return {};
  }

  // fsync, then rename to the blob's final name unless a complete blob is already there.
  Result<BlobInfo> finish(const Store& store, const std::string& digest, int64_t size) {
    if (::fsync(fd_.get()) != 0) return Error::format("{}: fsync failed: {}", path_, errno_text(errno));
    fd_.reset();
    BlobInfo info{digest, size, blob_present(store, digest, size)};
    if (info.existed) return info;  // the destructor removes the temporary file
    fs::path final_path = store.blob_path(digest);
    if (::rename(path_.c_str(), final_path.c_str()) != 0)
      return Error::format("{}: rename failed: {}", final_path.string(), errno_text(errno));
    path_.clear();
    CORRAL_TRY(fsync_directory(store.blobs_dir()));
    return info;
  }

 private:
  TempBlob(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

Result<std::string> hash_fd(int fd, const std::string& what, uint64_t total, const ProgressFn& progress) {
  Sha256 sha;
  std::vector<std::byte> buf(kCopyChunk);
  uint64_t done = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::format("{}: read failed: {}", what, errno_text(errno));
    }
    if (n == 0) break;
    sha.update(std::span(buf.data(), static_cast<size_t>(n)));
    done += static_cast<uint64_t>(n);
    if (progress) progress(done, total);
  }
  return "sha256:" + Sha256::hex(sha.finish());
}

}  // namespace

Result<StoreLock> StoreLock::acquire(const Store& store) {
  CORRAL_TRY(store.ensure_dirs());
  UniqueFd fd(::open(store.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return Error::format("{}: cannot open lock file: {}", store.lock_path().string(), errno_text(errno));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR)
      return Error::format("{}: cannot lock the store: {}", store.lock_path().string(), errno_text(errno));
  }
  return StoreLock(std::move(fd));
}

bool blob_present(const Store& store, std::string_view digest, int64_t size) {
  struct stat st {};
  if (::stat(store.blob_path(digest).c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && st.st_size == size;
}

Result<BlobInfo> write_blob(const Store& store, std::string_view bytes) {
  CORRAL_TRY(store.ensure_dirs());
  std::string digest = "sha256:" + Sha256::hex_of(std::as_bytes(std::span(bytes.data(), bytes.size())));
  auto size = static_cast<int64_t>(bytes.size());
  if (blob_present(store, digest, size)) return BlobInfo{digest, size, true};
  CORRAL_ASSIGN_OR_RETURN(TempBlob temp, TempBlob::create(store));
  CORRAL_TRY(temp.write(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
  return temp.finish(store, digest, size);
}

struct BlobWriter::Impl {
  Store store;
  TempBlob temp;
  Sha256 sha;
  uint64_t size = 0;
};

BlobWriter::BlobWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() = default;

Result<BlobWriter> BlobWriter::create(const Store& store) {
  CORRAL_TRY(store.ensure_dirs());
  CORRAL_ASSIGN_OR_RETURN(TempBlob temp, TempBlob::create(store));
  return BlobWriter(std::make_unique<Impl>(store, std::move(temp), Sha256(), 0));
}

Status BlobWriter::write(std::string_view chunk) {
  auto bytes = std::as_bytes(std::span(chunk.data(), chunk.size()));
  impl_->sha.update(bytes);
  impl_->size += chunk.size();
  return impl_->temp.write(bytes.data(), bytes.size());
}

uint64_t BlobWriter::size() const {
  return impl_->size;
}

std::string BlobWriter::finish_digest() {
  return "sha256:" + Sha256::hex(impl_->sha.finish());
}

Result<BlobInfo> BlobWriter::commit(const std::string& digest) {
  return impl_->temp.finish(impl_->store, digest, static_cast<int64_t>(impl_->size));
}

Result<BlobInfo> add_blob_from_file(const Store& store, const fs::path& source, const AddFileOptions& options) {
  CORRAL_TRY(store.ensure_dirs());
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return Error::format("{}: cannot open: {}", source.string(), errno_text(errno));
  struct stat src {
  }, blobs{};
  if (::fstat(in.get(), &src) != 0 || !S_ISREG(src.st_mode))
    return Error::format("{}: not a regular file", source.string());
  auto total = static_cast<uint64_t>(src.st_size);

  if (options.allow_hardlink && ::stat(store.blobs_dir().c_str(), &blobs) == 0 && blobs.st_dev == src.st_dev) {
    // Link first, then hash what the link points at, so the digest describes the stored bytes.
    TempBlob temp = TempBlob::reserve_name(store, std::to_string(::getpid()) + "-" + std::to_string(src.st_ino));
    ::unlink(temp.path().c_str());
    if (::link(source.c_str(), temp.path().c_str()) == 0) {
      UniqueFd fd(::open(temp.path().c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return Error::format("{}: cannot open: {}", temp.path(), errno_text(errno));
      CORRAL_ASSIGN_OR_RETURN(std::string digest, hash_fd(fd.get(), source.string(), total, options.progress));
      temp.set_fd(std::move(fd));
      return temp.finish(store, digest, static_cast<int64_t>(total));
    }
    LOG_DEBUG("hard link {} failed ({}); copying", source.string(), errno_text(errno));
  }

  CORRAL_ASSIGN_OR_RETURN(TempBlob temp, TempBlob::create(store));
  Sha256 sha;
  std::vector<std::byte> buf(kCopyChunk);
  uint64_t done = 0;
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::format("{}: read failed: {}", source.string(), errno_text(errno));
    }
    if (n == 0) break;
    auto chunk = std::span(buf.data(), static_cast<size_t>(n));
    sha.update(chunk);
    CORRAL_TRY(temp.write(chunk.data(), chunk.size()));
    done += chunk.size();
    if (options.progress) options.progress(done, total);
  }
  return temp.finish(store, "sha256:" + Sha256::hex(sha.finish()), static_cast<int64_t>(done));
}

Result<fs::path> write_manifest(const Store& store, const ModelName& name, const Manifest& manifest) {
  for (const Layer* l : [&] {
         std::vector<const Layer*> all{&manifest.config};
         for (const auto& layer : manifest.layers) all.push_back(&layer);
         return all;
       }()) {
    if (!blob_present(store, l->digest, l->size))
      return Error::format("cannot write manifest for {}: blob {} ({} bytes) is missing or incomplete",
                           name.display_shortest(), l->digest, l->size);
  }
  fs::path path = store.manifest_path(name);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Error::format("{}: cannot create directory: {}", path.parent_path().string(), ec.message());
  CORRAL_TRY(write_file_atomic(path, serialize_manifest(manifest)));
  return path;
}

Result<std::vector<std::string>> remove_unreferenced(const Store& store, const std::vector<std::string>& candidates) {
  std::set<std::string> referenced;
  for (const auto& entry : store.list_manifests()) {
    auto m = read_manifest(entry.path);
    if (!m.ok()) {
      LOG_WARN("keeping blobs: {}", m.error().to_string());
      return std::vector<std::string>{};
    }
    for (auto& d : m->manifest.blob_digests()) referenced.insert(std::move(d));
  }
  std::vector<std::string> removed;
  for (const auto& d : candidates) {
    if (referenced.count(d) || std::find(removed.begin(), removed.end(), d) != removed.end()) continue;
    fs::path p = store.blob_path(d);
    if (::unlink(p.c_str()) == 0) {
      removed.push_back(d);
    } else if (errno != ENOENT) {
      return Error::format("{}: cannot remove: {}", p.string(), errno_text(errno));
    }
  }
  if (!removed.empty()) CORRAL_TRY(fsync_directory(store.blobs_dir()));
  return removed;
}

}  // namespace corral::store
