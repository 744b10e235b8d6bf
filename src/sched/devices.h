// Device inventory for the scheduler: the CPU (cores, RAM honouring cgroup limits) and GPUs,
// described generically so a GPU backend (Vulkan, later) only has to list its devices. The
// device-visibility variables are parsed here, robustly: a bad value hides devices, never crashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/result.h"

namespace corral::sched {

enum class DeviceKind { kCpu, kGpu };

struct Device {
  std::string id;       // "CPU", "GPU0", …
  std::string name;     // what a person recognises ("hypothetical", a driver's product name)
  std::string library;  // "cpu", "cuda", "rocm", "vulkan", "hypothetical"
  std::string uuid;     // matched by visibility lists; empty when unknown
  DeviceKind kind = DeviceKind::kCpu;
  uint64_t total = 0;  // bytes
  uint64_t free = 0;   // bytes available to a model
  size_t cores = 0;    // CPU only: physical cores
};

// One visibility variable: unset = all devices; "", "-1" or no valid entry = none; else the listed
// indices (of that library's devices) or UUIDs. Like CUDA, entries after an invalid index are
// ignored. `why` explains a value that hides devices, for the log.
struct Visibility {
  enum class Mode { kAll, kNone, kList } mode = Mode::kAll;
  std::vector<int> indices;
  std::vector<std::string> uuids;
  std::string why;
};
Visibility parse_visibility(std::optional<std::string_view> value);

// The variables and the libraries they apply to (CORRAL_VISIBLE_DEVICES applies to every GPU).
struct VisibilityVariable {
  std::string_view name;
  std::string_view library;  // empty = all libraries
};
inline constexpr VisibilityVariable kVisibilityVariables[] = {
    {"CUDA_VISIBLE_DEVICES", "cuda"},      {"HIP_VISIBLE_DEVICES", "rocm"}, {"ROCR_VISIBLE_DEVICES", "rocm"},
    {"GGML_VK_VISIBLE_DEVICES", "vulkan"}, {"CORRAL_VISIBLE_DEVICES", ""},
};

// Keeps the GPUs every applicable variable allows; appends to `notes` one sentence per variable
// that is set (what it hides and why).
std::vector<Device> apply_visibility(const std::vector<Device>& gpus, const Env& env, std::vector<std::string>& notes);

// System memory from /proc/meminfo text and the cgroup limit (nullopt = unlimited) and usage.
struct CpuMemory {
  uint64_t total = 0, available = 0;
  std::string note;  // set when a cgroup limit lowered the figures
};
std::optional<uint64_t> meminfo_bytes(std::string_view meminfo, std::string_view key);
// A cgroup memory.max / memory.limit_in_bytes value: "max" or an absurdly large number = none.
std::optional<uint64_t> parse_cgroup_limit(std::string_view text);
CpuMemory cpu_memory(std::string_view meminfo, std::optional<uint64_t> cgroup_limit, uint64_t cgroup_usage);

struct Inventory {
  Device cpu;
  std::vector<Device> gpus;
  std::vector<std::string> notes;  // for the log: hidden devices and why, limits applied
};
// The devices of this machine (no GPU backend exists yet, so no GPU is ever listed).
Inventory discover_devices(const Env& env);

// "16GiB", "512MiB", "1.5GiB" (binary), "8GB", "500MB" (decimal), "1048576" (bytes) → bytes.
Result<uint64_t> parse_memory_size(std::string_view text);

}  // namespace corral::sched
