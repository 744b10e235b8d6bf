// SHA-256 (OpenSSL) for blob digests: incremental, so a large file is hashed while it is copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace corral {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  void update(std::span<const std::byte> data);
  void update(std::string_view text) { update(std::as_bytes(std::span(text.data(), text.size()))); }
  Digest finish();  // the object may not be updated afterwards

  static std::string hex(const Digest& digest);
  static std::string hex_of(std::span<const std::byte> data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hex SHA-256 of a whole file, read in chunks.
Result<std::string> sha256_file_hex(const std::filesystem::path& path);

}  // namespace corral
