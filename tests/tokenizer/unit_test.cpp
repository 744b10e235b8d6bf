// Tokenizer behaviour on tiny synthetic vocabularies: SPM scores and byte fallback, BPE merge ranks,
// special-token matching, control-token hiding, the streaming decoder, pre-tokenizer regexes,
// detokenizer clean-up and load errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "synthetic_vocab.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/unicode.h"

namespace corral {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::spm_byte;
using testing::SyntheticVocab;
using testing::VocabToken;

constexpr TokenId kX = testing::kSpmFirstExtra;  // first id after the SPM byte tokens

std::unique_ptr<Tokenizer> must_load(SyntheticVocab& v) {
  auto tok = v.load();
  EXPECT_TRUE(tok.ok()) << tok.error().to_string();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

std::vector<TokenId> must_encode(const Tokenizer& tok, std::string_view text, EncodeOptions opts = {}) {
  auto ids = tok.encode(text, opts);
  EXPECT_TRUE(ids.ok()) << ids.error().to_string();
  return ids.ok() ? *ids : std::vector<TokenId>{};
}

// ---- SentencePiece ------------------------------------------------------------------------------

TEST(SpmTokenizer, MergesByScoreAndFallsBackToBytes) {
  SyntheticVocab v("llama", testing::spm_tokens({{"▁"}, {"a"}, {"b"}, {"▁a", -1}, {"ab", -2}, {"▁ab", -0.5f}}));
  auto tok = must_load(v);
  ASSERT_NE(tok, nullptr);
  // "▁ab▁é": ▁a (-1) before ab (-2), then ▁ab; é is not a token, so its two UTF-8 bytes are spelled.
  EXPECT_THAT(must_encode(*tok, "ab é"), ElementsAre(1, kX + 5, kX + 0, spm_byte(0xC3), spm_byte(0xA9)));
  EXPECT_EQ(tok->decode(must_encode(*tok, "ab é", {.add_special = false})), "ab é");
  // With the BOS in front, llama.cpp keeps the prefix space.
  EXPECT_EQ(tok->decode(must_encode(*tok, "ab é")), " ab é");
}

TEST(SpmTokenizer, HighestScoreWinsAndTiesGoLeft) {
  auto encode_abc = [](float ab, float bc) {
    SyntheticVocab v("llama", testing::spm_tokens({{"a"}, {"b"}, {"c"}, {"ab", ab}, {"bc", bc}}));
    v.writer.set("tokenizer.ggml.add_space_prefix", false);
    v.writer.set("tokenizer.ggml.add_bos_token", false);
    auto tok = must_load(v);
    return tok ? must_encode(*tok, "abc") : std::vector<TokenId>{};
  };
  EXPECT_THAT(encode_abc(-1, -2), ElementsAre(kX + 3, kX + 2));  // ab c
  EXPECT_THAT(encode_abc(-2, -1), ElementsAre(kX + 0, kX + 4));  // a bc
  EXPECT_THAT(encode_abc(-1, -1), ElementsAre(kX + 3, kX + 2));  // tie: leftmost pair
}

TEST(SpmTokenizer, MissingByteTokenIsAnError) {
  SyntheticVocab v("llama", {{"<unk>", 0, TokenType::kUnknown},
                             {"<s>", 0, TokenType::kControl},
                             {"</s>", 0, TokenType::kControl},
                             {"▁"},
                             {"a"}});
  auto tok = must_load(v);
  ASSERT_NE(tok, nullptr);
  auto ids = tok->encode("aé");
  ASSERT_FALSE(ids.ok());
  EXPECT_THAT(ids.error().to_string(), HasSubstr("0xC3"));
}

// ---- Byte-level BPE -----------------------------------------------------------------------------

TEST(BpeTokenizer, LowestMergeRankFirst) {
  auto encode_abc = [](std::vector<std::string> merges) {
    SyntheticVocab v("gpt2", testing::bpe_tokens({{"ab"}, {"bc"}, {"abc"}}));
    v.writer.set("tokenizer.ggml.pre", "gpt-2");
    v.writer.set("tokenizer.ggml.merges", make_string_array(std::move(merges)));
    auto tok = must_load(v);
    return tok ? must_encode(*tok, "abc") : std::vector<TokenId>{};
  };
  EXPECT_THAT(encode_abc({"b c", "a bc"}), ElementsAre(258));              // bc, then abc
  EXPECT_THAT(encode_abc({"a b", "b c", "a bc"}), ElementsAre(256, 'c'));  // ab, then no (ab, c) merge
  EXPECT_THAT(encode_abc({}), ElementsAre('a', 'b', 'c'));
}

TEST(BpeTokenizer, SpellsBytesInGpt2Alphabet) {
  SyntheticVocab v("gpt2", testing::bpe_tokens({{"Ġa"}}));
  v.writer.set("tokenizer.ggml.pre", "gpt-2");
  v.writer.set("tokenizer.ggml.merges", make_string_array({"Ġ a"}));
  auto tok = must_load(v);
  ASSERT_NE(tok, nullptr);
  EXPECT_THAT(must_encode(*tok, "a a\n"), ElementsAre('a', 256, '\n'));
  // Invalid UTF-8 is read as U+FFFD, as llama.cpp does.
  EXPECT_THAT(must_encode(*tok, "\xFF"), ElementsAre(0xEF, 0xBF, 0xBD));
  EXPECT_EQ(tok->decode(must_encode(*tok, "a a\n")), "a a\n");
}

TEST(BpeTokenizer, UnknownPreTokenizerUsesDefaultRules) {
  SyntheticVocab v("gpt2", testing::bpe_tokens({}));
  v.writer.set("tokenizer.ggml.pre", "no-such-pre-tokenizer");
  v.writer.set("tokenizer.ggml.merges", make_string_array({}));
  auto tok = must_load(v);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->config().pre, "no-such-pre-tokenizer");
  EXPECT_THAT(must_encode(*tok, "a1"), ElementsAre('a', '1'));
}

TEST(BpeTokenizer, CleanSpacesOnDecodeOnly) {
  SyntheticVocab v("gpt2", testing::bpe_tokens({}));
  v.writer.set("tokenizer.ggml.pre", "gpt-2");  // clean-up on
  v.writer.set("tokenizer.ggml.merges", make_string_array({}));
  auto tok = must_load(v);
  ASSERT_NE(tok, nullptr);
  const std::string text = "Hello , world ! it 's ' quoted ' don 't";
  auto ids = must_encode(*tok, text);
  // llama.cpp's three passes: " ," and " !" lose the space; " ' " becomes "'"; " 's" loses the
  // space but " 't" keeps it.
  EXPECT_EQ(tok->decode(ids), "Hello, world! it's'quoted'don 't");
  EXPECT_EQ(tok->decode(ids, {.clean_spaces = false}), text);
}

// ---- Special tokens -----------------------------------------------------------------------------

std::unique_ptr<Tokenizer> special_vocab(SyntheticVocab& v) {
  v.writer.set("tokenizer.ggml.add_space_prefix", false);
  v.writer.set("tokenizer.ggml.add_bos_token", false);
  return must_load(v);
}

TEST(SpecialTokens, LongestUserDefinedMatchFirstInBothModes) {
  SyntheticVocab v(
      "llama",
      testing::spm_tokens({{"a"}, {"b"}, {"<x>", 0, TokenType::kUserDefined}, {"<x><y>", 0, TokenType::kUserDefined}}));
  auto tok = special_vocab(v);
  ASSERT_NE(tok, nullptr);
  for (bool parse : {false, true})
    EXPECT_THAT(must_encode(*tok, "a<x><y>b<x>", {.parse_special = parse}), ElementsAre(kX, kX + 3, kX + 1, kX + 2));
}

TEST(SpecialTokens, ControlTokensOnlyWithParseSpecial) {
  SyntheticVocab v("llama", testing::spm_tokens({{"a"}, {"<ctl>", 0, TokenType::kControl}}));
  auto tok = special_vocab(v);
  ASSERT_NE(tok, nullptr);
  EXPECT_THAT(must_encode(*tok, "<ctl>a", {.parse_special = true}), ElementsAre(kX + 1, kX));
  EXPECT_THAT(must_encode(*tok, "<ctl>a", {.parse_special = false}),
              ElementsAre(spm_byte('<'), spm_byte('c'), spm_byte('t'), spm_byte('l'), spm_byte('>'), kX));
  // <s> is CONTROL too.
  EXPECT_THAT(must_encode(*tok, "<s>", {.parse_special = true}), ElementsAre(1));
}

TEST(SpecialTokens, ControlTokensHiddenUnlessRendered) {
  SyntheticVocab v("llama", testing::spm_tokens({{"a"}, {"<ctl>", 0, TokenType::kControl}}));
  auto tok = special_vocab(v);
  ASSERT_NE(tok, nullptr);
  const std::vector<TokenId> ids = {kX + 1, kX, 0};
  EXPECT_EQ(tok->decode(ids), "a");
  EXPECT_EQ(tok->decode(ids, {.render_special = true}), "<ctl>a<unk>");
  StreamDecoder hidden(*tok, false), shown(*tok, true);
  EXPECT_EQ(hidden.push(kX + 1), "");
  EXPECT_EQ(shown.push(kX + 1), "<ctl>");
}

TEST(SpecialTokens, EndOfTurnTextsBecomeControlAndEndGeneration) {
  SyntheticVocab v("llama", testing::spm_tokens({{"<|im_end|>"}, {"<end_of_turn>"}}));
  auto tok = must_load(v);
  ASSERT_NE(tok, nullptr);
  EXPECT_TRUE(tok->is_eog(2));  // EOS
  EXPECT_TRUE(tok->is_eog(kX));
  EXPECT_TRUE(tok->is_eog(kX + 1));
  EXPECT_FALSE(tok->is_eog(1));
  EXPECT_EQ(tok->vocab().type(kX), TokenType::kControl);
  EXPECT_EQ(tok->config().eot, kX);  // detected from its text
}

// ---- Streaming decoder --------------------------------------------------------------------------

TEST(StreamDecoder, HoldsCharactersSplitAcrossTokens) {
  SyntheticVocab v("llama", testing::spm_tokens({{"a"}}));
  auto tok = special_vocab(v);
  ASSERT_NE(tok, nullptr);
  StreamDecoder stream(*tok);
  EXPECT_EQ(stream.push(spm_byte(0xF0)), "");
  EXPECT_EQ(stream.push(spm_byte(0x9F)), "");
  EXPECT_EQ(stream.push(spm_byte(0x98)), "");
  EXPECT_EQ(stream.held_bytes(), 3u);
  EXPECT_EQ(stream.push(spm_byte(0x80)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(stream.push(kX), "a");
  EXPECT_EQ(stream.push(spm_byte(0xC3)), "");
  EXPECT_EQ(stream.flush(), "\xC3");  // an unfinished character comes out as is at the end
  // A lead byte followed by a non-continuation byte is not held back.
  EXPECT_EQ(stream.push(spm_byte(0xC3)), "");
  EXPECT_EQ(stream.push(kX),
            "\xC3"
            "a");
}

TEST(Utf8, IncompleteTail) {
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
  EXPECT_EQ(incomplete_utf8_tail("ab"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2\x96"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2\x96\x81"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\x80\x80"), 0u);
  // An invalid byte becomes U+FFFD; an overlong form is decoded (here to U+0000) and re-encoded.
  EXPECT_EQ(sanitize_utf8("a\xFF"
                          "b\xC0\x80"),
            std::string("a\xEF\xBF\xBD"
                        "b\0",
                        6));
  EXPECT_EQ(sanitize_utf8("a\xFF").size(), 4u);
}

// ---- Pre-tokenizers -----------------------------------------------------------------------------

std::vector<std::string> split(std::string_view pre, std::string_view text) {
  const PreTokenizerRules* rules = find_pre_tokenizer(pre);
  EXPECT_NE(rules, nullptr) << pre;
  if (rules == nullptr) return {};
  auto compiled = PreTokenizer::compile(*rules);
  EXPECT_TRUE(compiled.ok()) << compiled.error().to_string();
  std::vector<std::string_view> words;
  compiled->split(text, words);
  return {words.begin(), words.end()};
}

TEST(PreTokenizer, EveryTableEntryCompiles) {
  for (std::string_view name :
       {"default",  "llama-bpe",  "qwen2",      "gpt-2",  "deepseek-llm", "deepseek-coder", "deepseek-v3",
        "gpt-4o",   "smollm",     "tekken",     "falcon", "poro-chat",    "viking",         "chameleon",
        "superbpe", "bailingmoe", "seed-coder", "glm4",   "starcoder",    "kimi-k2"}) {
    const PreTokenizerRules* rules = find_pre_tokenizer(name);
    ASSERT_NE(rules, nullptr) << name;
    auto compiled = PreTokenizer::compile(*rules);
    EXPECT_TRUE(compiled.ok()) << name << ": " << compiled.error().to_string();
  }
  EXPECT_EQ(find_pre_tokenizer("afmoe"), nullptr);  // a hand-written matcher in llama.cpp: not covered
}

TEST(PreTokenizer, Llama3Words) {
  EXPECT_THAT(split("llama-bpe", "Hello world's 12345  \n\nfoo"),
              ElementsAre("Hello", " world", "'s", " ", "123", "45", "  \n\n", "foo"));
  EXPECT_THAT(split("llama-bpe", "x  y\t"), ElementsAre("x", " ", " y", "\t"));
}

TEST(PreTokenizer, KimiSeparatesHanAndFoldsContractions) {
  EXPECT_THAT(split("kimi-k2", "中文abc IT'S 12345"), ElementsAre("中文", "abc", " IT'S", " ", "123", "45"));
}

TEST(PreTokenizer, Qwen2SplitsDigitsOneByOne) {
  EXPECT_THAT(split("qwen2", "a 123"), ElementsAre("a", " ", "1", "2", "3"));
}

TEST(PreTokenizer, EmptyMatchesCutLikeStdRegex) {
  // superbpe's second regex matches only empty strings: digit runs cut in threes from the right.
  EXPECT_THAT(split("superbpe", "x 1234567"), ElementsAre("x ", "1", "234", "567"));
}

TEST(PreTokenizer, TranslationKeepsLlamaCppClasses) {
  EXPECT_EQ(translate_regex(R"(\d\u00B5)"), R"([0-9]\x{B5})");
  EXPECT_EQ(translate_regex(R"(\U0001E900)"), R"(\x{1E900})");
  // llama.cpp's \p{S} lacks '~'.
  EXPECT_EQ(translate_regex(R"([\p{P}\p{S}]+)"), R"((?:(?!~)[\p{P}\p{S}])+)");
  EXPECT_EQ(translate_regex(R"([^\p{L}\p{S}])"), R"((?:~|[^\p{L}\p{S}]))");
  // \s is llama.cpp's whitespace set: U+180E (a PCRE2 \s character) is not in it.
  auto words = split("gpt-2", "a\u180E\u180Eb  c");
  EXPECT_THAT(words, ElementsAre("a", "\u180E\u180E", "b", " ", " c"));
}

// ---- Loading ------------------------------------------------------------------------------------

TEST(TokenizerLoad, Errors) {
  {
    GgufMetadata md;
    auto tok = Tokenizer::from_metadata(md);
    ASSERT_FALSE(tok.ok());
    EXPECT_THAT(tok.error().to_string(), HasSubstr("no tokenizer"));
  }
  {
    SyntheticVocab v("bert", testing::spm_tokens({}));
    auto tok = v.load();
    ASSERT_FALSE(tok.ok());
    EXPECT_THAT(tok.error().to_string(), HasSubstr("\"bert\" is not supported"));
  }
  {
    SyntheticVocab v("gpt2", testing::bpe_tokens({}));
    auto tok = v.load();
    ASSERT_FALSE(tok.ok());
    EXPECT_THAT(tok.error().to_string(), HasSubstr("tokenizer.ggml.merges is missing"));
  }
  {
    SyntheticVocab v("llama", testing::spm_tokens({{"a"}, {"a"}}));
    auto tok = v.load();
    ASSERT_FALSE(tok.ok());
    EXPECT_THAT(tok.error().to_string(), HasSubstr("repeats the text"));
  }
}

}  // namespace
}  // namespace corral
