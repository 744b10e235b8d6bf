// `corral debug tokenize` / `detokenize` on a synthetic vocabulary: output format, exact round
// trip through a file, and the error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "synthetic_vocab.h"
#include "testing/testing.h"

namespace corral {
namespace {

using ::testing::HasSubstr;

std::filesystem::path write_spm_vocab(const corral::testing::TempDir& dir) {
  corral::testing::SyntheticVocab v(
      "llama", corral::testing::spm_tokens(
                   {{"▁"}, {"H"}, {"i"}, {"▁H", -1}, {"▁Hi", -0.5f}, {"<eot>", 0, TokenType::kControl}}));
  auto path = dir / "vocab.gguf";
  EXPECT_TRUE(v.writer.write_file(path).ok());
  return path;
}

std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

TEST(DebugTokenizeCommand, PrintsIdsOnOneLine) {
  corral::testing::TempDir dir;
  const auto vocab = quoted(write_spm_vocab(dir));
  auto r = corral::testing::run_corral("debug tokenize " + vocab + " --text 'Hi<eot>'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 263 63 104 114 119 65\n");  // BOS ▁Hi, then <eot> spelled in bytes
  r = corral::testing::run_corral("debug tokenize " + vocab + " --text 'Hi<eot>' --parse-special --no-add-special");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "263 264\n");
  r = corral::testing::run_corral("debug tokenize " + vocab + " --text ''");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

TEST(DebugTokenizeCommand, RoundTripsAFileExactly) {
  corral::testing::TempDir dir;
  const auto vocab = quoted(write_spm_vocab(dir));
  const std::string text = " Hi  é\n\tHi\n";
  { std::ofstream(dir / "in.txt", std::ios::binary) << text; }
  auto ids = corral::testing::run_corral("debug tokenize " + vocab + " --text-file " + quoted(dir / "in.txt"));
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  ASSERT_FALSE(ids.out.empty());
  ids.out.pop_back();  // the newline
  auto back = corral::testing::run_corral("debug detokenize " + vocab + " --tokens '" + ids.out + "'");
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, text);
  auto shown = corral::testing::run_corral("debug detokenize " + vocab + " --tokens '1 263 264' --render-special");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "<s> Hi<eot>");
}

TEST(DebugTokenizeCommand, Errors) {
  corral::testing::TempDir dir;
  const auto vocab = quoted(write_spm_vocab(dir));
  auto r = corral::testing::run_corral("debug detokenize " + vocab + " --tokens '1 265'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error: --tokens: token id 265 is not in the vocabulary (ids 0 to 264)"));
  r = corral::testing::run_corral("debug detokenize " + vocab + " --tokens '1 two'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("\"two\" is not a token id"));

  GgufWriter w;
  w.set("general.architecture", "llama");
  ASSERT_TRUE(w.write_file(dir / "bare.gguf").ok());
  r = corral::testing::run_corral("debug tokenize " + quoted(dir / "bare.gguf") + " --text hi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no tokenizer"));
  r = corral::testing::run_corral("debug tokenize " + vocab);
  EXPECT_EQ(r.exit_code, 2);
  r = corral::testing::run_corral("debug tokenize " + vocab + " --text a --text-file x");
  EXPECT_NE(r.exit_code, 0);
}

TEST(DebugTokenizeCommand, UnknownPreTokenizerWarnsOnce) {
  corral::testing::TempDir dir;
  corral::testing::SyntheticVocab v("gpt2", corral::testing::bpe_tokens({}));
  v.writer.set("tokenizer.ggml.pre", "no-such-pre");
  v.writer.set("tokenizer.ggml.merges", make_string_array({}));
  ASSERT_TRUE(v.writer.write_file(dir / "bpe.gguf").ok());
  auto r = corral::testing::run_corral("debug tokenize " + quoted(dir / "bpe.gguf") + " --text 'ab 12'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "97 98 32 49 50\n");  // default rules; no merges, so one token per byte
  const std::string warning = "unknown pre-tokenizer no-such-pre";
  ASSERT_THAT(r.err, HasSubstr(warning));
  EXPECT_EQ(r.err.find(warning), r.err.rfind(warning));
}

}  // namespace
}  // namespace corral
