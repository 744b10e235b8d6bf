// Visibility variables, /proc/meminfo and cgroup parsing, memory sizes.
#include "sched/devices.h"

#include <gtest/gtest.h>

#include <map>

namespace corral::sched {
namespace {

using Mode = Visibility::Mode;

TEST(VisibilityTest, UnsetMeansAll) {
  EXPECT_EQ(parse_visibility(std::nullopt).mode, Mode::kAll);
}

TEST(VisibilityTest, EmptyQuotesAndMinusOneMeanNone) {
  for (const char* v : {"", "\"\"", "''", "  ", "-1", "\"-1\"", " -1 ", ",", "-1,0", "x,"}) {
    const Visibility vis = parse_visibility(std::string_view(v));
    if (std::string_view(v) == "x,") {
      EXPECT_EQ(vis.mode, Mode::kList) << v;  // a UUID-like entry
      continue;
    }
    EXPECT_EQ(vis.mode, Mode::kNone) << "value: [" << v << "]";
    EXPECT_FALSE(vis.why.empty()) << v;
  }
}

TEST(VisibilityTest, ListsOfIndicesAndUuids) {
  const Visibility a = parse_visibility(std::string_view(" \"0, 2\" "));
  EXPECT_EQ(a.mode, Mode::kList);
  EXPECT_EQ(a.indices, (std::vector<int>{0, 2}));
  const Visibility b = parse_visibility(std::string_view("GPU-8f3a,1"));
  EXPECT_EQ(b.uuids, (std::vector<std::string>{"GPU-8f3a"}));
  EXPECT_EQ(b.indices, (std::vector<int>{1}));
  // Like CUDA, an invalid index ends the list.
  const Visibility c = parse_visibility(std::string_view("1,-1,0"));
  EXPECT_EQ(c.mode, Mode::kList);
  EXPECT_EQ(c.indices, (std::vector<int>{1}));
  EXPECT_FALSE(c.why.empty());
  EXPECT_EQ(parse_visibility(std::string_view("99999999999999999999")).mode, Mode::kNone);
}

Env env_of(std::map<std::string, std::string> vars) {
  return Env([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::vector<Device> three_gpus() {
  std::vector<Device> g;
  g.push_back({"GPU0", "a", "cuda", "aaaa", DeviceKind::kGpu, 8ull << 30, 8ull << 30, 0});
  g.push_back({"GPU1", "b", "cuda", "bbbb", DeviceKind::kGpu, 8ull << 30, 8ull << 30, 0});
  g.push_back({"GPU2", "c", "vulkan", "cccc", DeviceKind::kGpu, 4ull << 30, 4ull << 30, 0});
  return g;
}

TEST(VisibilityTest, FiltersByLibraryAndExplains) {
  std::vector<std::string> notes;
  auto kept = apply_visibility(three_gpus(), env_of({{"CUDA_VISIBLE_DEVICES", "1"}}), notes);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, "GPU1");
  EXPECT_EQ(kept[1].id, "GPU2");  // CUDA's variable leaves Vulkan devices alone
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("hidden: GPU0"), std::string::npos) << notes[0];

  notes.clear();
  kept = apply_visibility(three_gpus(), env_of({{"CORRAL_VISIBLE_DEVICES", "-1"}}), notes);
  EXPECT_TRUE(kept.empty());
  EXPECT_NE(notes[0].find("hides every GPU"), std::string::npos) << notes[0];

  notes.clear();
  kept = apply_visibility(three_gpus(), env_of({{"GGML_VK_VISIBLE_DEVICES", "cccc"}}), notes);
  EXPECT_EQ(kept.size(), 3u);
  notes.clear();
  kept = apply_visibility(three_gpus(), env_of({{"CUDA_VISIBLE_DEVICES", " 'bbbb', 0 "}}), notes);
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_NE(notes[0].find("selects cuda GPU 0,bbbb"), std::string::npos) << notes[0];
  notes.clear();
  kept = apply_visibility(three_gpus(), env_of({{"CORRAL_VISIBLE_DEVICES", "2"}}), notes);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, "GPU2");
  notes.clear();
  kept = apply_visibility(three_gpus(), env_of({}), notes);
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_TRUE(notes.empty());
}

TEST(VisibilityTest, NoGpusSaysSo) {
  std::vector<std::string> notes;
  auto kept = apply_visibility({}, env_of({{"CUDA_VISIBLE_DEVICES", ""}}), notes);
  EXPECT_TRUE(kept.empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("CUDA_VISIBLE_DEVICES=\"\""), std::string::npos);
  EXPECT_NE(notes[0].find("CPU"), std::string::npos);
}

TEST(DiscoverTest, CpuIsAlwaysThere) {
  const Inventory inv = discover_devices(env_of({{"CUDA_VISIBLE_DEVICES", "-1"}}));
  EXPECT_EQ(inv.cpu.kind, DeviceKind::kCpu);
  EXPECT_GT(inv.cpu.total, 0u);
  EXPECT_GT(inv.cpu.free, 0u);
  EXPECT_LE(inv.cpu.free, inv.cpu.total);
  EXPECT_GE(inv.cpu.cores, 1u);
  EXPECT_TRUE(inv.gpus.empty());
}

constexpr const char* kMeminfo =
    "MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\nBuffers: 1 kB\n";

TEST(MemoryTest, Meminfo) {
  EXPECT_EQ(meminfo_bytes(kMeminfo, "MemTotal"), 24576000ull * 1024);
  EXPECT_EQ(meminfo_bytes(kMeminfo, "MemAvailable"), 20000000ull * 1024);
  EXPECT_EQ(meminfo_bytes(kMeminfo, "Mem"), std::nullopt);
  EXPECT_EQ(meminfo_bytes("garbage", "MemTotal"), std::nullopt);
  const CpuMemory m = cpu_memory(kMeminfo, std::nullopt, 0);
  EXPECT_EQ(m.total, 24576000ull * 1024);
  EXPECT_EQ(m.available, 20000000ull * 1024);
  EXPECT_TRUE(m.note.empty());
}

TEST(MemoryTest, CgroupLimitLowersTotalAndAvailable) {
  EXPECT_EQ(parse_cgroup_limit("max\n"), std::nullopt);
  EXPECT_EQ(parse_cgroup_limit("9223372036854771712\n"), std::nullopt);  // v1 "unlimited"
  EXPECT_EQ(parse_cgroup_limit("4294967296\n"), 4294967296ull);
  const CpuMemory m = cpu_memory(kMeminfo, 4ull << 30, 1ull << 30);
  EXPECT_EQ(m.total, 4ull << 30);
  EXPECT_EQ(m.available, 3ull << 30);
  EXPECT_FALSE(m.note.empty());
  // Usage above the limit leaves nothing, without wrapping around.
  EXPECT_EQ(cpu_memory(kMeminfo, 1ull << 30, 2ull << 30).available, 0u);
}

TEST(MemoryTest, Sizes) {
  EXPECT_EQ(*parse_memory_size("16GiB"), 16ull << 30);
  EXPECT_EQ(*parse_memory_size("1.5 GiB"), 3ull << 29);
  EXPECT_EQ(*parse_memory_size("512MiB"), 512ull << 20);
  EXPECT_EQ(*parse_memory_size("8GB"), 8000000000ull);
  EXPECT_EQ(*parse_memory_size("1024"), 1024u);
  EXPECT_EQ(*parse_memory_size("8g"), 8ull << 30);
  for (const char* bad : {"", "GiB", "-1GiB", "8 parsecs", "1e400GiB", "1.2.3GiB"})
    EXPECT_FALSE(parse_memory_size(bad).ok()) << bad;
}

}  // namespace
}  // namespace corral::sched
