// The estimate's KV cache and workspace equal what a loaded Engine allocates, byte for byte, for
// full and sliding-window models, several options and all three cache types.
#include "sched/estimate.h"

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "testing/testing.h"

namespace corral::sched {
namespace {

std::string model(const std::string& name) {
  return (testing::fixtures_dir() / "models" / (name + ".gguf")).string();
}

struct Case {
  int64_t ctx, batch;
  int32_t parallel;
  nn::KvCacheType type;
};

class EstimateVsEngineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EstimateVsEngineTest, KvAndWorkspaceAreExact) {
  const std::string path = model(GetParam());
  CORRAL_REQUIRE_FIXTURE(path);
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok());
  auto shape = read_model_shape(*file);
  ASSERT_TRUE(shape.ok()) << shape.error().to_string();
  for (const Case& c : {Case{64, 16, 1, nn::KvCacheType::kF16}, Case{200, 32, 3, nn::KvCacheType::kQ8_0},
                        Case{96, 7, 2, nn::KvCacheType::kF32}, Case{300, 512, 4, nn::KvCacheType::kF16}}) {
    engine::EngineOptions o;
    o.num_ctx = c.ctx;
    o.num_batch = c.batch;
    o.num_parallel = c.parallel;
    o.kv_type = c.type;
    o.num_threads = 1;
    auto e = engine::Engine::load(path, o);
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    const Estimate est = estimate(*shape, {c.ctx, c.parallel, c.batch, c.type});
    EXPECT_FALSE(est.ctx_capped);
    EXPECT_EQ(est.kv_total(), (*e)->kv_bytes()) << GetParam() << " ctx " << c.ctx;
    EXPECT_EQ(est.workspace, (*e)->workspace_bytes()) << GetParam() << " ctx " << c.ctx;
    EXPECT_GT(est.workspace, 0u);
  }
}

TEST_P(EstimateVsEngineTest, WeightsAddUpToTheTensors) {
  const std::string path = model(GetParam());
  CORRAL_REQUIRE_FIXTURE(path);
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok());
  auto shape = read_model_shape(*file);
  ASSERT_TRUE(shape.ok());
  uint64_t tensors = 0;
  for (const GgufTensor& t : file->tensors()) tensors += t.n_bytes;
  const Estimate est = estimate(*shape, {});
  EXPECT_EQ(est.weights_total(), tensors);
  for (const LayerCost& l : est.layers) EXPECT_GT(l.weights, 0u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EstimateVsEngineTest,
                         ::testing::Values("llama-tiny-llama3v4k-f32", "llama-small-llama3v4k-q4_k_m",
                                           "gemma3-tiny-gemma3v4k-f32", "qwen3-tiny-qwen3v4k-f32"));

TEST(EstimateTest, SlidingWindowLayersUseTheirRing) {
  const std::string path = model("gemma3-tiny-gemma3v4k-f32");
  CORRAL_REQUIRE_FIXTURE(path);
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok());
  auto shape = read_model_shape(*file);
  ASSERT_TRUE(shape.ok());
  const int64_t ctx = std::min<int64_t>(shape->info.n_ctx_train, 4096);
  const Estimate est = estimate(*shape, {ctx, 1, 16, nn::KvCacheType::kF16});
  bool any_window = false;
  for (size_t l = 0; l < est.layers.size(); ++l) {
    const int32_t w = shape->info.windows[l];
    if (w > 0 && w + 16 < ctx) {
      any_window = true;
      EXPECT_EQ(est.layers[l].cells, w + 16);
    } else {
      EXPECT_EQ(est.layers[l].cells, ctx);
    }
  }
  EXPECT_TRUE(any_window) << "fixture has no sliding-window layer shorter than " << ctx;
}

TEST(EstimateTest, KvTypeNames) {
  EXPECT_EQ(*parse_kv_type("Q8_0"), nn::KvCacheType::kQ8_0);
  EXPECT_EQ(*parse_kv_type("f16"), nn::KvCacheType::kF16);
  EXPECT_EQ(*parse_kv_type("f32"), nn::KvCacheType::kF32);
  EXPECT_FALSE(parse_kv_type("q4_0").ok());
  EXPECT_EQ(kv_type_name(nn::KvCacheType::kQ8_0), "q8_0");
}

}  // namespace
}  // namespace corral::sched
