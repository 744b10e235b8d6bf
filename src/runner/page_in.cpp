// See page_in.h.
#include "runner/page_in.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace corral::runner {
namespace {

constexpr uint64_t kReportBytes = 8u << 20;  // a progress call per 8 MiB

uintptr_t page_size() {
  const long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<uintptr_t>(p) : 4096;
}

}  // namespace

void page_in(const GgufFile& file, const std::function<void(double)>& progress) {
  const uintptr_t page = page_size();
  uint64_t total = 0;
  for (const GgufTensor& t : file.tensors()) total += t.data.size();
  // Read-ahead of the whole data range (a hint: failures change nothing but speed).
  if (!file.tensors().empty()) {
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (const GgufTensor& t : file.tensors()) {
      lo = std::min(lo, reinterpret_cast<uintptr_t>(t.data.data()));
      hi = std::max(hi, reinterpret_cast<uintptr_t>(t.data.data() + t.data.size()));
    }
    lo &= ~(page - 1);
    if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_WILLNEED);
  }
  uint64_t done = 0, reported = 0;
  unsigned char sink = 0;
  for (const GgufTensor& t : file.tensors()) {
    const auto* bytes = reinterpret_cast<const volatile unsigned char*>(t.data.data());
    for (size_t off = 0; off < t.data.size(); off += page) sink ^= bytes[off];
    if (!t.data.empty()) sink ^= bytes[t.data.size() - 1];  // the last page, when the start is not aligned
    done += t.data.size();
    if (progress && done - reported >= kReportBytes) {
      reported = done;
      progress(static_cast<double>(done) / static_cast<double>(total));
    }
  }
  (void)sink;
  if (progress) progress(1.0);
}

}  // namespace corral::runner
