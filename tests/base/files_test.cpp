#include <gtest/gtest.h>

#include <filesystem>

#include "base/atomic_file.h"
#include "base/mapped_file.h"
#include "base/sha256.h"
#include "testing/testing.h"

namespace corral {
namespace {

using corral::testing::TempDir;

TEST(AtomicFile, WritesAndReplaces) {
  TempDir dir;
  auto path = dir / "manifest";
  ASSERT_TRUE(write_file_atomic(path, "first").ok());
  ASSERT_TRUE(write_file_atomic(path, "second version").ok());
  EXPECT_EQ(corral::testing::read_file(path), "second version");
  // No temporary file is left behind.
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
  EXPECT_EQ(n, 1u);
}

TEST(AtomicFile, AbandonedWriterLeavesNothing) {
  TempDir dir;
  auto path = dir / "blob";
  {
    auto w = AtomicFileWriter::create(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->write("partial").ok());
    EXPECT_TRUE(std::filesystem::exists(w->temp_path()));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AtomicFile, MissingDirectoryIsAnError) {
  TempDir dir;
  auto s = write_file_atomic(dir / "no" / "such" / "file", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("cannot create temporary file"), std::string::npos);
}

TEST(MappedFile, MapsContentAndEmptyFiles) {
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "a", "hello").ok());
  ASSERT_TRUE(write_file_atomic(dir / "empty", "").ok());
  auto a = MappedFile::open(dir / "a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(a->bytes().data()), 5), "hello");
  MappedFile moved = std::move(*a);
  EXPECT_EQ(moved.size(), 5u);
  auto e = MappedFile::open(dir / "empty");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 0u);
  auto missing = MappedFile::open(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("missing"), std::string::npos);
  EXPECT_FALSE(MappedFile::open(dir.path()).ok());  // a directory
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256::hex_of({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update("ab");
  h.update("c");
  EXPECT_EQ(Sha256::hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "f", "abc").ok());
  EXPECT_EQ(*sha256_file_hex(dir / "f"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace corral
