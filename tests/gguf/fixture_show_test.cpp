// `corral show --json` on every reference model reports what the fixture's sidecar NAME.json
// records: architecture, counts, file type and every tensor's name, type and shape.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace corral {
namespace {

using nlohmann::json;

std::vector<std::filesystem::path> fixture_models() {
  std::vector<std::filesystem::path> out;
  auto dir = corral::testing::fixtures_dir() / "models";
  if (corral::testing::fixtures_dir().empty() || !std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".gguf") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class ShowFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ShowFixture, MatchesSidecar) {
  auto dir = corral::testing::fixtures_dir() / "models";
  auto gguf = dir / (GetParam() + ".gguf");
  auto sidecar = dir / (GetParam() + ".json");
  CORRAL_REQUIRE_FIXTURE(gguf);
  CORRAL_REQUIRE_FIXTURE(sidecar);
  json want = json::parse(corral::testing::read_file(sidecar));
  auto r = corral::testing::run_corral("show --json '" + gguf.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json got = json::parse(r.out);

  EXPECT_EQ(got["architecture"], want["architecture"]);
  EXPECT_EQ(got["name"], want["name"]);
  EXPECT_EQ(got["n_tensors"], want["n_tensors"]);
  EXPECT_EQ(got["n_kv"], want["n_kv"]);
  EXPECT_EQ(got["file_type"], want["file_type"]);
  EXPECT_EQ(got["file_type_id"], want["file_type_id"]);
  EXPECT_EQ(got["gguf_version"], want["gguf_version"]);
  EXPECT_EQ(got["alignment"], want["alignment"]);
  EXPECT_EQ(got["data_offset"], want["data_offset"]);
  EXPECT_EQ(got["size"], want["size"]);
  EXPECT_EQ(got["context_length"], want["hparams"]["context_length"]);
  EXPECT_EQ(got["embedding_length"], want["hparams"]["n_embd"]);
  ASSERT_EQ(got["tensors"].size(), want["tensors"].size());
  for (size_t i = 0; i < want["tensors"].size(); ++i) {
    const json& g = got["tensors"][i];
    const json& w = want["tensors"][i];
    EXPECT_EQ(g["name"], w["name"]) << i;
    EXPECT_EQ(g["type"], w["type"]) << w["name"];
    EXPECT_EQ(g["shape"], w["shape"]) << w["name"];
    EXPECT_EQ(g["offset"], w["offset"]) << w["name"];
    EXPECT_EQ(g["n_bytes"], w["n_bytes"]) << w["name"];
  }
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& p : fixture_models()) names.push_back(p.stem().string());
  if (names.empty()) names.push_back("fixtures-absent");  // the test then skips
  return names;
}

INSTANTIATE_TEST_SUITE_P(Models, ShowFixture, ::testing::ValuesIn(fixture_names()), [](const auto& param_info) {
  std::string n = param_info.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

// The vocabulary-only files (metadata, no tensors) parse too.
TEST(ShowFixture, VocabularyFiles) {
  auto dir = corral::testing::fixtures_dir() / "tokenizer";
  CORRAL_REQUIRE_FIXTURE(dir);
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".gguf") continue;
    auto r = corral::testing::run_corral("show --json '" + e.path().string() + "'");
    ASSERT_EQ(r.exit_code, 0) << e.path() << ": " << r.err;
    json got = json::parse(r.out);
    EXPECT_EQ(got["n_tensors"], 0);
    EXPECT_TRUE(got["metadata"].contains("tokenizer.ggml.model")) << e.path();
    ++n;
  }
  EXPECT_EQ(n, 4u);
}

}  // namespace
}  // namespace corral
