// The store commands end to end through the corral binary: create, list, show, cp, rm, prune, and
// migration (a store copied to a new root and opened with CORRAL_MODELS / OLLAMA_MODELS).
#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/sha256.h"
#include "gguf/writer.h"
#include "store_builder.h"
#include "testing/testing.h"

namespace corral {
namespace {
namespace fs = std::filesystem;
using testing::run_corral;

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

void write_gguf(const fs::path& p) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.file_type", uint32_t{1});
  w.set("llama.context_length", uint32_t{4096});
  w.set("llama.embedding_length", uint32_t{128});
  w.set("llama.block_count", uint32_t{1});
  std::vector<std::byte> data(128 * 64 * 2, std::byte{1});
  ASSERT_TRUE(w.add_tensor("token_embd.weight", GgmlType::kF16, {128, 64}, std::move(data)).ok());
  fs::create_directories(p.parent_path());
  ASSERT_TRUE(w.write_file(p).ok());
}

// Points the store variables at `root` for the commands run by this test.
class StoreEnv {
 public:
  explicit StoreEnv(const fs::path& root, const char* var = "CORRAL_MODELS") {
    ::unsetenv("CORRAL_MODELS");
    ::unsetenv("OLLAMA_MODELS");
    ::setenv(var, root.c_str(), 1);
  }
  ~StoreEnv() {
    ::unsetenv("CORRAL_MODELS");
    ::unsetenv("OLLAMA_MODELS");
  }
};

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

class StoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_gguf(dir_ / "src" / "model.gguf");
    write(dir_ / "src" / "Modelfile",
          "FROM ./model.gguf\nPARAMETER temperature 0.7\nPARAMETER stop <|end|>\nSYSTEM \"\"\"You are\na "
          "test.\"\"\"\nTEMPLATE {{ .Prompt }}\nLICENSE \"\"\"Line one\nLine two\nLine three\"\"\"\n");
  }
  fs::path root() const { return dir_ / "models"; }
  testing::TempDir dir_;
};

TEST_F(StoreCliTest, CreateListShowCpRm) {
  StoreEnv env(root());
  auto r = run_corral("create mymodel -f " + q(dir_ / "src" / "Modelfile"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("success"), std::string::npos) << r.err;

  r = run_corral("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string manifest = testing::read_file(root() / "manifests/registry.ollama.ai/library/mymodel/latest");
  std::string id = Sha256::hex_of(std::as_bytes(std::span(manifest.data(), manifest.size()))).substr(0, 12);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^NAME +ID +SIZE +MODIFIED +\n"))) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("mymodel:latest +" + id + " +[0-9.]+ KB +(Less than a second|[0-9]+ seconds?) ago +\n")))
      << r.out;
  auto filtered = run_corral("ls MYM").out;  // prefix filter, case-insensitive
  EXPECT_TRUE(std::regex_search(filtered, std::regex("^NAME +ID +SIZE +MODIFIED +\nmymodel:latest +" + id + " ")))
      << filtered;
  EXPECT_EQ(run_corral("ls other").out, "NAME    ID    SIZE    MODIFIED \n");  // Ollama's header pads with one space

  r = run_corral("show mymodel");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("architecture +llama"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("context length +4096"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("quantization +F16"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("temperature +0.7"))) << r.out;
  EXPECT_NE(r.out.find("  Capabilities\n    completion    \n\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  System\n    You are    \n    a test.    \n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  License\n    Line one    \n    Line two    \n    ...         \n"), std::string::npos)
      << r.out;
  // As `ollama show`: --system and --template print the text as it is (no newline added).
  EXPECT_EQ(run_corral("show mymodel --system").out, "You are\na test.");
  EXPECT_EQ(run_corral("show mymodel --template").out, "{{ .Prompt }}");
  EXPECT_EQ(run_corral("show mymodel --license").out, "Line one\nLine two\nLine three\n");
  EXPECT_NE(run_corral("show mymodel --parameters").out.find("stop"), std::string::npos);
  r = run_corral("show mymodel --modelfile");
  EXPECT_NE(r.out.find("FROM " + (root() / "blobs").string() + "/sha256-"), std::string::npos) << r.out;
  r = run_corral("show mymodel --system --template");
  EXPECT_EQ(r.exit_code, 1);  // Ollama: a command error
  EXPECT_NE(r.err.find("only one of '--license', '--modelfile', '--parameters', '--system', or '--template'"),
            std::string::npos)
      << r.err;
  r = run_corral("show nosuch");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;

  r = run_corral("cp mymodel me/copy:v1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "copied 'mymodel' to 'me/copy:v1'\n");
  EXPECT_TRUE(std::regex_search(run_corral("list").out, std::regex("me/copy:v1 +" + id)));
  r = run_corral("rm mymodel me/copy:v1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted 'mymodel'\ndeleted 'me/copy:v1'\n");
  EXPECT_TRUE(fs::is_empty(root() / "blobs"));
  EXPECT_EQ(run_corral("rm mymodel").exit_code, 1);
}

TEST_F(StoreCliTest, MigrationToANewRoot) {
  {
    StoreEnv env(root());
    ASSERT_EQ(run_corral("create mymodel -f " + q(dir_ / "src" / "Modelfile")).exit_code, 0);
    ASSERT_EQ(run_corral("cp mymodel other").exit_code, 0);
  }
  std::string before;
  {
    StoreEnv env(root());
    before = run_corral("list").out;
  }
  fs::path moved = dir_ / "elsewhere" / "models";
  fs::create_directories(moved.parent_path());
  fs::copy(root(), moved, fs::copy_options::recursive);
  fs::remove_all(root());
  for (const char* var : {"CORRAL_MODELS", "OLLAMA_MODELS"}) {
    StoreEnv env(moved, var);
    auto r = run_corral("list");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The same rows (names, IDs, sizes); times and so the order may differ after a copy.
    auto rows = [](const std::string& out) {
      std::regex times("  +[^ ]+ [^ ]+ ago$|  +Less than a second ago$|  +About an? [a-z]+ ago$");
      std::vector<std::string> lines;
      std::istringstream in(out);
      for (std::string line; std::getline(in, line);) {
        line.erase(line.find_last_not_of(' ') + 1);  // Ollama's padding follows the widest time
        lines.push_back(std::regex_replace(line, times, ""));
      }
      std::sort(lines.begin(), lines.end());
      return lines;
    };
    EXPECT_EQ(rows(r.out), rows(before)) << var;
    EXPECT_EQ(rows(r.out).size(), 3u);
    r = run_corral("show other");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("architecture +llama"))) << r.out;
  }
  // A blob lost on the way: list still works and marks the models that use it.
  StoreEnv env(moved);
  fs::path system_blob;
  for (const auto& e : fs::directory_iterator(moved / "blobs"))
    if (testing::read_file(e.path()) == "You are\na test.") system_blob = e.path();
  ASSERT_FALSE(system_blob.empty());
  fs::remove(system_blob);
  auto r = run_corral("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string mark = "(broken: missing blob " + system_blob.filename().string() + ")";
  EXPECT_NE(r.out.find("mymodel:latest"), std::string::npos);
  size_t marks = 0;
  for (size_t at = r.out.find(mark); at != std::string::npos; at = r.out.find(mark, at + 1)) ++marks;
  EXPECT_EQ(marks, 2u) << r.out;
}

TEST_F(StoreCliTest, CreateErrors) {
  StoreEnv env(root());
  write(dir_ / "src" / "bad.gguf", "<html><body>404</body></html>");
  write(dir_ / "src" / "Bad", "FROM ./bad.gguf\n");
  auto r = run_corral("create x -f " + q(dir_ / "src" / "Bad"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HTML"), std::string::npos) << r.err;
  r = run_corral("create x -f " + q(dir_ / "src" / "missing"));
  EXPECT_EQ(r.exit_code, 1);
  write(dir_ / "src" / "Syntax", "FROM ./model.gguf\nPARAMETER temprature 1\n");
  r = run_corral("create x -f " + q(dir_ / "src" / "Syntax"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  r = run_corral("create ../escape -f " + q(dir_ / "src" / "Modelfile"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invalid model name"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root() / "manifests" / "registry.ollama.ai" / "library" / "x"));
}

// A full disk (simulated with a file size limit: writes past it fail with EFBIG, like ENOSPC)
// leaves the store as it was: the old model intact, no new manifest, no temporary files.
TEST_F(StoreCliTest, FullDiskLeavesTheStoreAsItWas) {
  StoreEnv env(root());
  ASSERT_EQ(run_corral("create m -f " + q(dir_ / "src" / "Modelfile")).exit_code, 0);
  std::string manifest = testing::read_file(root() / "manifests/registry.ollama.ai/library/m/latest");
  ASSERT_NO_FATAL_FAILURE(store::testing_util::write_f32_gguf(dir_ / "src" / "big.gguf", 1024, 512, 3));
  write(dir_ / "src" / "Big", "FROM ./big.gguf\n");
  std::string cmd = std::string("sh -c \"trap '' XFSZ; ulimit -f 1024; CORRAL_STORE_COPY=1 exec '") + CORRAL_BINARY +
                    "' create m -f " + q(dir_ / "src" / "Big") + " 2>" + q(dir_ / "err") + "\"";
  int status = std::system(cmd.c_str());
  EXPECT_NE(status, 0);
  EXPECT_NE(testing::read_file(dir_ / "err").find("write failed"), std::string::npos)
      << testing::read_file(dir_ / "err");
  EXPECT_EQ(testing::read_file(root() / "manifests/registry.ollama.ai/library/m/latest"), manifest);
  auto list = run_corral("list").out;
  EXPECT_NE(list.find("m:latest"), std::string::npos) << list;
  EXPECT_EQ(list.find("broken"), std::string::npos) << list;
  for (const auto& e : fs::directory_iterator(root() / "blobs"))
    EXPECT_EQ(e.path().filename().string().rfind("sha256-", 0), 0u) << e.path();
}

TEST_F(StoreCliTest, WithoutAModelfileTheGgufInTheCurrentDirectory) {
  StoreEnv env(root());
  fs::path only = dir_ / "only";
  write_gguf(only / "weights.bin");  // the magic decides, not the name
  std::string cmd = "cd " + q(only) + " && '" + CORRAL_BINARY + "' create here >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto r = run_corral("show here");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("architecture +llama"))) << r.out;
}

TEST_F(StoreCliTest, PruneKeepsWhatIsUsed) {
  StoreEnv env(root());
  ASSERT_EQ(run_corral("create m -f " + q(dir_ / "src" / "Modelfile")).exit_code, 0);
  write(root() / "blobs" / ".corral-tmp-stale", "x");
  auto r = run_corral("prune --all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("removed .corral-tmp-stale"), std::string::npos) << r.out;
  EXPECT_EQ(run_corral("show m").exit_code, 0);
}

}  // namespace
}  // namespace corral
