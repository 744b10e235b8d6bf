// Writing a file so that readers see either the old content or the complete new one, never a part:
// write to a temporary file in the same directory, fsync it, rename it over the target, fsync the
// directory. A writer destroyed without commit() removes its temporary file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace corral {

class AtomicFileWriter {
 public:
  static Result<AtomicFileWriter> create(const std::filesystem::path& target);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept = default;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept = default;
  ~AtomicFileWriter();

  Status write(std::span<const std::byte> data);
  Status write(std::string_view text) { return write(std::as_bytes(std::span(text.data(), text.size()))); }
  uint64_t bytes_written() const { return written_; }
  const std::filesystem::path& temp_path() const { return temp_; }

  // fsync, rename to the target, fsync the directory. The writer is finished afterwards.
  Status commit();

 private:
  AtomicFileWriter(std::filesystem::path target, std::filesystem::path temp, UniqueFd fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(std::move(fd)) {}

  std::filesystem::path target_;
  std::filesystem::path temp_;
  UniqueFd fd_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

Status write_file_atomic(const std::filesystem::path& target, std::span<const std::byte> data);
inline Status write_file_atomic(const std::filesystem::path& target, std::string_view text) {
  return write_file_atomic(target, std::as_bytes(std::span(text.data(), text.size())));
}

// fsync a directory so that a rename or creation inside it is durable.
Status fsync_directory(const std::filesystem::path& dir);

}  // namespace corral
