// Layer placement: whole layers go to the GPUs from the last layer down (the output head first,
// with the last layers), split across GPUs by free memory, the rest stays on the CPU. Every
// decision carries a sentence saying why, for `corral fit`, the log and /api/ps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sched/devices.h"
#include "sched/estimate.h"

namespace corral::sched {

struct PlacementOptions {
  int64_t num_gpu = -1;  // layers on GPUs: -1 = as many as fit, 0 = CPU only, N = at most N
  uint64_t gpu_reserve = kGpuReserve;
};

struct DevicePlan {
  Device device;
  std::vector<int64_t> layers;  // ascending
  bool output = false;          // holds the output head
  uint64_t weights = 0, kv = 0, compute = 0, reserve = 0;
  uint64_t total() const { return weights + kv + compute + reserve; }
};

struct Placement {
  std::vector<DevicePlan> devices;   // [0] = CPU, then the GPUs in the order given
  std::vector<size_t> layer_device;  // per layer: index into devices
  size_t output_device = 0;
  std::vector<std::string> layer_reason;  // per layer: why it is where it is
  std::string output_reason;
  std::vector<std::string> notes;  // device-level decisions (GPU skipped, RAM short, …)
  int64_t layers_on_gpu = 0;
  bool fits_in_ram = true;  // the CPU part fits the available RAM

  // Every layer and the output head are on GPUs.
  bool all_on_gpu() const;
};

Placement place(const Estimate& estimate, const Device& cpu, const std::vector<Device>& gpus,
                const PlacementOptions& options);

// The largest num_ctx (<= the training context) whose plan puts everything on the GPUs, found by
// binary search over the estimate; 0 when even num_ctx = 1 does not fit (or there is no GPU).
int64_t largest_gpu_ctx(const ModelShape& shape, EstimateOptions options, const Device& cpu,
                        const std::vector<Device>& gpus, const PlacementOptions& placement);

}  // namespace corral::sched
