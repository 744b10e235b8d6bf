// `corral debug synth`: the tiny preset with and without --vocab (the tokenizer metadata copied, the
// embedding sized to the vocabulary, the file runnable by corral's tokenizer and engine), Llama 3's
// rope factors, and its errors. The 1B/3B presets write hundreds of MB, so they are checked by hand
// against llama.cpp (docs/architecture.md, "Kernels"), not here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "testing/testing.h"

namespace corral {
namespace {

using ::testing::HasSubstr;

std::filesystem::path vocab_model() {
  return testing::fixtures_dir() / "models" / "llama-tiny-llama3v4k-f32.gguf";
}

std::vector<float> rope_freqs(const GgufFile& f) {
  const GgufTensor* t = f.find_tensor("rope_freqs.weight");
  if (!t) return {};
  std::vector<float> v(t->n_elements());
  std::memcpy(v.data(), t->data.data(), v.size() * sizeof(float));
  return v;
}

TEST(DebugSynthCommand, VocabCopiesTheTokenizerAndSizesTheEmbedding) {
  CORRAL_REQUIRE_FIXTURE(vocab_model());
  testing::TempDir dir;
  const auto out = dir / "synth.gguf";
  auto r = testing::run_corral("debug synth --preset tiny --type q8_0 --vocab " + vocab_model().string() + " -o " +
                               out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto file = GgufFile::open(out);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  auto source = GgufFile::open(vocab_model());
  ASSERT_TRUE(source.ok());
  int copied = 0;
  for (const auto& [key, value] : source->metadata().entries()) {
    if (!key.starts_with("tokenizer.")) continue;
    const GgufValue* got = file->metadata().find(key);
    ASSERT_NE(got, nullptr) << key;
    EXPECT_TRUE(*got == value) << key;
    ++copied;
  }
  EXPECT_GE(copied, 5);
  const GgufTensor* embd = file->find_tensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->shape(), (std::vector<int64_t>{256, 4101}));
  EXPECT_EQ(file->metadata().get_uint("llama.vocab_size"), 4101u);
  EXPECT_EQ(file->find_tensor("output.weight"), nullptr);  // tied, as Llama 3.2

  // The same text gives the same ids under both files, and the model runs.
  const std::string text = " --text 'Hello, synthetic world'";
  auto a = testing::run_corral("debug tokenize " + vocab_model().string() + text);
  auto b = testing::run_corral("debug tokenize " + out.string() + text);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  auto g = testing::run_corral("debug generate " + out.string() + " --tokens '1 2 3' -n 3 --ignore-eos --threads 1");
  ASSERT_EQ(g.exit_code, 0) << g.err;
}

TEST(DebugSynthCommand, WithoutVocabHasNoTokenizerAndLlama3RopeFactors) {
  testing::TempDir dir;
  const auto out = dir / "synth.gguf";
  auto r = testing::run_corral("debug synth --preset tiny --type q4_k_m -o " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto file = GgufFile::open(out);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  for (const auto& [key, value] : file->metadata().entries()) EXPECT_FALSE(key.starts_with("tokenizer.")) << key;
  EXPECT_EQ(file->find_tensor("token_embd.weight")->shape(), (std::vector<int64_t>{256, 4096}));
  EXPECT_EQ(file->find_tensor("token_embd.weight")->type, GgmlType::kQ6_K);
  EXPECT_EQ(file->find_tensor("blk.0.attn_q.weight")->type, GgmlType::kQ4_K);
  // head_dim 64: Llama 3.2 1B's rope_freqs.weight as its converter wrote it.
  std::vector<float> expected(15, 1.f);
  for (float f : {1.6513292789459229f, 3.292262077331543f, 9.666728973388672f}) expected.push_back(f);
  expected.resize(32, 32.f);
  EXPECT_EQ(rope_freqs(*file), expected);
}

TEST(DebugSynthCommand, RejectsUnknownPresetsAndFilesWithoutTokens) {
  testing::TempDir dir;
  auto r = testing::run_corral("debug synth --preset llama-70b -o " + (dir / "x.gguf").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown preset \"llama-70b\" (known: llama-1b, llama-3b, tiny)"));
  // A GGUF without tokenizer.ggml.tokens: the synth output of the previous line's kind.
  const auto plain = dir / "plain.gguf";
  ASSERT_EQ(testing::run_corral("debug synth --preset tiny --type q8_0 -o " + plain.string()).exit_code, 0);
  r = testing::run_corral("debug synth --preset tiny --vocab " + plain.string() + " -o " + (dir / "y.gguf").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no tokenizer.ggml.tokens array"));
  EXPECT_FALSE(std::filesystem::exists(dir / "y.gguf"));
}

}  // namespace
}  // namespace corral
