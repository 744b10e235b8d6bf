// Moving a store between machines, end to end through the corral binary: a store built by
// `corral create`, copied to a new root, then damaged (a blob deleted, a blob cut short, blobs
// never copied) and moved with export/import. list, show and verify must say what happened.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "store/layout.h"
#include "store/manifest.h"
#include "store_builder.h"
#include "testing/testing.h"

namespace corral::store {
namespace {

namespace fs = std::filesystem;
using corral::testing::CommandResult;
using corral::testing::read_file;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing_util;

// Runs corral against the store at `root` (CORRAL_MODELS, which wins over OLLAMA_MODELS).
CommandResult corral_in(const fs::path& root, const std::string& args) {
  ::setenv("CORRAL_MODELS", root.c_str(), 1);
  CommandResult r = corral::testing::run_corral(args);
  ::unsetenv("CORRAL_MODELS");
  return r;
}

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

std::map<std::string, std::string> files_under(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().filename() != ".corral-lock")
      out[fs::relative(e.path(), root).string()] = read_file(e.path());
  return out;
}

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_bytes(dir_ / "src" / "m.gguf", tiny_gguf(5));
    write_bytes(dir_ / "src" / "Modelfile",
                "FROM ./m.gguf\n"
                "TEMPLATE \"\"\"{{ .System }}\n{{ .Prompt }}\"\"\"\n"
                "SYSTEM You are terse.\n"
                "PARAMETER temperature 0.6\n"
                "PARAMETER stop <|eot_id|>\n"
                "LICENSE MIT\n"
                "MESSAGE user hi\n");
    write_bytes(dir_ / "src" / "Child", "FROM mine\nSYSTEM You are verbose.\n");
    CommandResult a = corral_in(origin_, "create mine -f " + quoted(dir_ / "src" / "Modelfile"));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    CommandResult b = corral_in(origin_, "create me/child:v1 -f " + quoted(dir_ / "src" / "Child"));
    ASSERT_EQ(b.exit_code, 0) << b.err;
  }

  // A copy of the origin store under a new root, as `cp -r ~/.ollama/models` would make.
  fs::path copy_store(const std::string& name) {
    fs::path root = dir_ / name;
    fs::copy(origin_, root, fs::copy_options::recursive);
    return root;
  }

  Manifest manifest_of(const fs::path& root, const std::string& name) {
    Store store(root);
    auto m = read_manifest(store.manifest_path(ModelName::parse(name).value()));
    EXPECT_TRUE(m.ok());
    return m.ok() ? m->manifest : Manifest{};
  }

  corral::testing::TempDir dir_;
  fs::path origin_ = dir_ / "origin";
};

TEST_F(MigrationTest, CopiedStoreListsShowsAndVerifies) {
  fs::path root = copy_store("copy");
  CommandResult list = corral_in(root, "list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("mine:latest"));
  EXPECT_THAT(list.out, HasSubstr("me/child:v1"));
  EXPECT_THAT(list.out, Not(HasSubstr("broken")));

  CommandResult show = corral_in(root, "show mine --modelfile");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("# FROM mine:latest"));
  EXPECT_THAT(show.out, HasSubstr("FROM " + (root / "blobs" / "sha256-").string()));  // the new root's blobs
  EXPECT_THAT(show.out, HasSubstr("SYSTEM You are terse.\nPARAMETER stop <|eot_id|>\nPARAMETER temperature 0.6\n"));
  CommandResult params = corral_in(root, "show me/child:v1 --parameters");
  ASSERT_EQ(params.exit_code, 0) << params.err;
  EXPECT_THAT(params.out, HasSubstr("temperature                    0.6"));  // inherited from mine

  CommandResult verify = corral_in(root, "verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("me/child:v1: OK\nmine:latest: OK\n"));
  EXPECT_THAT(verify.out, HasSubstr("2 models checked, 0 broken"));

  // OLLAMA_MODELS alone finds it too (an Ollama store opened in place).
  ::setenv("OLLAMA_MODELS", root.c_str(), 1);
  CommandResult ollama = corral::testing::run_corral("list");
  ::unsetenv("OLLAMA_MODELS");
  EXPECT_EQ(ollama.exit_code, 0);
  EXPECT_THAT(ollama.out, HasSubstr("mine:latest"));
}

TEST_F(MigrationTest, DeletedBlobIsNamedWithTheModelsUsingIt) {
  fs::path root = copy_store("copy");
  Manifest m = manifest_of(root, "mine");
  fs::path model_blob = Store(root).blob_path(m.layers[0].digest);  // shared by both models
  ASSERT_TRUE(fs::remove(model_blob));

  CommandResult verify = corral_in(root, "verify");
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.out, HasSubstr("mine:latest: BROKEN"));
  EXPECT_THAT(verify.out, HasSubstr("me/child:v1: BROKEN"));
  EXPECT_THAT(verify.out, HasSubstr(model_blob.string() + ": missing (model layer"));
  EXPECT_THAT(verify.out, HasSubstr("(also used by mine:latest)"));
  EXPECT_THAT(verify.out, HasSubstr("(also used by me/child:v1)"));

  CommandResult one = corral_in(root, "verify me/child:v1");
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_THAT(one.out, Not(HasSubstr("mine:latest: BROKEN")));

  CommandResult list = corral_in(root, "list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("broken"));
  size_t broken = 0;
  for (size_t p = list.out.find("broken"); p != std::string::npos; p = list.out.find("broken", p + 1)) ++broken;
  EXPECT_EQ(broken, 2u) << list.out;
}

TEST_F(MigrationTest, TruncatedBlobIsADigestMismatch) {
  fs::path root = copy_store("copy");
  Manifest m = manifest_of(root, "mine");
  const Layer* system = m.find_layer(kMediaSystem);
  ASSERT_NE(system, nullptr);
  fs::path blob = Store(root).blob_path(system->digest);
  fs::resize_file(blob, 5);
  CommandResult verify = corral_in(root, "verify");
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.out, HasSubstr(blob.string() + ": digest mismatch (system layer)"));
  EXPECT_THAT(verify.out, HasSubstr("me/child:v1: OK"));  // the child has its own system layer
  CommandResult list = corral_in(root, "list");
  EXPECT_THAT(list.out, HasSubstr("broken"));
}

TEST_F(MigrationTest, StoreCopiedWithoutItsBlobs) {
  fs::path root = dir_ / "manifests-only";
  fs::create_directories(root);
  fs::copy(origin_ / "manifests", root / "manifests", fs::copy_options::recursive);
  CommandResult list = corral_in(root, "list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("mine:latest"));
  EXPECT_THAT(list.out, HasSubstr("broken"));
  CommandResult verify = corral_in(root, "verify");
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.out, HasSubstr((root / "blobs" / "sha256-").string()));
  EXPECT_THAT(verify.out, HasSubstr("2 models checked, 2 broken"));
}

TEST_F(MigrationTest, ExportImportIntoAnEmptyStoreIsByteIdentical) {
  fs::path archive = dir_ / "mine.tar";
  CommandResult ex = corral_in(origin_, "export mine -o " + quoted(archive));
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  fs::path fresh = dir_ / "fresh";
  CommandResult im = corral_in(fresh, "import " + quoted(archive));
  ASSERT_EQ(im.exit_code, 0) << im.err;
  EXPECT_THAT(im.out, HasSubstr("imported 'mine:latest'"));

  // The new store holds exactly mine's manifest and blobs, byte for byte.
  std::map<std::string, std::string> expected;
  std::string rel = "manifests/registry.ollama.ai/library/mine/latest";
  expected[rel] = read_file(origin_ / rel);
  Manifest m = manifest_of(origin_, "mine");
  for (const auto& d : m.blob_digests()) {
    std::string b = "blobs/" + blob_file_name(d);
    expected[b] = read_file(origin_ / b);
  }
  EXPECT_EQ(files_under(fresh), expected);
  CommandResult verify = corral_in(fresh, "verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;

  // A second import under a new name reuses every blob.
  CommandResult again = corral_in(fresh, "import " + quoted(archive) + " other:v2");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("imported 'other:v2' (0 new blobs"));

  // A truncated archive is refused and changes nothing.
  std::string bytes = read_file(archive);
  write_bytes(dir_ / "cut.tar", bytes.substr(0, bytes.size() / 2));
  auto before = files_under(fresh);
  CommandResult cut = corral_in(fresh, "import " + quoted(dir_ / "cut.tar") + " third");
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_THAT(cut.err, HasSubstr("truncated"));
  EXPECT_EQ(files_under(fresh), before);
}

}  // namespace
}  // namespace corral::store
