// POSIX ustar headers for the export archive, with GNU base-256 sizes for members of 8 GiB and
// more (GNU tar and bsdtar read both). Only what export/import need: regular files, no links.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace corral::store {

inline constexpr size_t kTarBlock = 512;
using TarBlock = std::array<char, kTarBlock>;

struct TarEntry {
  std::string name;  // at most 100 bytes (no prefix field used)
  uint64_t size = 0;
  int64_t mtime = 0;
};

// The header block of a regular file. `name` must be 1-100 bytes.
Result<TarBlock> encode_tar_header(const TarEntry& entry);

// Parses a header block: checksum, ustar magic, regular-file type, sizes in octal or base-256,
// at most `max_size` bytes of data. A block of zeros is not a header (end of archive): check
// is_zero_block() first.
Result<TarEntry> decode_tar_header(const TarBlock& block, uint64_t max_size);
bool is_zero_block(const TarBlock& block);

// Zero bytes that pad `size` bytes of data to a whole block.
inline size_t tar_padding(uint64_t size) {
  return static_cast<size_t>((kTarBlock - size % kTarBlock) % kTarBlock);
}

}  // namespace corral::store
