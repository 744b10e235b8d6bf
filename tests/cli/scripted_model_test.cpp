// The scripted test model: its greedy continuations, through the real engine, are the script's
// answers — after its trigger at any depth of the context, differently once a marker token is
// there, the fallback token when nothing matches; sampled at temperature 1 as well. Conflicting
// rules are refused with the context named.
#include "cli/scripted_model.h"

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/generator.h"
#include "testing/testing.h"
#include "tokenizer/tokenizer.h"

namespace corral::cli {
namespace {

using nlohmann::json;

std::filesystem::path qwen3_vocab() {
  return testing::fixtures_dir() / "models/qwen3-tiny-qwen3v4k-f32.gguf";
}

const char* kWeatherScript = R"({
  "rules": [
    {"after": "<|im_start|>assistant\n", "unless": "<tool_response>",
     "say": "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>"},
    {"after": "<|im_start|>assistant\n", "when": "<tool_response>", "say": "It is 22 degrees in Paris.<|im_end|>"}
  ]})";

class ScriptedModel : public ::testing::Test {
 protected:
  void build(const char* script_text) {
    CORRAL_REQUIRE_FIXTURE(qwen3_vocab());
    auto vocab = GgufFile::open(qwen3_vocab());
    ASSERT_TRUE(vocab.ok()) << vocab.error().to_string();
    auto script = parse_script(json::parse(script_text));
    ASSERT_TRUE(script.ok()) << script.error().to_string();
    GgufWriter w;
    auto info = build_scripted_model(*vocab, *script, std::nullopt, w);
    ASSERT_TRUE(info.ok()) << info.error().to_string();
    EXPECT_GE(info->min_code_distance, 12);
    path_ = dir_ / "scripted.gguf";
    ASSERT_TRUE(w.write_file(path_).ok());
    engine::EngineOptions eo;
    eo.num_ctx = 4096;
    eo.num_threads = 1;
    auto eng = engine::Engine::load(path_, eo);
    ASSERT_TRUE(eng.ok()) << eng.error().to_string();
    engine_ = std::move(eng).value();
    auto tok = Tokenizer::from_metadata(engine_->file().metadata());
    ASSERT_TRUE(tok.ok());
    tok_ = std::move(tok).value();
  }

  // The answer to `prompt` (tokenized as the runner does), until an end-of-generation token.
  std::string answer(const std::string& prompt, const sampling::SamplingOptions& options) {
    EncodeOptions eo;
    eo.parse_special = true;
    auto ids = tok_->encode(prompt, eo);
    EXPECT_TRUE(ids.ok());
    std::vector<int32_t> out;
    engine::Generator gen(*engine_);
    engine::Request req;
    req.prompt = *ids;
    req.options = options;
    req.on_token = [&](int32_t token, std::span<const float>) {
      out.push_back(token);
      return !tok_->is_eog(token);
    };
    auto added = gen.add(std::move(req));
    EXPECT_TRUE(added.ok()) << added.error().to_string();
    auto ran = gen.run();
    EXPECT_TRUE(ran.ok()) << ran.error().to_string();
    DecodeOptions d;
    d.render_special = true;
    return tok_->decode(out, d);
  }

  std::string greedy(const std::string& prompt) { return answer(prompt, engine::greedy_options(200)); }

  testing::TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Tokenizer> tok_;
};

const char* kToolCall =
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>";

TEST_F(ScriptedModel, AnswersTheScriptAfterItsTrigger) {
  build(kWeatherScript);
  if (!engine_) return;
  EXPECT_EQ(greedy("<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n"), kToolCall);
}

TEST_F(ScriptedModel, AMarkerAnywhereInTheContextChangesTheAnswer) {
  build(kWeatherScript);
  if (!engine_) return;
  const std::string with_result =
      "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\n<tool_response>\n22\n</tool_response><|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(greedy(with_result), "It is 22 degrees in Paris.<|im_end|>");
}

TEST_F(ScriptedModel, DeepInALongContextAndSampledAtTemperatureOne) {
  build(kWeatherScript);
  if (!engine_) return;
  std::string filler;
  for (int i = 0; i < 200; ++i) filler += "the quick brown fox jumps over the lazy dog ";
  const std::string prompt = "<|im_start|>user\n" + filler + "<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(greedy(prompt), kToolCall);
  sampling::SamplingOptions hot;
  hot.temperature = 1.0f;
  hot.top_k = 0;
  hot.top_p = 1.0f;
  hot.num_predict = 200;
  for (uint32_t seed : {1u, 2u, 3u}) {
    hot.seed = seed;
    EXPECT_EQ(answer(prompt, hot), kToolCall) << "seed " << seed;
  }
}

TEST_F(ScriptedModel, AnythingElseEndsTheAnswer) {
  build(kWeatherScript);
  if (!engine_) return;
  EXPECT_EQ(greedy("<|im_start|>user\nhello"), "<|im_end|>");
}

TEST_F(ScriptedModel, ConflictingRulesAreRefused) {
  CORRAL_REQUIRE_FIXTURE(qwen3_vocab());
  auto vocab = GgufFile::open(qwen3_vocab());
  ASSERT_TRUE(vocab.ok());
  auto script = parse_script(json::parse(R"({"rules": [
      {"after": "<|im_start|>assistant\n", "say": "Yes.<|im_end|>"},
      {"after": "<|im_start|>assistant\n", "say": "No.<|im_end|>"}]})"));
  ASSERT_TRUE(script.ok());
  GgufWriter w;
  auto info = build_scripted_model(*vocab, *script, std::nullopt, w);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().to_string().find("rules 1 and 2 continue"), std::string::npos) << info.error().to_string();
}

TEST(ScriptParsing, RejectsMalformedScripts) {
  for (const char* bad : {R"([])", R"({"rules": []})", R"({"rules": [{"after": "x"}]})",
                          R"({"rules": [{"after": "x", "say": "y", "extra": 1}]})", R"({"window": 9, "rules": []})",
                          R"({"rules": [{"after": "x", "say": "y"}], "colour": "red"})"}) {
    EXPECT_FALSE(parse_script(json::parse(bad)).ok()) << bad;
  }
  auto ok = parse_script(json::parse(R"({"window": 2, "fallback": "!", "rules": [
      {"after": "ab", "say": "c", "when": ["x"], "unless": "y"}]})"));
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->window, 2);
  EXPECT_EQ(ok->rules[0].when, std::vector<std::string>{"x"});
  EXPECT_EQ(ok->rules[0].unless, std::vector<std::string>{"y"});
}

}  // namespace
}  // namespace corral::cli
