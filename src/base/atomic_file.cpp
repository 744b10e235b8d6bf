#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "base/sys_error.h"

namespace corral {

Result<AtomicFileWriter> AtomicFileWriter::create(const std::filesystem::path& target) {
  std::filesystem::path dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  // mkstemp gives a unique name, so concurrent writers of the same target never share a temp file.
  std::string pattern = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) return Error::format("{}: cannot create temporary file: {}", target.string(), errno_text(errno));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::fchmod(fd, 0644);
  return AtomicFileWriter(target, pattern, UniqueFd(fd));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_ && !temp_.empty() && fd_) {
    fd_.reset();
    ::unlink(temp_.c_str());
  }
}

Status AtomicFileWriter::write(std::span<const std::byte> data) {
  const std::byte* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd_.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::format("{}: write failed: {}", target_.string(), errno_text(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  return {};
}

Status AtomicFileWriter::commit() {
  if (::fsync(fd_.get()) != 0) return Error::format("{}: fsync failed: {}", target_.string(), errno_text(errno));
  if (::close(fd_.release()) != 0) return Error::format("{}: close failed: {}", target_.string(), errno_text(errno));
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_.c_str());
    committed_ = true;  // nothing left to clean up
    return Error::format("{}: rename failed: {}", target_.string(), errno_text(err));
  }
  committed_ = true;
  return fsync_directory(target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path());
}

Status write_file_atomic(const std::filesystem::path& target, std::span<const std::byte> data) {
  CORRAL_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::create(target));
  CORRAL_TRY(writer.write(data));
  return writer.commit();
}

Status fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::format("{}: cannot open directory: {}", dir.string(), errno_text(errno));
  if (::fsync(fd.get()) != 0) return Error::format("{}: fsync failed: {}", dir.string(), errno_text(errno));
  return {};
}

}  // namespace corral
