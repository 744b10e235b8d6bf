// describe_non_gguf: each common wrong download is named for what it is.
#include "store/sniff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gguf/writer.h"
#include "testing/testing.h"

namespace corral::store {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::filesystem::path write(const testing::TempDir& dir, const std::string& name, const std::string& bytes) {
  auto path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string tiny_gguf() {
  GgufWriter w;
  w.set("general.architecture", "llama");
  std::vector<std::byte> data(64 * 4, std::byte{1});
  EXPECT_TRUE(w.add_tensor("norm.weight", GgmlType::kF32, {64}, std::move(data)).ok());
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok());
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

TEST(Sniff, Safetensors) {
  testing::TempDir dir;
  std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string bytes(8, '\0');
  bytes[0] = static_cast<char>(header.size());
  bytes += header + std::string(4, '\0');
  EXPECT_THAT(describe_non_gguf(write(dir, "model.safetensors", bytes)),
              StartsWith(fmt::format("a safetensors file ({}-byte JSON header), not GGUF", header.size())));
  // A length that points past the end is not taken for safetensors.
  bytes[5] = 1;
  EXPECT_THAT(describe_non_gguf(write(dir, "fake.safetensors", bytes)), StartsWith("not a GGUF file"));
}

TEST(Sniff, PytorchZipAndPickle) {
  testing::TempDir dir;
  EXPECT_THAT(describe_non_gguf(write(dir, "pytorch_model.bin", std::string("PK\x03\x04", 4) + "archive/data.pkl")),
              AllOf(StartsWith("a ZIP archive"), HasSubstr("pytorch_model.bin")));
  EXPECT_THAT(describe_non_gguf(write(dir, "old.pth", std::string("\x80\x02\x8a\x0a", 4) + "restofpickle")),
              StartsWith("a Python pickle"));
}

TEST(Sniff, GitLfsPointer) {
  testing::TempDir dir;
  std::string pointer =
      "version https://git-lfs.github.com/spec/v1\n"
      "oid sha256:4665d4a1e2a7cd07d4bb2a4b2a53e1c4a3e0d8c5b0e7e6f5a4b3c2d1e0f9a8b7\n"
      "size 4920734272\n";
  std::string d = describe_non_gguf(write(dir, "model.gguf", pointer));
  EXPECT_THAT(d, StartsWith(fmt::format("a Git LFS pointer ({} bytes of text)", pointer.size())));
  EXPECT_THAT(d, HasSubstr("never downloaded"));
  EXPECT_THAT(d, HasSubstr("oid sha256:4665d4a1e2a7cd07d4bb2a4b2a53e1c4a3e0d8c5b0e7e6f5a4b3c2d1e0f9a8b7"));
  EXPECT_THAT(d, HasSubstr("size 4920734272 bytes"));
}

TEST(Sniff, HtmlPage) {
  testing::TempDir dir;
  for (std::string page : {std::string("<!DOCTYPE html>\n<html><body>Sign in</body></html>"),
                           std::string("\xEF\xBB\xBF\n  <html lang=\"en\">"), std::string("<!doctype HTML><p>")}) {
    EXPECT_THAT(describe_non_gguf(write(dir, "model.gguf", page)), StartsWith("an HTML web page, not a model")) << page;
  }
}

TEST(Sniff, EmptyShortAndUnknown) {
  testing::TempDir dir;
  EXPECT_EQ(describe_non_gguf(write(dir, "empty.gguf", "")), "an empty file (0 bytes)");
  EXPECT_EQ(describe_non_gguf(write(dir, "short", "ab")), "only 2 bytes, too short for any model file: 61 62 |ab|");
  EXPECT_EQ(describe_non_gguf(write(dir, "junk", std::string("\0\x01\x02hello world, 0123456789", 25))),
            "not a GGUF file (no \"GGUF\" magic); it starts with 00 01 02 68 65 6c 6c 6f 20 77 6f 72 6c 64 2c 20 "
            "|...hello world, |");
  EXPECT_EQ(describe_non_gguf(dir.path()), "a directory, not a file");
  EXPECT_THAT(describe_non_gguf(dir / "absent"), StartsWith("unreadable ("));
  EXPECT_THAT(describe_non_gguf(write(dir, "old.bin", "tjgg\x03\x00\x00\x00 and more")),
              StartsWith("a legacy GGML/GGJT"));
}

TEST(Sniff, TruncatedGgufGivesTheReadersError) {
  testing::TempDir dir;
  std::string full = tiny_gguf();
  EXPECT_EQ(describe_non_gguf(write(dir, "ok.gguf", full)), "a valid GGUF file");
  std::string d = describe_non_gguf(write(dir, "cut.gguf", full.substr(0, full.size() - 100)));
  EXPECT_THAT(d, StartsWith("a truncated or damaged GGUF file ("));
  EXPECT_THAT(d, HasSubstr("cut.gguf"));  // the reader's error names the file
  EXPECT_THAT(describe_non_gguf(write(dir, "head.gguf", full.substr(0, 10))),
              StartsWith("a truncated or damaged GGUF file ("));
}

}  // namespace
}  // namespace corral::store
