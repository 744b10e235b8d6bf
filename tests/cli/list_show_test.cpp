// `corral list`, `show`, `verify --json` and `doctor` end to end through the binary, on a temporary
// store holding the tiny synthetic model; CORRAL_HOST points at a closed port, so the commands run
// their in-process server (the same HTTP API as `corral serve`).
#include <stdlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "testing/testing.h"
#include "testing/tiny_model.h"

namespace corral::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The table Ollama's tablewriter prints for these cells: each cell left-aligned and padded to its
// column's width, then four spaces; the header's last cell followed by one space.
std::string expected_table(const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto& row : cells)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t c = 0; c < width.size(); ++c) {
      out += cells[r][c] + std::string(width[c] - cells[r][c].size(), ' ');
      out += (r == 0 && c + 1 == width.size()) ? " " : "    ";
    }
    out += "\n";
  }
  return out;
}

class ListShowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("CORRAL_MODELS", (dir_ / "models").c_str(), 1);
    setenv("CORRAL_HOST", "127.0.0.1:1", 1);  // nothing answers: the in-process server runs
    write_tiny_model(dir_ / "tiny.gguf");
    std::ofstream(dir_ / "Modelfile") << "FROM " << (dir_ / "tiny.gguf").string()
                                      << "\nPARAMETER temperature 0.7\nPARAMETER stop <|end|>\n"
                                         "SYSTEM \"\"\"You are\na test.\nThird line.\"\"\"\n"
                                         "LICENSE \"\"\"MIT License\nCopyright (c) corral\"\"\"\n";
    create("tiny");
  }
  void TearDown() override {
    unsetenv("CORRAL_MODELS");
    unsetenv("CORRAL_HOST");
  }
  void create(const std::string& name) {
    auto r = run_corral("create " + name + " -f '" + (dir_ / "Modelfile").string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_;
};

TEST_F(ListShowTest, ListIsOllamasTable) {
  create("other/model:v2");
  auto r = run_corral("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  // Rows: NAME, 12 hex of the manifest digest, decimal size, relative time; newest first.
  std::regex row(
      R"(^(\S+) +([0-9a-f]{12}) +(\d+(?:\.\d)? [KMG]?B) +((?:Less than a second|\d+ seconds?|About a minute) ago) +$)");
  std::vector<std::vector<std::string>> cells{{"NAME", "ID", "SIZE", "MODIFIED"}};
  for (size_t i = 1; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, row)) << lines[i];
    cells.push_back({m[1], m[2], m[3], m[4]});
  }
  EXPECT_EQ(cells[1][0], "other/model:v2");
  EXPECT_EQ(cells[2][0], "tiny:latest");
  EXPECT_EQ(r.out, expected_table(cells));  // the exact spacing, trailing padding included
}

TEST_F(ListShowTest, ListPrefixIsCaseInsensitiveAndJsonIsTheTagsAnswer) {
  create("other");
  auto r = run_corral("ls TI");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("tiny:latest"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("other")));
  EXPECT_EQ(run_corral("ls zzz").out, "NAME    ID    SIZE    MODIFIED \n");

  r = run_corral("list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["models"][1]["name"], "tiny:latest");
  EXPECT_EQ(j["models"][1]["details"]["family"], "llama");
  EXPECT_EQ(j["models"][1]["digest"].get<std::string>().size(), 64u);
  EXPECT_FALSE(j.contains("corral"));  // only when a model is broken
}

TEST_F(ListShowTest, ListKeepsBrokenModelsWithTheirProblem) {
  // Cut the model blob short: the route leaves the model out of "models" and names it in "corral".
  fs::path blob;
  for (const auto& e : fs::directory_iterator(dir_ / "models" / "blobs"))
    if (fs::file_size(e.path()) > 1000) blob = e.path();
  ASSERT_FALSE(blob.empty());
  fs::resize_file(blob, 100);
  auto r = run_corral("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(\ntiny:latest +[0-9a-f]{12} .* ago \(broken: [^)]*)" + blob.filename().string())))
      << r.out;
  json j = json::parse(run_corral("list --json").out);
  EXPECT_TRUE(j["models"].empty());
  ASSERT_EQ(j["corral"]["broken"].size(), 1u);
  EXPECT_EQ(j["corral"]["broken"][0]["name"], "tiny:latest");
  EXPECT_THAT(j["corral"]["broken"][0]["problem"].get<std::string>(), HasSubstr(blob.filename().string()));
}

TEST_F(ListShowTest, ShowSectionsAsOllama) {
  auto r = run_corral("show tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(run_corral("show tiny --json").out);
  std::string params = j["details"]["parameter_size"];
  std::string quant = j["details"]["quantization_level"];
  std::string value_pad(std::max({params.size(), quant.size(), size_t{5}}), ' ');
  auto row = [&](const std::string& key, const std::string& value) {
    return "    " + key + std::string(16 - key.size(), ' ') + "    " + value +
           value_pad.substr(std::min(value.size(), value_pad.size())) + "    \n";
  };
  EXPECT_EQ(r.out, "  Model\n" + row("architecture", "llama") + row("parameters", params) +
                       row("context length", "4096") + row("embedding length", "32") + row("quantization", quant) +
                       "\n"
                       "  Capabilities\n"
                       "    completion    \n"
                       "\n"
                       "  Parameters\n"
                       "    stop           \"<|end|>\"    \n"
                       "    temperature    0.7          \n"
                       "\n"
                       "  System\n"
                       "    You are    \n"
                       "    a test.    \n"
                       "    ...        \n"
                       "\n"
                       "  License\n"
                       "    MIT License             \n"
                       "    Copyright (c) corral    \n"
                       "\n");
  auto v = run_corral("show tiny -v");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("  Metadata\n"));
  EXPECT_TRUE(std::regex_search(v.out, std::regex(R"(\n    llama\.attention\.layer_norm_rms_epsilon +1e-05 +\n)")))
      << v.out;
  EXPECT_TRUE(std::regex_search(v.out, std::regex(R"(\n    tokenizer\.ggml\.tokens +\[<unk> \.\.\.\+\d+ more\] +\n)")))
      << v.out;
  EXPECT_TRUE(std::regex_search(v.out, std::regex(R"(\n  Tensors\n    token_embd\.weight +F32 +\[32 \d+\] +\n)")))
      << v.out;
}

TEST_F(ListShowTest, ShowFlagsPrintOneField) {
  EXPECT_EQ(run_corral("show tiny --system").out, "You are\na test.\nThird line.");
  EXPECT_EQ(run_corral("show tiny --license").out, "MIT License\nCopyright (c) corral\n");
  EXPECT_EQ(run_corral("show tiny --parameters").out,
            "stop                           \"<|end|>\"\ntemperature                    0.7\n");
  auto mf = run_corral("show tiny --modelfile");
  EXPECT_THAT(mf.out, HasSubstr("# Modelfile generated by"));
  EXPECT_THAT(mf.out, HasSubstr("\nFROM " + (dir_ / "models" / "blobs").string() + "/sha256-"));
  auto t = run_corral("show tiny --template");
  EXPECT_EQ(t.exit_code, 0) << t.err;
  // More than one: Ollama's error, exit status 1, nothing on stdout.
  auto both = run_corral("show tiny --license --parameters");
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_EQ(both.out, "");
  EXPECT_EQ(both.err,
            "Error: only one of '--license', '--modelfile', '--parameters', '--system', or '--template' can be "
            "specified\n");
  auto missing = run_corral("show nosuch");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "Error: model 'nosuch' not found\n");
}

TEST_F(ListShowTest, ShowJsonIsTheShowAnswer) {
  auto r = run_corral("show tiny --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["model_info"]["general.architecture"], "llama");
  EXPECT_EQ(j["model_info"]["tokenizer.ggml.tokens"], json::array());  // > 5 items without -v
  EXPECT_EQ(j["capabilities"], json::array({"completion"}));
  EXPECT_EQ(j["system"], "You are\na test.\nThird line.");
  EXPECT_FALSE(j.contains("tensors"));
  json v = json::parse(run_corral("show tiny --json -v").out);
  EXPECT_GT(v["model_info"]["tokenizer.ggml.tokens"].size(), 5u);
  EXPECT_FALSE(v["tensors"].empty());
}

TEST_F(ListShowTest, VerifyJson) {
  auto r = run_corral("verify --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["ok"], true);
  ASSERT_EQ(j["models"].size(), 1u);
  EXPECT_EQ(j["models"][0]["name"], "tiny:latest");
  EXPECT_GT(j["blobs_checked"].get<int>(), 0);
}

TEST_F(ListShowTest, BenchJson) {
  auto r = run_corral("bench '" + (dir_ / "tiny.gguf").string() + "' -p 8 -n 2 -r 1 -t 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["repetitions"], 1);
  EXPECT_GT(j["pp8"]["median"].get<double>(), 0);
  EXPECT_GT(j["tg2"]["median"].get<double>(), 0);
}

TEST_F(ListShowTest, DoctorOnAGoodStore) {
  auto r = run_corral("doctor");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Store      " + (dir_ / "models").string() + "\n"));
  EXPECT_THAT(r.out, HasSubstr("  models   1 (1 OK, 0 broken; quick check)\n"));
  EXPECT_THAT(r.out, HasSubstr("  CPU      "));
  EXPECT_THAT(r.out, HasSubstr("Server     127.0.0.1:1\n  status   not running (start one with `corral serve`"));
  EXPECT_THAT(r.out, HasSubstr("No problems found."));
  auto j = run_corral("doctor --json");
  EXPECT_EQ(j.exit_code, 0);
  json d = json::parse(j.out);
  EXPECT_EQ(d["ok"], true);
  EXPECT_EQ(d["store"]["models"], 1);
  EXPECT_EQ(d["server"]["running"], false);
  EXPECT_TRUE(d["devices"]["cpu"]["cores"].get<int>() > 0);
  EXPECT_EQ(run_corral("doctor --help").exit_code, 0);
  EXPECT_THAT(run_corral("doctor --help").out, HasSubstr("Examples:"));
}

TEST_F(ListShowTest, DoctorNamesADeletedBlob) {
  fs::path blob;
  for (const auto& e : fs::directory_iterator(dir_ / "models" / "blobs"))
    if (fs::file_size(e.path()) > 1000) blob = e.path();
  ASSERT_FALSE(blob.empty());
  fs::remove(blob);
  auto r = run_corral("doctor");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("  models   1 (0 OK, 1 broken; quick check)\n"));
  EXPECT_THAT(r.out, HasSubstr("  broken   tiny:latest: missing blob " + blob.filename().string()));
  EXPECT_THAT(r.out, HasSubstr("Problems found"));
  auto full = run_corral("doctor --full --json");
  EXPECT_EQ(full.exit_code, 1);
  json d = json::parse(full.out);
  EXPECT_EQ(d["ok"], false);
  EXPECT_EQ(d["store"]["check"], "full");
  EXPECT_THAT(d["store"]["broken"][0]["problem"].get<std::string>(), HasSubstr(blob.string()));
}

// A stand-in server on loopback answering /api/version and /api/ps as told, for doctor's view of a
// server of another version and of one that answers with errors.
class FakeServer {
 public:
  FakeServer(int version_status, std::string version) {
    http_.Get("/api/version", [=](const httplib::Request&, httplib::Response& res) {
      res.status = version_status;
      res.set_content(version_status == 200 ? json{{"version", version}}.dump() : R"({"error":"broken"})",
                      "application/json");
    });
    http_.Get("/api/ps", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"models":[]})", "application/json");
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    http_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server http_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(ListShowTest, DoctorWarnsOfAnotherServerVersion) {
  FakeServer fake(200, "0.0.1");
  setenv("CORRAL_HOST", fake.address().c_str(), 1);
  auto r = run_corral("doctor");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // a warning, not a problem (as `ollama -v`)
  EXPECT_TRUE(std::regex_search(
      r.out,
      std::regex(
          R"(  status   answering, version 0\.0\.1\n  Warning: client version is \d+\.\d+\.\d+\n  loaded   none\n)")))
      << r.out;
  json j = json::parse(run_corral("doctor --json").out);
  EXPECT_EQ(j["server"]["version_mismatch"], true);
}

TEST_F(ListShowTest, DoctorFailsOnAServerAnsweringWithAnError) {
  FakeServer fake(500, "");
  setenv("CORRAL_HOST", fake.address().c_str(), 1);
  auto r = run_corral("doctor");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("  error    broken\n"));
  EXPECT_THAT(r.out, HasSubstr("Problems found"));
}

}  // namespace
}  // namespace corral::testing
