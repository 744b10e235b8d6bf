// `corral create`, `cp` and `rm` as clients of the server API: through the in-process server
// (CORRAL_HOST points at a closed port) and through a real `corral serve` child. A tiny synthetic
// model (testing/tiny_model.h) stands in for a GGUF, so no fixtures are needed.
#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/sha256.h"
#include "testing/testing.h"
#include "testing/tiny_model.h"

namespace corral::testing {
namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class StoreCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = dir_ / "models";
    setenv("CORRAL_MODELS", models_.c_str(), 1);
    setenv("CORRAL_HOST", "127.0.0.1:1", 1);  // nothing answers: the in-process server runs
    fs::create_directories(dir_ / "src");
    write_tiny_model(dir_ / "src" / "tiny.gguf");
    auto hex = sha256_file_hex(dir_ / "src" / "tiny.gguf");
    ASSERT_TRUE(hex.ok());
    digest_ = "sha256:" + *hex;
    write_modelfile("Modelfile", "FROM ./tiny.gguf\nPARAMETER temperature 0.5\nSYSTEM Be brief.\n");
  }
  void TearDown() override {
    unsetenv("CORRAL_HOST");
    unsetenv("CORRAL_MODELS");
  }

  fs::path write_modelfile(const std::string& name, const std::string& text) {
    fs::path p = dir_ / "src" / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  fs::path manifest(const std::string& model) const {
    return models_ / "manifests/registry.ollama.ai/library" / model / "latest";
  }
  fs::path blob() const { return models_ / "blobs" / ("sha256-" + digest_.substr(7)); }
  CommandResult create(const std::string& model, const std::string& modelfile = "Modelfile") {
    return run_corral("create " + model + " -f " + quoted(dir_ / "src" / modelfile));
  }

  TempDir dir_;
  fs::path models_;
  std::string digest_;
};

TEST_F(StoreCommandsTest, CreateUploadsTheFileOnceThenReusesIt) {
  auto r = create("tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("hashing tiny.gguf\n"), std::string::npos) << r.err;
  // The server takes the uploaded blob as it is (no second copy or hash of the model).
  EXPECT_NE(r.err.find("copying file " + digest_ + "\nusing existing layer " + digest_ + "\n"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("copying model data"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.ends_with("writing manifest\nsuccess\n")) << r.err;
  // The stored blob is the file, byte for byte (its name is the file's SHA-256).
  ASSERT_TRUE(fs::exists(blob()));
  EXPECT_EQ(read_file(blob()), read_file(dir_ / "src" / "tiny.gguf"));
  ASSERT_TRUE(fs::exists(manifest("tiny")));
  EXPECT_NE(read_file(manifest("tiny")).find(digest_), std::string::npos);

  r = create("tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("copying file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("using existing layer " + digest_ + "\n"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.ends_with("success\n")) << r.err;
}

// Not a terminal: one plain line per step, no carriage returns or escape sequences.
TEST_F(StoreCommandsTest, ProgressIsLineBasedWhenNotATerminal) {
  auto r = create("tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(count(r.err, "copying file"), 1u) << r.err;
  EXPECT_EQ(count(r.err, "success"), 1u) << r.err;
}

TEST_F(StoreCommandsTest, CreateFromAModelAddsLayersAndSharesTheBlob) {
  ASSERT_EQ(create("tiny").exit_code, 0);
  write_modelfile("Child", "FROM tiny\nSYSTEM \"\"\"Two\nlines.\"\"\"\nPARAMETER stop a\nPARAMETER stop b\n");
  auto r = create("child", "Child");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("hashing"), std::string::npos) << r.err;  // nothing local to send
  std::string m = read_file(manifest("child"));
  EXPECT_NE(m.find(digest_), std::string::npos) << m;
  bool found_system = false, found_params = false;
  for (const auto& e : fs::directory_iterator(models_ / "blobs")) {
    std::string text = read_file(e.path());
    found_system |= text == "Two\nlines.";
    found_params |= text.find("\"stop\":[\"a\",\"b\"]") != std::string::npos;
  }
  EXPECT_TRUE(found_system);
  EXPECT_TRUE(found_params);
}

// Several files keep their Modelfile order in the manifest, whatever their names.
TEST_F(StoreCommandsTest, SeveralFilesKeepTheirOrder) {
  TinyModel other;
  other.seed = 99;
  write_tiny_model(dir_ / "src" / "aa.gguf", other);
  auto aa = sha256_file_hex(dir_ / "src" / "aa.gguf");
  ASSERT_TRUE(aa.ok());
  write_modelfile("Two", "FROM ./tiny.gguf\nFROM ./aa.gguf\n");
  auto r = create("two", "Two");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string m = read_file(manifest("two"));
  size_t first = m.find(digest_), second = m.find("sha256:" + *aa);
  ASSERT_NE(first, std::string::npos) << m;
  ASSERT_NE(second, std::string::npos) << m;
  EXPECT_LT(first, second) << m;
}

TEST_F(StoreCommandsTest, CreateErrors) {
  auto mf = write_modelfile("Missing", "# a comment\nFROM ./absent.gguf\n");
  auto r = create("x", "Missing");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error: " + mf.string() + ": (line 2): " + (dir_ / "src" / "absent.gguf").string() + ": no such file\n");

  mf = write_modelfile("Syntax", "FROM ./tiny.gguf\nPARAMETER temprature 1\n");
  r = create("x", "Syntax");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.starts_with("Error: " + mf.string() + ": (line 2)")) << r.err;

  write_modelfile("NoModel", "FROM nosuch\n");
  r = create("x", "NoModel");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: model \"nosuch\" not found\n");

  r = create("x -q q4_K_M");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.err.ends_with("Error: quantize is not supported yet\n")) << r.err;

  r = create("../escape");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid model name"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(models_ / "manifests" / "registry.ollama.ai" / "library" / "x"));
}

TEST_F(StoreCommandsTest, CpAndRm) {
  ASSERT_EQ(create("tiny").exit_code, 0);
  auto r = run_corral("cp tiny me/other:v1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "copied 'tiny' to 'me/other:v1'\n");
  EXPECT_EQ(read_file(models_ / "manifests/registry.ollama.ai/me/other/v1"), read_file(manifest("tiny")));
  r = run_corral("cp nosuch x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: model \"nosuch\" not found\n");

  // A missing name is an error, and the other names are still removed.
  r = run_corral("rm tiny nosuch me/other:v1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "deleted 'tiny'\ndeleted 'me/other:v1'\n");
  EXPECT_EQ(r.err, "Error: model 'nosuch' not found\n");
  EXPECT_FALSE(fs::exists(manifest("tiny")));
  EXPECT_TRUE(fs::is_empty(models_ / "blobs"));  // no model uses them any more
}

// The same commands against a running `corral serve` (its own store; the client's CORRAL_MODELS
// plays no part): the upload goes over HTTP, and rm asks the server to unload first.
TEST_F(StoreCommandsTest, ThroughARunningServer) {
  fs::path log = dir_ / "serve.log";
  fs::path served = dir_ / "served";
  // The child takes the environment of the moment it starts: its own store.
  setenv("CORRAL_MODELS", served.c_str(), 1);
  ServeChild server;
  const bool up = server.start(log);
  setenv("CORRAL_MODELS", models_.c_str(), 1);
  ASSERT_TRUE(up) << read_file(log);
  setenv("CORRAL_HOST", server.address().c_str(), 1);

  auto r = create("tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("copying file " + digest_), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(served / "blobs" / ("sha256-" + digest_.substr(7))));
  EXPECT_FALSE(fs::exists(models_ / "manifests"));  // the server's store, not the client's
  r = run_corral("cp tiny tiny2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_corral("rm tiny tiny2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted 'tiny'\ndeleted 'tiny2'\n");
  EXPECT_EQ(r.err, "");  // models that are not loaded unload without a warning
  EXPECT_FALSE(fs::exists(served / "manifests/registry.ollama.ai/library/tiny/latest"));
}

}  // namespace
}  // namespace corral::testing
