// `corral show` on synthetic files: the Ollama-shaped text output, verbose tables, JSON, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gguf/writer.h"
#include "testing/testing.h"

namespace corral {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::filesystem::path write_model(const corral::testing::TempDir& dir) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  w.set("general.name", "tiny");
  w.set("general.file_type", uint32_t{7});
  w.set("llama.context_length", uint32_t{131072});
  w.set("llama.embedding_length", uint32_t{2048});
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) tokens.push_back("tok" + std::to_string(i));
  w.set("tokenizer.ggml.tokens", make_string_array(tokens));
  EXPECT_TRUE(
      w.add_tensor("token_embd.weight", GgmlType::kQ8_0, {2048, 600}, std::vector<std::byte>(600 * 64 * 34)).ok());
  EXPECT_TRUE(w.add_tensor("output_norm.weight", GgmlType::kF32, {2048}, std::vector<std::byte>(2048 * 4)).ok());
  auto path = dir / "tiny.gguf";
  EXPECT_TRUE(w.write_file(path).ok());
  return path;
}

TEST(ShowCommand, ModelSectionLikeOllama) {
  corral::testing::TempDir dir;
  auto path = write_model(dir);
  auto r = corral::testing::run_corral("show '" + path.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Ollama's layout: every cell padded to its column and followed by four spaces.
  EXPECT_EQ(r.out,
            "  Model\n"
            "    architecture        llama     \n"
            "    parameters          1.23M     \n"
            "    context length      131072    \n"
            "    embedding length    2048      \n"
            "    quantization        Q8_0      \n"
            "\n"
            "  Capabilities\n"
            "    completion    \n"
            "\n");
}

TEST(ShowCommand, VerboseListsMetadataAndTensors) {
  corral::testing::TempDir dir;
  auto path = write_model(dir);
  auto r = corral::testing::run_corral("show -v '" + path.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Ollama's Metadata (sorted keys, general.name left out, arrays cut to about ten columns) and
  // Tensors (name, type, shape as Go prints a slice).
  EXPECT_THAT(r.out, HasSubstr("  Metadata\n    general.architecture      llama                 \n"));
  EXPECT_THAT(r.out, Not(HasSubstr("general.name")));
  EXPECT_THAT(r.out, HasSubstr("    tokenizer.ggml.tokens     [tok0 ...+19 more]    \n"));
  EXPECT_THAT(r.out, HasSubstr("  Tensors\n"
                               "    token_embd.weight     Q8_0    [2048 600]    \n"
                               "    output_norm.weight    F32     [2048]        \n"));
}

TEST(ShowCommand, JsonAbbreviatesArraysUnlessVerbose) {
  corral::testing::TempDir dir;
  auto path = write_model(dir);
  auto r = corral::testing::run_corral("show --json '" + path.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["details"]["parameter_size"], "1.23M");  // /api/show's shape: "parameters" is Modelfile text
  EXPECT_EQ(j["details"]["quantization_level"], "Q8_0");
  EXPECT_EQ(j["model_info"]["llama.context_length"], 131072);
  EXPECT_EQ(j["model_info"]["tokenizer.ggml.tokens"], nlohmann::json::array());  // > 5 items, not verbose
  EXPECT_EQ(j["capabilities"], nlohmann::json::array({"completion"}));
  EXPECT_EQ(j["parameter_count"], 2048 * 600 + 2048);
  EXPECT_EQ(j["metadata"]["tokenizer.ggml.tokens"]["length"], 20);
  EXPECT_EQ(j["tensors"][0]["shape"], nlohmann::json::array({2048, 600}));
  auto v = corral::testing::run_corral("show --json -v '" + path.string() + "'");
  auto jv = nlohmann::json::parse(v.out);
  EXPECT_EQ(jv["metadata"]["tokenizer.ggml.tokens"].size(), 20u);
  EXPECT_EQ(jv["metadata"]["tokenizer.ggml.tokens"][19], "tok19");
}

TEST(ShowCommand, ErrorsAndUsage) {
  corral::testing::TempDir dir;
  std::string junk = (dir / "junk.gguf").string();
  ASSERT_TRUE(std::system(("printf 'not a model' > '" + junk + "'").c_str()) == 0);
  auto r = corral::testing::run_corral("show '" + junk + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error: " + junk + ": at byte 0: bad magic"));
  EXPECT_THAT(r.out, Not(HasSubstr("Model")));
  EXPECT_EQ(corral::testing::run_corral("show").exit_code, 2);
  EXPECT_EQ(corral::testing::run_corral("frobnicate").exit_code, 2);
  auto help = corral::testing::run_corral("show --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Examples:"));
}

}  // namespace
}  // namespace corral
