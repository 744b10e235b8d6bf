// libFuzzer target for the GGUF reader. Any input must parse or fail cleanly; a file that parses
// must survive write -> read -> write with identical bytes (the writer and reader agree).
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/check.h"
#include "gguf/file.h"
#include "gguf/model_info.h"
#include "gguf/writer.h"

namespace {

corral::Result<std::vector<std::byte>> rewrite(const corral::GgufFile& file) {
  corral::GgufWriter w;
  for (const auto& [key, value] : file.metadata().entries()) w.set(key, value);
  for (const auto& t : file.tensors()) CORRAL_TRY(w.add_tensor(t.name, t.type, t.shape(), t.data));
  return w.serialize();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  auto file = corral::GgufFile::parse(bytes, "fuzz.gguf");
  if (!file.ok()) return 0;
  (void)corral::summarize_model(*file);
  uint64_t touched = 0;
  for (const auto& t : file->tensors())
    if (!t.data.empty()) touched += static_cast<uint8_t>(t.data.front()) + static_cast<uint8_t>(t.data.back());
  (void)touched;

  auto first = rewrite(*file);
  // general.alignment is validated the same way by both sides, so a parsed file is always writable.
  CORRAL_CHECK(first.ok(), "reader accepted what the writer rejects: {}", first.error().to_string());
  auto reparsed = corral::GgufFile::parse(*first, "rewritten.gguf");
  CORRAL_CHECK(reparsed.ok(), "rewritten file does not parse: {}", reparsed.error().to_string());
  auto second = rewrite(*reparsed);
  CORRAL_CHECK(second.ok() && *second == *first, "write -> read -> write is not stable");
  return 0;
}
