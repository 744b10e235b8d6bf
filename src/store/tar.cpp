// ustar header encoding and strict decoding. Layout (offsets in the 512-byte block): name 0..100,
// mode 100, uid 108, gid 116, size 124 (12), mtime 136 (12), checksum 148 (8), typeflag 156,
// linkname 157, magic 257 ("ustar\0"), version 263 ("00"), uname 265, gname 297, prefix 345.
#include "store/tar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace corral::store {
namespace {

constexpr size_t kNameLen = 100;
constexpr size_t kSizeOff = 124, kSizeLen = 12;
constexpr size_t kMtimeOff = 136, kMtimeLen = 12;
constexpr size_t kSumOff = 148, kSumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257;
constexpr size_t kPrefixOff = 345;
constexpr uint64_t kMaxOctal11 = (uint64_t{1} << 33) - 1;  // 11 octal digits

void put_octal(TarBlock& b, size_t off, size_t len, uint64_t value) {
  std::string digits = fmt::format("{:0{}o}", value, len - 1);
  std::memcpy(b.data() + off, digits.data(), len - 1);
  b[off + len - 1] = '\0';
}

// GNU base-256: high bit of the first byte set, then the value big-endian.
void put_base256(TarBlock& b, size_t off, size_t len, uint64_t value) {
  for (size_t i = 0; i < len; ++i) b[off + i] = 0;
  for (size_t i = 0; i < 8; ++i) b[off + len - 1 - i] = static_cast<char>((value >> (8 * i)) & 0xff);
  b[off] = static_cast<char>(static_cast<unsigned char>(b[off]) | 0x80);
}

unsigned checksum(const TarBlock& b) {
  unsigned sum = 0;
  for (size_t i = 0; i < kTarBlock; ++i)
    sum += (i >= kSumOff && i < kSumOff + kSumLen) ? ' ' : static_cast<unsigned char>(b[i]);
  return sum;
}

// An octal field: optional leading spaces, digits, then NULs or spaces to the end.
Result<uint64_t> get_octal(const TarBlock& b, size_t off, size_t len, std::string_view what) {
  size_t i = off, end = off + len;
  while (i < end && b[i] == ' ') ++i;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < end && b[i] >= '0' && b[i] <= '7'; ++i, ++digits) {
    if (v > (UINT64_MAX >> 3)) return Error::format("tar header: {} field overflows", what);
    v = (v << 3) | static_cast<uint64_t>(b[i] - '0');
  }
  for (; i < end; ++i)
    if (b[i] != '\0' && b[i] != ' ') return Error::format("tar header: {} field is not an octal number", what);
  if (digits == 0) return Error::format("tar header: {} field is empty", what);
  return v;
}

Result<uint64_t> get_number(const TarBlock& b, size_t off, size_t len, std::string_view what) {
  auto first = static_cast<unsigned char>(b[off]);
  if (!(first & 0x80)) return get_octal(b, off, len, what);
  if (first != 0x80) return Error::format("tar header: negative or oversized base-256 {}", what);
  uint64_t v = 0;
  for (size_t i = 1; i < len; ++i) {
    if (v > (UINT64_MAX >> 8)) return Error::format("tar header: {} field overflows", what);
    v = (v << 8) | static_cast<unsigned char>(b[off + i]);
  }
  return v;
}

}  // namespace

bool is_zero_block(const TarBlock& block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == 0; });
}

Result<TarBlock> encode_tar_header(const TarEntry& entry) {
  if (entry.name.empty() || entry.name.size() > kNameLen)
    return Error::format("tar member name '{}' must be 1 to {} bytes", entry.name, kNameLen);
  TarBlock b{};
  std::memcpy(b.data(), entry.name.data(), entry.name.size());
  put_octal(b, 100, 8, 0644);
  put_octal(b, 108, 8, 0);
  put_octal(b, 116, 8, 0);
  if (entry.size <= kMaxOctal11)
    put_octal(b, kSizeOff, kSizeLen, entry.size);
  else
    put_base256(b, kSizeOff, kSizeLen, entry.size);
  put_octal(b, kMtimeOff, kMtimeLen, static_cast<uint64_t>(std::clamp<int64_t>(entry.mtime, 0, kMaxOctal11)));
  b[kTypeOff] = '0';
  std::memcpy(b.data() + kMagicOff,
              "ustar\0"
              "00",
              8);
  std::string sum = fmt::format("{:06o}", checksum(b));
  std::memcpy(b.data() + kSumOff, sum.data(), 6);
  b[kSumOff + 6] = '\0';
  b[kSumOff + 7] = ' ';
  return b;
}

Result<TarEntry> decode_tar_header(const TarBlock& b, uint64_t max_size) {
  CORRAL_ASSIGN_OR_RETURN(uint64_t stored_sum, get_octal(b, kSumOff, kSumLen, "checksum"));
  if (stored_sum != checksum(b))
    return Error::format("tar header: checksum {} does not match the header ({}): the archive is damaged", stored_sum,
                         checksum(b));
  if (std::memcmp(b.data() + kMagicOff, "ustar", 5) != 0) return Error("tar header: not a ustar archive");
  if (b[kTypeOff] != '0' && b[kTypeOff] != '\0')
    return Error::format("tar header: member type '{}' is not a regular file", b[kTypeOff]);
  if (b[kPrefixOff] != '\0') return Error("tar header: long member names (prefix field) are not used by corral");
  TarEntry e;
  e.name.assign(b.data(), strnlen(b.data(), kNameLen));
  if (e.name.empty()) return Error("tar header: empty member name");
  CORRAL_ASSIGN_OR_RETURN(e.size, get_number(b, kSizeOff, kSizeLen, "size"));
  if (e.size > max_size)
    return Error::format("tar member '{}' is {} bytes, more than the {} expected", e.name, e.size, max_size);
  auto mtime = get_number(b, kMtimeOff, kMtimeLen, "mtime");
  e.mtime = mtime.ok() ? static_cast<int64_t>(std::min<uint64_t>(*mtime, INT64_MAX)) : 0;
  return e;
}

}  // namespace corral::store
