#include "base/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/check.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"

namespace corral {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  CORRAL_CHECK(impl_->ctx != nullptr && EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1);
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(std::span<const std::byte> data) {
  CORRAL_CHECK(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
}

Sha256::Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  CORRAL_CHECK(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1 && len == out.size());
  return out;
}

std::string Sha256::hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string Sha256::hex_of(std::span<const std::byte> data) {
  Sha256 h;
  h.update(data);
  return hex(h.finish());
}

Result<std::string> sha256_file_hex(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::format("{}: cannot open: {}", path.string(), errno_text(errno));
  Sha256 h;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::format("{}: read failed: {}", path.string(), errno_text(errno));
    }
    if (n == 0) break;
    h.update(std::span(buf.data(), static_cast<size_t>(n)));
  }
  return Sha256::hex(h.finish());
}

}  // namespace corral
