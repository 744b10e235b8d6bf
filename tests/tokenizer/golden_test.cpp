// Token ids against llama.cpp for the four fixture vocabularies (163 texts each, with and without
// special-token parsing), decode round trips, the streaming decoder, and the aidreams260K prompts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>

#include "gguf/file.h"
#include "testing/testing.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace corral {
namespace {

struct Case {
  std::string text;
  std::vector<TokenId> ids, ids_special;
};

std::filesystem::path tokenizer_dir() {
  return corral::testing::fixtures_dir() / "tokenizer";
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path) {
  auto file = GgufFile::open(path);
  EXPECT_TRUE(file.ok()) << file.error().to_string();
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::from_metadata(file->metadata());
  EXPECT_TRUE(tok.ok()) << tok.error().to_string();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

// Each vocabulary is loaded once for the whole binary (Gemma 3 has 262144 tokens).
const Tokenizer* vocab_tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end())
    it = cache.emplace(name, load_tokenizer(tokenizer_dir() / ("ggml-vocab-" + name + ".gguf"))).first;
  return it->second.get();
}

std::vector<Case> read_cases(const std::string& name) {
  std::vector<Case> cases;
  std::ifstream in(tokenizer_dir() / (name + ".jsonl"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    cases.push_back({j.at("text").get<std::string>(), j.at("ids").get<std::vector<TokenId>>(),
                     j.at("ids_special").get<std::vector<TokenId>>()});
  }
  return cases;
}

std::string ids_text(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

class VocabTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    CORRAL_REQUIRE_FIXTURE(tokenizer_dir() / (GetParam() + ".jsonl"));
    CORRAL_REQUIRE_FIXTURE(tokenizer_dir() / ("ggml-vocab-" + GetParam() + ".gguf"));
    tok_ = vocab_tokenizer(GetParam());
    ASSERT_NE(tok_, nullptr);
    cases_ = read_cases(GetParam());
    ASSERT_EQ(cases_.size(), 163u);
  }
  const Tokenizer* tok_ = nullptr;
  std::vector<Case> cases_;
};

// Every mismatching line is reported with its text, the expected and the produced ids.
void check_ids(const Tokenizer& tok, const std::vector<Case>& cases, bool parse_special) {
  size_t passed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const auto& expected = parse_special ? c.ids_special : c.ids;
    auto got = tok.encode(c.text, {.add_special = true, .parse_special = parse_special});
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    if (*got == expected) {
      ++passed;
    } else {
      ADD_FAILURE() << "line " << i + 1 << ": text " << nlohmann::json(c.text).dump() << "\n  expected "
                    << ids_text(expected) << "\n  got      " << ids_text(*got);
    }
  }
  std::cout << "[ " << passed << " / " << cases.size() << " ] " << (parse_special ? "ids_special" : "ids")
            << " equal\n";
}

// decode(encode(text)) == text. BOS is not added (llama.cpp keeps the SPM prefix space when it
// removes a BOS) and the lossy space clean-up is off. Texts holding the UNK token are skipped.
void check_round_trip(const Tokenizer& tok, const std::vector<Case>& cases) {
  size_t checked = 0;
  for (const Case& c : cases) {
    auto ids = tok.encode(c.text, {.add_special = false, .parse_special = false});
    ASSERT_TRUE(ids.ok());
    const TokenId unk = tok.config().unk;
    if (unk != kNoToken && std::find(ids->begin(), ids->end(), unk) != ids->end()) continue;
    ++checked;
    EXPECT_EQ(tok.decode(*ids, {.clean_spaces = false}), c.text) << "ids " << ids_text(*ids);
  }
  EXPECT_EQ(checked, cases.size());
}

// Streaming output concatenates to the one-shot decode, and no chunk ends inside a character.
void check_streaming(const Tokenizer& tok, const std::vector<Case>& cases) {
  size_t held = 0;
  for (bool render : {false, true}) {
    for (const Case& c : cases) {
      StreamDecoder stream(tok, render);
      std::string streamed;
      for (TokenId id : c.ids_special) {
        std::string chunk = stream.push(id);
        EXPECT_TRUE(is_valid_utf8(chunk)) << nlohmann::json(c.text).dump();
        held += stream.held_bytes() > 0;
        streamed += chunk;
      }
      streamed += stream.flush();
      const std::string one_shot =
          tok.decode(c.ids_special, {.render_special = render, .strip_prefix_space = false, .clean_spaces = false});
      EXPECT_EQ(streamed, one_shot) << nlohmann::json(c.text).dump();
    }
  }
  // The texts include characters split over several tokens, so some bytes must have been held.
  EXPECT_GT(held, 0u);
}

// One test per vocabulary (each process loads it once): ids in both modes, decode round trip,
// streaming decoder.
TEST_P(VocabTest, MatchesLlamaCpp) {
  {
    SCOPED_TRACE("ids (add_special, no special parsing)");
    check_ids(*tok_, cases_, false);
  }
  {
    SCOPED_TRACE("ids_special (add_special, special parsing)");
    check_ids(*tok_, cases_, true);
  }
  {
    SCOPED_TRACE("decode(encode(text)) == text");
    check_round_trip(*tok_, cases_);
  }
  {
    SCOPED_TRACE("streaming decoder == one-shot decode");
    check_streaming(*tok_, cases_);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VocabTest, ::testing::Values("llama3", "qwen3", "gemma3", "llama2"),
                         [](const auto& param_info) { return param_info.param; });

TEST(Aidreams260K, ReferencePrompts) {
  const auto model = corral::testing::fixtures_dir() / "models" / "aidreams260K.gguf";
  const auto reference = corral::testing::fixtures_dir() / "reference" / "aidreams260K" / "greedy.json";
  CORRAL_REQUIRE_FIXTURE(model);
  CORRAL_REQUIRE_FIXTURE(reference);
  auto tok = load_tokenizer(model);
  ASSERT_NE(tok, nullptr);
  auto j = nlohmann::json::parse(corral::testing::read_file(reference));
  ASSERT_EQ(j.at("prompts").size(), 3u);
  for (const auto& p : j.at("prompts")) {
    auto ids = tok->encode(p.at("prompt").get<std::string>());
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, p.at("prompt_ids").get<std::vector<TokenId>>()) << p.at("prompt");
  }
}

// Every reference model's token sequences are the first N ids of llama.cpp's tokenization of a
// source text (BOS added): checks the truncated "v4k" vocabularies, phi-3's included.
TEST(ModelFixtures, SequencesArePrefixesOfTheSourceTokenization) {
  const auto reference = corral::testing::fixtures_dir() / "reference";
  CORRAL_REQUIRE_FIXTURE(reference);
  size_t models = 0;
  for (const auto& dir : std::filesystem::directory_iterator(reference)) {
    const auto seqs_path = dir.path() / "seqs.json";
    if (!std::filesystem::exists(seqs_path)) continue;
    auto j = nlohmann::json::parse(corral::testing::read_file(seqs_path));
    auto tok = load_tokenizer(corral::testing::fixtures_dir() / "models" / j.at("model").get<std::string>());
    ASSERT_NE(tok, nullptr) << seqs_path;
    EXPECT_EQ(tok->config().add_bos, j.at("add_bos").get<bool>()) << seqs_path;
    for (const auto& [name, expected_json] : j.at("sequences").items()) {
      const auto expected = expected_json.get<std::vector<TokenId>>();
      auto ids = tok->encode(j.at("source_text").at(name).get<std::string>());
      ASSERT_TRUE(ids.ok());
      ASSERT_GE(ids->size(), expected.size()) << seqs_path << " " << name;
      EXPECT_EQ(std::vector<TokenId>(ids->begin(), ids->begin() + static_cast<std::ptrdiff_t>(expected.size())),
                expected)
          << seqs_path << " " << name;
    }
    ++models;
  }
  EXPECT_GE(models, 18u);
}

TEST(DebugTokenizeFixture, Llama3HelloWorld) {
  const auto vocab = tokenizer_dir() / "ggml-vocab-llama3.gguf";
  CORRAL_REQUIRE_FIXTURE(vocab);
  auto r = corral::testing::run_corral("debug tokenize '" + vocab.string() +
                                       "' --text 'Hello world<|eot_id|>' --parse-special");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "128000 9906 1917 128009\n");
}

}  // namespace
}  // namespace corral
