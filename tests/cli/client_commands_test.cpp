// `corral run`, `ps` and `stop` against a real `corral serve` child on 127.0.0.1:0 with a
// temporary store holding a tiny synthetic model (testing/tiny_model.h, no fixtures needed).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "testing/testing.h"
#include "testing/tiny_model.h"

namespace corral::testing {
namespace {

class ClientCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = dir_ / "models";
    setenv("CORRAL_MODELS", models_.c_str(), 1);
    write_tiny_model(dir_ / "tiny.gguf");
    {
      std::ofstream mf(dir_ / "Modelfile");
      mf << "FROM " << (dir_ / "tiny.gguf").string() << "\nPARAMETER num_predict 6\nPARAMETER num_ctx 256\n";
    }
    auto created = run_corral("create tiny -f '" + (dir_ / "Modelfile").string() + "'");
    ASSERT_EQ(created.exit_code, 0) << created.err;
    start_server();
  }
  void TearDown() override {
    server_.stop();
    unsetenv("CORRAL_HOST");
    unsetenv("CORRAL_MODELS");
  }

  void start_server() {
    ASSERT_TRUE(server_.start(dir_ / "serve.log")) << "corral serve did not start: " << read_file(dir_ / "serve.log");
    setenv("CORRAL_HOST", server_.address().c_str(), 1);
  }

  TempDir dir_;
  std::filesystem::path models_;
  ServeChild server_;
};

TEST_F(ClientCommandsTest, RunPsStop) {
  auto r = run_corral("run tiny hello --verbose </dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(r.out.size(), 1u);
  EXPECT_EQ(r.out.back(), '\n');
  for (const char* line : {"total duration:", "load duration:", "prompt eval count:", "prompt eval rate:",
                           "eval count:           6 token(s)", "eval duration:", "eval rate:"})
    EXPECT_NE(r.err.find(line), std::string::npos) << line << " in\n" << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(eval rate:\s+\d+\.\d\d tokens/s)"))) << r.err;

  {
    std::ofstream in(dir_ / "stdin.txt");
    in << "hi\n";
  }
  auto piped = run_corral("run tiny < '" + (dir_ / "stdin.txt").string() + "'");
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_GT(piped.out.size(), 1u);
  EXPECT_EQ(piped.err, "");

  auto ps = run_corral("ps");
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  EXPECT_TRUE(std::regex_search(ps.out, std::regex(R"(^NAME\s+ID\s+SIZE\s+PROCESSOR\s+CONTEXT\s+UNTIL +\n)")))
      << ps.out;
  EXPECT_TRUE(std::regex_search(
      ps.out,
      std::regex(R"(\ntiny:latest\s+[0-9a-f]{12}\s+\d+(\.\d)? [KMG]?B\s+100% CPU\s+256\s+4 minutes from now    \n)")))
      << ps.out;
  auto json_ps = run_corral("ps --json");
  EXPECT_NE(json_ps.out.find("\"context_length\": 256"), std::string::npos) << json_ps.out;
  EXPECT_EQ(nlohmann::json::parse(json_ps.out)["models"][0]["name"], "tiny:latest");

  // doctor sees the server, its version and where the loaded model runs; list and show ask it.
  auto doctor = run_corral("doctor");
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  EXPECT_TRUE(std::regex_search(doctor.out, std::regex(R"(\n  status   answering, version \S+\n)"))) << doctor.out;
  EXPECT_TRUE(
      std::regex_search(doctor.out, std::regex(R"(\n  loaded   tiny:latest: 100% CPU, [^\n]*0/\d+ layers on GPU)")))
      << doctor.out;
  auto doctor_json = nlohmann::json::parse(run_corral("doctor --json").out);
  EXPECT_EQ(doctor_json["server"]["running"], true);
  EXPECT_EQ(doctor_json["server"]["loaded"].size(), 1u);
  EXPECT_TRUE(std::regex_search(run_corral("list").out, std::regex(R"(\ntiny:latest +[0-9a-f]{12} )")));
  EXPECT_NE(run_corral("show tiny").out.find("  Capabilities\n    completion    \n"), std::string::npos);

  auto stop = run_corral("stop tiny");
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  // Unloading may take a moment after the answer.
  std::string lines;
  for (int i = 0; i < 100; ++i) {
    lines = run_corral("ps").out;
    if (lines.find("tiny") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(std::regex_match(lines, std::regex(R"(NAME\s+ID\s+SIZE\s+PROCESSOR\s+CONTEXT\s+UNTIL \n)"))) << lines;

  auto missing = run_corral("stop nope");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "Error: couldn't find model \"nope\" to stop\n");
  // A model the store lacks is pulled first: here from a registry that is not there.
  auto run_missing = run_corral("run --insecure 127.0.0.1:1/test/nope hi");
  EXPECT_EQ(run_missing.exit_code, 1);
  EXPECT_NE(run_missing.err.find("pulling manifest"), std::string::npos) << run_missing.err;
  EXPECT_NE(run_missing.err.find("Error: cannot connect to 127.0.0.1:1"), std::string::npos) << run_missing.err;
  // --format json constrains the answer to JSON (cut by num_predict 6 here, so only its start is
  // checked; tests/e2e/structured.test.mjs runs it to the end on a fixture model).
  auto json_format = run_corral("run tiny hi --format json");
  EXPECT_EQ(json_format.exit_code, 0) << json_format.err;
  EXPECT_EQ(json_format.out.rfind("{", 0), 0u) << json_format.out;
}

TEST_F(ClientCommandsTest, EmbeddingModelPrintsItsVector) {
  TinyModel m;
  m.pooling_type = 1;  // mean: an embedding model
  write_tiny_model(dir_ / "embed.gguf", m);
  {
    std::ofstream mf(dir_ / "Embedfile");
    mf << "FROM " << (dir_ / "embed.gguf").string() << "\n";
  }
  ASSERT_EQ(run_corral("create tinyembed -f '" + (dir_ / "Embedfile").string() + "'").exit_code, 0);
  auto r = run_corral("run tinyembed hello world");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = nlohmann::json::parse(r.out);
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.size(), static_cast<size_t>(m.n_embd));
  double norm = 0;
  for (const auto& x : v) norm += x.get<double>() * x.get<double>();
  EXPECT_NEAR(norm, 1.0, 1e-4);  // L2-normalised, as /api/embed answers
  auto cut = run_corral("run tinyembed hello world --dimensions 8");
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_EQ(nlohmann::json::parse(cut.out).size(), 8u);
}

TEST_F(ClientCommandsTest, VersionOfServerAndClient) {
  for (const char* args : {"version", "-v", "--version"}) {
    auto v = run_corral(args);
    EXPECT_EQ(v.exit_code, 0) << args;
    EXPECT_TRUE(std::regex_match(v.out, std::regex(R"(corral version is \d+\.\d+\.\d+\n)"))) << args << ": " << v.out;
  }
  auto bare = run_corral("");
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("Getting started"), std::string::npos) << bare.err;
}

TEST(ClientCommandsNoServer, ExitOneWithTheCommandToRun) {
  setenv("CORRAL_HOST", "127.0.0.1:1", 1);
  for (const char* args : {"run tiny hi", "ps", "stop tiny"}) {
    auto r = run_corral(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.err, "Error: could not connect to corral server at 127.0.0.1:1 — is `corral serve` running?\n") << args;
  }
  auto version = run_corral("-v");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(
      std::regex_match(version.out, std::regex("Warning: could not connect to a running corral server at "
                                               "127\\.0\\.0\\.1:1\nWarning: client version is \\d+\\.\\d+\\.\\d+\n")))
      << version.out;
  auto interactive_missing = run_corral("run tiny --nowordwrap </dev/null");  // stdin not a terminal
  EXPECT_EQ(interactive_missing.exit_code, 1);
  unsetenv("CORRAL_HOST");
}

}  // namespace
}  // namespace corral::testing
