// Placement on a synthetic Llama-3.2-1B-shaped model (no file needed): everything fits, split
// across GPUs by free memory, num_gpu 0 and 3, nothing fits, a huge num_ctx pushing layers to the
// CPU with the reason, and the largest-num_ctx search (monotonic, exact at the boundary).
#include "sched/placement.h"

#include <gtest/gtest.h>

namespace corral::sched {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

// Llama 3.2 1B shapes with Q4_K_M-like sizes (about 50 MiB of weights per layer).
ModelShape llama_1b() {
  ModelShape s;
  s.info.arch = "llama";
  s.info.n_vocab = 128256;
  s.info.n_embd = 2048;
  s.info.n_layer = 16;
  s.info.n_ctx_train = 131072;
  s.info.n_head = 32;
  s.info.n_head_kv = 8;
  s.info.head_dim = 64;
  s.info.n_ff = 8192;
  s.info.windows.assign(16, 0);
  s.layer_weights.assign(16, 50ull << 20);
  s.token_embd = 205ull << 20;
  s.output = s.token_embd + 8192;
  s.output_tied = true;
  return s;
}

Device cpu() {
  return {"CPU", "cpu", "cpu", "", DeviceKind::kCpu, 24 * kGiB, 20 * kGiB, 2};
}

Device gpu(int i, uint64_t free) {
  return {"GPU" + std::to_string(i), "hypothetical", "hypothetical", "", DeviceKind::kGpu, free, free, 0};
}

int64_t count_on(const Placement& p, size_t device) {
  int64_t n = 0;
  for (size_t d : p.layer_device) n += d == device;
  return n;
}

// GPU layers form one range ending at the last layer on each device, and no device is overfull.
void expect_consistent(const Placement& p, const Estimate& e) {
  const int64_t n = static_cast<int64_t>(p.layer_device.size());
  bool cpu_seen = false;
  for (int64_t l = n - 1; l >= 0; --l) {
    if (p.layer_device[l] == 0)
      cpu_seen = true;
    else
      EXPECT_FALSE(cpu_seen) << "GPU layer " << l << " below a CPU layer";
    EXPECT_FALSE(p.layer_reason[l].empty());
  }
  for (size_t d = 1; d < p.devices.size(); ++d) EXPECT_LE(p.devices[d].total(), p.devices[d].device.free);
  uint64_t sum = 0;
  for (const DevicePlan& d : p.devices) sum += d.weights;
  EXPECT_EQ(sum, e.weights_total() + (p.output_device != 0 && e.output_tied ? e.token_embd : 0));
}

TEST(PlacementTest, EverythingFitsOnOneGpu) {
  const Estimate e = estimate(llama_1b(), {4096, 1, 512, nn::KvCacheType::kF16});
  const Placement p = place(e, cpu(), {gpu(0, 8 * kGiB)}, {});
  EXPECT_TRUE(p.all_on_gpu());
  EXPECT_EQ(p.layers_on_gpu, 16);
  EXPECT_EQ(p.output_device, 1u);
  EXPECT_NE(p.layer_reason[0].find("layer 0 on GPU0"), std::string::npos) << p.layer_reason[0];
  expect_consistent(p, e);
}

TEST(PlacementTest, SplitsAcrossGpusByFreeMemory) {
  const Estimate e = estimate(llama_1b(), {4096, 1, 512, nn::KvCacheType::kF16});
  const Placement p = place(e, cpu(), {gpu(0, 6 * kGiB), gpu(1, 3 * kGiB)}, {});
  EXPECT_TRUE(p.all_on_gpu());
  const int64_t a = count_on(p, 1), b = count_on(p, 2);
  EXPECT_EQ(a + b, 16);
  EXPECT_GT(b, 0) << "the second GPU gets a share";
  EXPECT_GT(a, b) << "the GPU with more free memory gets more layers";
  expect_consistent(p, e);
}

TEST(PlacementTest, NumGpuZeroIsCpuOnly) {
  const Estimate e = estimate(llama_1b(), {4096, 1, 512, nn::KvCacheType::kF16});
  const Placement p = place(e, cpu(), {gpu(0, 8 * kGiB)}, {.num_gpu = 0});
  EXPECT_EQ(p.layers_on_gpu, 0);
  EXPECT_EQ(p.output_device, 0u);
  EXPECT_TRUE(p.fits_in_ram);
  EXPECT_EQ(p.devices[1].total(), 0u);
  expect_consistent(p, e);
}

TEST(PlacementTest, NumGpuThreeTakesTheLastThreeLayers) {
  const Estimate e = estimate(llama_1b(), {4096, 1, 512, nn::KvCacheType::kF16});
  const Placement p = place(e, cpu(), {gpu(0, 8 * kGiB)}, {.num_gpu = 3});
  EXPECT_EQ(p.layers_on_gpu, 3);
  for (int64_t l = 0; l < 16; ++l) EXPECT_EQ(p.layer_device[l], l >= 13 ? 1u : 0u) << l;
  EXPECT_NE(p.layer_reason[12].find("num_gpu=3"), std::string::npos) << p.layer_reason[12];
  expect_consistent(p, e);
}

TEST(PlacementTest, NothingFitsOnATinyGpu) {
  const Estimate e = estimate(llama_1b(), {4096, 1, 512, nn::KvCacheType::kF16});
  const Placement p = place(e, cpu(), {gpu(0, 300ull << 20)}, {});
  EXPECT_EQ(p.layers_on_gpu, 0);
  ASSERT_FALSE(p.notes.empty());
  EXPECT_NE(p.notes[0].find("GPU0 skipped"), std::string::npos) << p.notes[0];
  expect_consistent(p, e);
}

TEST(PlacementTest, OneGibSplitsWithReasons) {
  const Estimate e = estimate(llama_1b(), {4096, 1, 512, nn::KvCacheType::kF16});
  const Placement p = place(e, cpu(), {gpu(0, kGiB)}, {});
  EXPECT_GT(p.layers_on_gpu, 0);
  EXPECT_LT(p.layers_on_gpu, 16);
  const int64_t first_cpu = 15 - p.layers_on_gpu;
  EXPECT_NE(p.layer_reason[first_cpu].find("stays on CPU"), std::string::npos);
  EXPECT_NE(p.layer_reason[first_cpu].find("GPU0 has"), std::string::npos) << p.layer_reason[first_cpu];
  expect_consistent(p, e);
}

TEST(PlacementTest, HugeContextFlipsLayersToCpuAndSaysWhy) {
  const Estimate e = estimate(llama_1b(), {131072, 1, 512, nn::KvCacheType::kF16});
  // 131072 cells x 512 x 2 bytes x 2 (K, V) + positions = 256.5 MiB per layer.
  EXPECT_EQ(e.layers[0].kv, 131072ull * 512 * 2 * 2 + 131072 * 4);
  const Placement p = place(e, cpu(), {gpu(0, 3 * kGiB)}, {});
  EXPECT_LT(p.layers_on_gpu, 16);
  const std::string& why = p.layer_reason[15 - p.layers_on_gpu];
  EXPECT_NE(why.find("KV cache for num_ctx=131072 needs 256.5 MiB"), std::string::npos) << why;
  expect_consistent(p, e);
}

TEST(PlacementTest, CpuOnlyReportsShortRam) {
  const Estimate e = estimate(llama_1b(), {131072, 4, 512, nn::KvCacheType::kF32});
  Device small = cpu();
  small.free = 2 * kGiB;
  const Placement p = place(e, small, {}, {});
  EXPECT_FALSE(p.fits_in_ram);
  bool said = false;
  for (const std::string& n : p.notes) said = said || n.find("only 2.0 GiB is available") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(LargestCtxTest, MonotonicAndExactAtTheBoundary) {
  const ModelShape s = llama_1b();
  const EstimateOptions o{4096, 1, 512, nn::KvCacheType::kF16};
  int64_t previous = 0;
  for (uint64_t free : {1 * kGiB, 2 * kGiB, 3 * kGiB, 5 * kGiB, 8 * kGiB}) {
    const std::vector<Device> gpus = {gpu(0, free)};
    const int64_t n = largest_gpu_ctx(s, o, cpu(), gpus, {});
    EXPECT_GE(n, previous) << free;
    previous = n;
    auto fits = [&](int64_t ctx) {
      EstimateOptions x = o;
      x.num_ctx = ctx;
      return place(estimate(s, x), cpu(), gpus, {}).all_on_gpu();
    };
    if (n == 0) {
      EXPECT_FALSE(fits(1));
    } else if (n < s.info.n_ctx_train) {
      EXPECT_TRUE(fits(n)) << free;
      EXPECT_FALSE(fits(n + 1)) << free;
    } else {
      EXPECT_TRUE(fits(n));
    }
  }
  EXPECT_GT(previous, 0);
  EXPECT_EQ(largest_gpu_ctx(s, o, cpu(), {}, {}), 0);
  EXPECT_EQ(largest_gpu_ctx(s, o, cpu(), {gpu(0, 400ull << 20)}, {}), 0);
}

}  // namespace
}  // namespace corral::sched
