// verify_store and quick_check on hand-built stores: healthy, blob missing, blob cut short,
// manifest garbage, a corrupt file under a final blob name.
#include "store/verify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "store_builder.h"
#include "testing/testing.h"

namespace corral::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing_util;

struct Fixture {
  corral::testing::TempDir dir;
  Store store{dir.path() / "models"};
  std::string gguf = tiny_gguf();
  Layer system = put_blob(store, kMediaSystem, "You are terse.");
  fs::path a = put_model(store, "alpha", gguf, {system});
  fs::path b = put_model(store, "beta:7b", gguf);  // shares the model blob with alpha
  fs::path model_blob = store.blob_path("sha256:" + Sha256::hex_of(std::as_bytes(std::span(gguf.data(), gguf.size()))));
};

VerifyReport verify(const Store& store, VerifyOptions options = {}) {
  auto r = verify_store(store, options);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r).value() : VerifyReport{};
}

const ModelReport& model(const VerifyReport& r, const std::string& name) {
  for (const auto& m : r.models)
    if (m.name == name) return m;
  ADD_FAILURE() << "no model " << name;
  static ModelReport none;
  return none;
}

TEST(Verify, HealthyStore) {
  Fixture f;
  VerifyReport r = verify(f.store);
  EXPECT_TRUE(r.ok()) << format_verify_report(r);
  ASSERT_EQ(r.models.size(), 2u);
  EXPECT_EQ(r.blobs_checked, 4u);  // shared model blob, system, two configs
  EXPECT_THAT(format_verify_report(r), HasSubstr("alpha:latest: OK\nbeta:7b: OK\n"));
  EXPECT_TRUE(quick_check(f.store, read_manifest(f.a)->manifest).ok);
}

TEST(Verify, MissingBlobNamesTheFileAndEveryModelUsingIt) {
  Fixture f;
  fs::remove(f.model_blob);
  VerifyReport r = verify(f.store);
  EXPECT_FALSE(r.ok());
  for (const char* name : {"alpha:latest", "beta:7b"}) {
    const ModelReport& m = model(r, name);
    ASSERT_EQ(m.problems.size(), 1u) << name;
    EXPECT_EQ(m.problems[0].kind, ProblemKind::kMissingBlob);
    EXPECT_EQ(m.problems[0].file, f.model_blob);
    EXPECT_THAT(m.problems[0].models, ElementsAre("alpha:latest", "beta:7b"));
  }
  std::string text = format_verify_report(r);
  EXPECT_THAT(text, HasSubstr(f.model_blob.string() + ": missing (model layer, " + std::to_string(f.gguf.size()) +
                              " bytes) (also used by beta:7b)"));
  ModelHealth h = quick_check(f.store, read_manifest(f.b)->manifest);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.problem, "missing blob " + f.model_blob.filename().string());
  // Only beta: alpha's own blobs are not looked at, and the orphan scan is off.
  VerifyOptions only;
  only.only = ModelName::parse("BETA:7B").value();
  VerifyReport rb = verify(f.store, only);
  ASSERT_EQ(rb.models.size(), 1u);
  EXPECT_EQ(rb.models[0].name, "beta:7b");
  EXPECT_EQ(rb.models[0].problems.size(), 1u);
}

TEST(Verify, TruncatedModelBlobIsADigestMismatchAndATruncatedGguf) {
  Fixture f;
  fs::resize_file(f.model_blob, f.gguf.size() - 64);
  VerifyReport r = verify(f.store);
  const ModelReport& m = model(r, "alpha:latest");
  ASSERT_EQ(m.problems.size(), 2u) << format_verify_report(r);
  EXPECT_EQ(m.problems[0].kind, ProblemKind::kDigestMismatch);
  EXPECT_EQ(m.problems[0].file, f.model_blob);
  EXPECT_THAT(m.problems[0].detail,
              HasSubstr(fmt::format("{} bytes, the manifest says {}", f.gguf.size() - 64, f.gguf.size())));
  EXPECT_EQ(m.problems[1].kind, ProblemKind::kBadGguf);
  EXPECT_THAT(m.problems[1].detail, HasSubstr("truncated or damaged GGUF"));
  EXPECT_THAT(m.problems[1].detail, ::testing::Not(HasSubstr(f.model_blob.string())));  // named once, up front
  EXPECT_FALSE(quick_check(f.store, read_manifest(f.a)->manifest).ok);
}

TEST(Verify, SameSizeCorruptionIsCaughtByTheHashOnly) {
  Fixture f;
  std::string bad = "You are TERSE.";  // same length as the system blob
  fs::path system_blob = f.store.blob_path(f.system.digest);
  write_bytes(system_blob, bad);
  EXPECT_TRUE(quick_check(f.store, read_manifest(f.a)->manifest).ok);  // size only
  VerifyReport r = verify(f.store);
  const ModelReport& m = model(r, "alpha:latest");
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].kind, ProblemKind::kDigestMismatch);
  EXPECT_EQ(m.problems[0].file, system_blob);
  EXPECT_THAT(m.problems[0].detail, HasSubstr("system layer"));
  EXPECT_TRUE(model(r, "beta:7b").ok());
}

TEST(Verify, UnparsableManifestIsNamed) {
  Fixture f;
  write_bytes(f.b, "{\"schemaVersion\":2,");
  VerifyReport r = verify(f.store);
  const ModelReport& m = model(r, "beta:7b");
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].kind, ProblemKind::kManifestUnparsable);
  EXPECT_EQ(m.problems[0].file, f.b);
  EXPECT_THAT(m.problems[0].detail, HasSubstr("manifest does not parse: "));
  EXPECT_THAT(m.problems[0].detail, ::testing::Not(HasSubstr(f.b.string())));
  EXPECT_TRUE(model(r, "alpha:latest").ok());
  EXPECT_THAT(format_verify_report(r), HasSubstr("2 models checked, 1 broken"));
}

TEST(Verify, NotGgufModelLayerIsDescribed) {
  corral::testing::TempDir dir;
  Store store(dir.path() / "models");
  put_model(store, "lfs", "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
  VerifyReport r = verify(store);
  const ModelReport& m = model(r, "lfs:latest");
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_EQ(m.problems[0].kind, ProblemKind::kBadGguf);
  EXPECT_THAT(m.problems[0].detail, HasSubstr("a Git LFS pointer"));
}

TEST(Verify, CorruptUnreferencedBlobUnderAFinalName) {
  Fixture f;
  std::string name = "sha256-" + std::string(64, 'e');
  write_bytes(f.store.blobs_dir() / name, "partial");
  write_bytes(f.store.blobs_dir() / ".corral-tmp-123", "in progress");  // not a final name: ignored
  VerifyReport r = verify(f.store);
  EXPECT_TRUE(model(r, "alpha:latest").ok());
  ASSERT_EQ(r.store_problems.size(), 1u);
  EXPECT_EQ(r.store_problems[0].kind, ProblemKind::kCorruptOrphan);
  EXPECT_EQ(r.store_problems[0].file, f.store.blobs_dir() / name);
  EXPECT_FALSE(r.ok());
}

TEST(Verify, Errors) {
  corral::testing::TempDir dir;
  EXPECT_FALSE(verify_store(Store(dir.path() / "absent")).ok());
  Fixture f;
  VerifyOptions only;
  only.only = ModelName::parse("gamma").value();
  auto r = verify_store(f.store, only);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string(), "model 'gamma:latest' not found");
}

}  // namespace
}  // namespace corral::store
