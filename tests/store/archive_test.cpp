// export/import: the round trip is byte-identical, and a damaged, truncated or mismatched archive
// leaves the target store exactly as it was.
#include "store/archive.h"

#include <sys/resource.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <random>

#include "store/tar.h"
#include "store/verify.h"
#include "store_builder.h"
#include "testing/testing.h"

namespace corral::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace testing_util;

// Every file under a directory (relative path -> bytes).
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = corral::testing::read_file(e.path());
  return out;
}

std::map<std::string, std::string> without_lock(std::map<std::string, std::string> files) {
  std::erase_if(files, [](const auto& kv) { return kv.first.find(".corral-lock") != std::string::npos; });
  return files;
}

struct ArchiveFixture {
  corral::testing::TempDir dir;
  Store src{dir.path() / "src"};
  Store dst{dir.path() / "dst"};
  fs::path archive = dir.path() / "model.tar";
  std::string gguf = tiny_gguf(3);
  fs::path manifest = put_model(
      src, "me/tiny:q8", gguf,
      {put_blob(src, kMediaTemplate, "{{ .Prompt }}"), put_blob(src, kMediaParams, "{\"temperature\":0.6}\n")});

  void do_export() {
    auto r = export_model(src, ModelName::parse("me/tiny:q8").value(), archive);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->blobs, 4u);
    EXPECT_EQ(r->model, "registry.ollama.ai/me/tiny:q8");
  }
};

TEST(Archive, RoundTripIsByteIdentical) {
  ArchiveFixture f;
  f.do_export();
  auto r = import_model(f.dst, f.archive);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->name.display_shortest(), "me/tiny:q8");
  EXPECT_EQ(r->blobs_written, 4u);
  EXPECT_EQ(without_lock(snapshot(f.dst.root())), without_lock(snapshot(f.src.root())));
  auto v = verify_store(f.dst);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << format_verify_report(*v);

  // Again under another name: nothing new to write, the manifest is the same bytes.
  auto again = import_model(f.dst, f.archive, ModelName::parse("copy").value());
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->blobs_written, 0u);
  EXPECT_EQ(again->blobs_reused, 4u);
  EXPECT_EQ(corral::testing::read_file(f.dst.manifest_path(ModelName::parse("copy").value())),
            corral::testing::read_file(f.manifest));
}

TEST(Archive, IsAPlainTarWithTheIndexFirst) {
  ArchiveFixture f;
  f.do_export();
  std::string bytes = corral::testing::read_file(f.archive);
  ASSERT_EQ(bytes.size() % kTarBlock, 0u);
  TarBlock block{};
  std::copy_n(bytes.data(), kTarBlock, block.data());
  auto first = decode_tar_header(block, 1 << 20);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->name, "corral-export.json");
  auto index = nlohmann::json::parse(bytes.substr(kTarBlock, first->size));
  EXPECT_EQ(index["format"], "corral-export");
  EXPECT_EQ(index["version"], 1);
  EXPECT_EQ(index["blobs"].size(), 4u);
  EXPECT_EQ(index["manifest"]["size"], fs::file_size(f.manifest));
  // The system tar lists the same members, when it is installed.
  if (std::system("tar --version >/dev/null 2>&1") == 0) {
    std::string cmd = "tar -tf '" + f.archive.string() + "' > '" + (f.dir / "list.txt").string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::string list = corral::testing::read_file(f.dir / "list.txt");
    EXPECT_THAT(list, ::testing::StartsWith("corral-export.json\nmanifest.json\nblobs/sha256-"));
  }
}

TEST(Archive, BigSizesUseBase256) {
  TarEntry big{"blobs/x", (uint64_t{1} << 33) + 5, 0};
  auto block = encode_tar_header(big);
  ASSERT_TRUE(block.ok());
  auto back = decode_tar_header(*block, uint64_t{1} << 40);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->size, big.size);
  EXPECT_FALSE(decode_tar_header(*block, 100).ok());  // bounded by what the index allows
}

// Each damaged archive is refused and the destination store is byte-for-byte unchanged.
TEST(Archive, DamagedArchivesLeaveTheStoreUnchanged) {
  ArchiveFixture f;
  f.do_export();
  // The destination already holds an unrelated model.
  put_model(f.dst, "other", tiny_gguf(9));
  auto before = without_lock(snapshot(f.dst.root()));
  std::string good = corral::testing::read_file(f.archive);
  size_t gguf_at = good.find("GGUF");
  ASSERT_NE(gguf_at, std::string::npos);

  struct Case {
    std::string what;
    std::string bytes;
    std::string error;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", "", "truncated"});
  cases.push_back({"cut in the index", good.substr(0, 700), "truncated"});
  cases.push_back({"cut in the model blob", good.substr(0, gguf_at + 100), "truncated"});
  cases.push_back({"cut before the end of the last blob", good.substr(0, good.size() - 3 * kTarBlock), "truncated"});
  std::string flipped = good;
  flipped[gguf_at + 200] ^= 0x01;
  cases.push_back({"a flipped bit in the model blob", flipped, "hashes to"});
  std::string bad_header = good;
  bad_header[10] ^= 0x01;  // inside the first member's name: checksum no longer matches
  cases.push_back({"a damaged header", bad_header, "checksum"});
  std::string bad_manifest = good;
  size_t m = good.find("\"schemaVersion\"");
  ASSERT_NE(m, std::string::npos);
  bad_manifest[m + 1] = 'S';
  cases.push_back({"a changed manifest", bad_manifest, "manifest.json hashes to"});
  cases.push_back({"not a tar", std::string(2048, 'x'), "checksum"});

  for (const auto& c : cases) {
    fs::path p = f.dir / "bad.tar";
    write_bytes(p, c.bytes);
    auto r = import_model(f.dst, p);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_THAT(r.error().to_string(), HasSubstr(c.error)) << c.what;
    EXPECT_THAT(r.error().to_string(), HasSubstr(p.string())) << c.what;
    EXPECT_EQ(without_lock(snapshot(f.dst.root())), before) << c.what;
  }
}

// Random damage (flipped bytes anywhere, or a cut at any length): an import either fails and
// changes nothing, or succeeds with exactly the exported model (the damage hit padding or
// informational text), never anything in between.
TEST(Archive, RandomDamageIsAllOrNothing) {
  ArchiveFixture f;
  f.do_export();
  const std::string good = corral::testing::read_file(f.archive);
  const std::string manifest = corral::testing::read_file(f.manifest);
  std::mt19937 rng(1234);
  int failures = 0;
  for (int i = 0; i < 60; ++i) {
    std::string bytes = good;
    if (i % 3 == 0) {
      bytes.resize(std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng));
    } else {
      int flips = std::uniform_int_distribution<int>(1, 4)(rng);
      for (int k = 0; k < flips; ++k)
        bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] ^=
            static_cast<char>(std::uniform_int_distribution<int>(1, 255)(rng));
    }
    corral::testing::TempDir dst_dir;
    Store dst(dst_dir.path() / "models");
    put_model(dst, "other", tiny_gguf(9));
    auto before = without_lock(snapshot(dst.root()));
    fs::path p = dst_dir / "damaged.tar";
    write_bytes(p, bytes);
    auto r = import_model(dst, p);
    if (!r.ok()) {
      ++failures;
      EXPECT_EQ(without_lock(snapshot(dst.root())), before) << "case " << i << ": " << r.error().to_string();
      continue;
    }
    EXPECT_EQ(corral::testing::read_file(dst.manifest_path(ModelName::parse("me/tiny:q8").value())), manifest)
        << "case " << i;
    auto v = verify_store(dst);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok()) << "case " << i << "\n" << format_verify_report(*v);
  }
  EXPECT_GT(failures, 40);  // most damage must be caught, not silently accepted
}

// A full disk, simulated with RLIMIT_FSIZE (writes past the limit fail with EFBIG): the import
// fails part-way through the model blob and the store is left as it was, with no temporary files.
TEST(Archive, FullDiskLeavesTheStoreUnchanged) {
  ArchiveFixture f;
  f.do_export();
  put_model(f.dst, "other", tiny_gguf(9));
  auto before = without_lock(snapshot(f.dst.root()));
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 1000;  // smaller than the model blob, larger than the small layers
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto r = import_model(f.dst, f.archive);
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().to_string(), HasSubstr("write failed"));
  EXPECT_EQ(without_lock(snapshot(f.dst.root())), before);
}

TEST(Archive, ExportRefusesADamagedModelAndLeavesNoFile) {
  ArchiveFixture f;
  fs::path blob = f.src.blob_path(read_manifest(f.manifest)->manifest.layers[0].digest);
  std::string bytes = corral::testing::read_file(blob);
  bytes[bytes.size() - 1] ^= 0x01;  // same size, different content
  write_bytes(blob, bytes);
  auto r = export_model(f.src, ModelName::parse("me/tiny:q8").value(), f.archive);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().to_string(), HasSubstr("damaged"));
  EXPECT_THAT(r.error().to_string(), HasSubstr(blob.string()));
  EXPECT_FALSE(fs::exists(f.archive));
  for (const auto& e : fs::directory_iterator(f.dir.path()))
    EXPECT_FALSE(e.path().filename().string().starts_with(".model.tar")) << e.path();
  fs::remove(blob);
  EXPECT_FALSE(export_model(f.src, ModelName::parse("me/tiny:q8").value(), f.archive).ok());
  EXPECT_FALSE(export_model(f.src, ModelName::parse("nope").value(), f.archive).ok());
}

TEST(Archive, ImportReplacesAModelAndDropsItsOldLayers) {
  ArchiveFixture f;
  f.do_export();
  put_model(f.dst, "me/tiny:q8", tiny_gguf(7));
  auto old = read_manifest(f.dst.manifest_path(ModelName::parse("me/tiny:q8").value()));
  ASSERT_TRUE(old.ok());
  fs::path old_blob = f.dst.blob_path(old->manifest.layers[0].digest);
  ASSERT_TRUE(fs::exists(old_blob));
  auto r = import_model(f.dst, f.archive);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(fs::exists(old_blob));
  EXPECT_EQ(corral::testing::read_file(f.dst.manifest_path(ModelName::parse("me/tiny:q8").value())),
            corral::testing::read_file(f.manifest));
}

}  // namespace
}  // namespace corral::store
