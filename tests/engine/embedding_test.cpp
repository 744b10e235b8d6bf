// Embeddings: the pooling math against a plain computation, the hidden states against the logits
// (the head applied by hand to the hidden states gives the engine's logits), the GGUF pooling
// key, and that an embedding leaves its slot empty.
#include "engine/embedding.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "testing/testing.h"
#include "testing/tiny_model.h"

namespace corral::engine {
namespace {

TEST(Pooling, MeanClsLastThenUnitLength) {
  // 3 tokens x 2 dims.
  const std::vector<float> h = {1, 2, 3, 4, 5, 12};
  const auto mean = pool(h, 3, 2, Pooling::kMean);  // (3, 6) / sqrt(45)
  EXPECT_NEAR(mean[0], 3 / std::sqrt(45.0), 1e-7);
  EXPECT_NEAR(mean[1], 6 / std::sqrt(45.0), 1e-7);
  const auto cls = pool(h, 3, 2, Pooling::kCls);  // (1, 2) / sqrt(5)
  EXPECT_NEAR(cls[0], 1 / std::sqrt(5.0), 1e-7);
  EXPECT_NEAR(cls[1], 2 / std::sqrt(5.0), 1e-7);
  const auto last = pool(h, 3, 2, Pooling::kLast);  // (5, 12) / 13
  EXPECT_NEAR(last[0], 5 / 13.0, 1e-7);
  EXPECT_NEAR(last[1], 12 / 13.0, 1e-7);
  std::vector<float> zero = {0, 0};
  l2_normalize(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));
}

Result<Pooling> pooling_with(std::optional<int64_t> value) {
  GgufWriter w;
  w.set("general.architecture", "llama");
  if (value) w.set("llama.pooling_type", static_cast<uint32_t>(*value));
  static std::vector<std::byte> bytes;  // the parsed file views them
  bytes = *w.serialize();
  auto file = GgufFile::parse(bytes, "p.gguf");
  EXPECT_TRUE(file.ok());
  return pooling_of(file->metadata(), "llama");
}

TEST(Pooling, ReadFromGgufAbsentOrNoneMeansMean) {
  EXPECT_EQ(*pooling_with(std::nullopt), Pooling::kMean);
  EXPECT_EQ(*pooling_with(0), Pooling::kMean);
  EXPECT_EQ(*pooling_with(1), Pooling::kMean);
  EXPECT_EQ(*pooling_with(2), Pooling::kCls);
  EXPECT_EQ(*pooling_with(3), Pooling::kLast);
  auto rank = pooling_with(4);
  ASSERT_FALSE(rank.ok());
  EXPECT_NE(rank.error().to_string().find("not supported"), std::string::npos);
}

class EngineEmbedding : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_tiny_model(dir_ / "tiny.gguf");
    EngineOptions o;
    o.num_ctx = 64;
    o.num_batch = 4;  // several chunks per input
    o.num_parallel = 2;
    o.num_threads = 1;
    auto e = Engine::load(dir_ / "tiny.gguf", o);
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine_ = std::move(e).value();
  }
  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineEmbedding, HiddenStatesAreWhatTheHeadTurnsIntoLogits) {
  const std::vector<int32_t> toks = {1, 260, 265, 270, 290, 261, 262};
  auto hidden = engine_->hidden_states(1, toks);
  ASSERT_TRUE(hidden.ok()) << hidden.error().to_string();
  const int64_t d = engine_->info().n_embd, vocab = engine_->n_vocab();
  ASSERT_EQ(hidden->size(), toks.size() * d);
  EXPECT_EQ(engine_->length(1), 0);  // the slot is empty again
  auto logits = engine_->evaluate(0, toks, true);
  ASSERT_TRUE(logits.ok());
  const GgufTensor* out = engine_->file().find_tensor("output.weight");
  ASSERT_NE(out, nullptr);
  const auto* w = reinterpret_cast<const float*>(out->data.data());
  float scale = 0, diff = 0;
  for (size_t t = 0; t < toks.size(); ++t)
    for (int64_t v = 0; v < vocab; ++v) {
      double dot = 0;
      for (int64_t i = 0; i < d; ++i) dot += static_cast<double>(w[v * d + i]) * (*hidden)[t * d + i];
      const float want = (*logits)[t * vocab + v];
      scale = std::max(scale, std::fabs(want));
      diff = std::max(diff, std::fabs(static_cast<float>(dot) - want));
    }
  EXPECT_GT(scale, 0.f);
  EXPECT_LE(diff, 1e-4f * scale);  // float dot products in another order
}

TEST_F(EngineEmbedding, EmbedIsThePooledHiddenStatesAndRepeats) {
  const std::vector<int32_t> toks = {1, 266, 267, 268, 269, 270};
  ASSERT_TRUE(engine_->prompt(0, toks).ok());  // slot 0 busy with a sequence: untouched
  auto hidden = engine_->hidden_states(1, toks);
  ASSERT_TRUE(hidden.ok());
  auto e1 = engine_->embed(1, toks);
  auto e2 = engine_->embed(1, toks);
  ASSERT_TRUE(e1.ok() && e2.ok());
  EXPECT_EQ(*e1, *e2);
  const int64_t d = engine_->info().n_embd;
  std::vector<double> mean(d, 0.0);
  for (size_t t = 0; t < toks.size(); ++t)
    for (int64_t i = 0; i < d; ++i) mean[i] += (*hidden)[t * d + i] / static_cast<double>(toks.size());
  double norm = 0;
  for (double v : mean) norm += v * v;
  norm = std::sqrt(norm);
  double unit = 0;
  for (int64_t i = 0; i < d; ++i) {
    EXPECT_NEAR((*e1)[i], mean[i] / norm, 1e-6) << i;
    unit += (*e1)[i] * (*e1)[i];
  }
  EXPECT_NEAR(unit, 1.0, 1e-5);
  EXPECT_EQ(engine_->length(0), static_cast<int32_t>(toks.size()));
  EXPECT_EQ(engine_->length(1), 0);
}

}  // namespace
}  // namespace corral::engine
