// Layer placement with reasons, and the largest context that fits on the GPUs.
#include "sched/placement.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/units.h"

namespace corral::sched {
namespace {

std::string bytes(uint64_t n) {
  return human_bytes_binary(n);
}

// "KV cache for num_ctx=131072 needs 16.0 GiB" (with num_parallel and a window ring when present).
std::string describe_layer(const Estimate& e, int64_t layer) {
  const LayerCost& c = e.layers[layer];
  std::string kv = fmt::format("KV cache for num_ctx={}", e.options.num_ctx);
  if (c.cells != e.options.num_ctx) kv = fmt::format("KV cache for a sliding-window ring of {} cells", c.cells);
  if (e.options.num_parallel > 1) kv += fmt::format(" x num_parallel={}", e.options.num_parallel);
  return fmt::format("{} needs {} (+ weights {} = {})", kv, bytes(c.kv), bytes(c.weights), bytes(c.total()));
}

struct Fill {
  std::vector<int> layer_gpu;  // -1 = CPU
  int output_gpu = -1;
  std::vector<uint64_t> used;
  int64_t first_cpu_layer = -1;  // the highest layer that stayed on the CPU for lack of room
  bool limited = false;          // num_gpu stopped the fill
  int64_t placed = 0;
};

// Fills the admitted GPUs in order with [output, layer n-1, …, layer 0]. With shares, a GPU hands
// over to the next once it holds its share (split by free memory); without, it fills up.
Fill fill(const Estimate& e, const std::vector<int64_t>& budget, const std::vector<uint64_t>& share, int64_t num_gpu,
          bool use_shares) {
  const int64_t n = static_cast<int64_t>(e.layers.size());
  const int n_gpu = static_cast<int>(budget.size());
  int last = -1;
  for (int g = 0; g < n_gpu; ++g)
    if (budget[g] > 0) last = g;
  Fill f;
  f.layer_gpu.assign(n, -1);
  f.used.assign(n_gpu, 0);
  auto room = [&](int g, uint64_t cost) {
    if (budget[g] <= 0 || f.used[g] + cost > static_cast<uint64_t>(budget[g])) return false;
    return !use_shares || g == last || f.used[g] < share[g];
  };
  int g = 0;
  while (g < n_gpu && budget[g] <= 0) ++g;
  if (g < n_gpu && room(g, e.output)) {
    f.output_gpu = g;
    f.used[g] += e.output;
  }
  for (int64_t l = n - 1; l >= 0; --l) {
    if (num_gpu >= 0 && f.placed >= num_gpu) {
      f.limited = true;
      break;
    }
    const uint64_t cost = e.layers[l].total();
    while (g < n_gpu && !room(g, cost)) ++g;
    if (g == n_gpu) {
      f.first_cpu_layer = l;
      break;
    }
    f.layer_gpu[l] = g;
    f.used[g] += cost;
    ++f.placed;
  }
  return f;
}

void explain(const Estimate& e, const Fill& f, const std::vector<Device>& gpus, const std::vector<int64_t>& budget,
             int64_t num_gpu, Placement& p) {
  const int64_t n = static_cast<int64_t>(e.layers.size());
  // The most room any GPU has left, for the sentences.
  int best = -1;
  int64_t best_left = 0;
  for (size_t g = 0; g < gpus.size(); ++g) {
    const int64_t left = budget[g] - static_cast<int64_t>(f.used[g]);
    if (budget[g] > 0 && (best < 0 || left > best_left)) best = static_cast<int>(g), best_left = left;
  }
  const std::string room =
      best < 0 ? "no GPU has room after its reserve and compute buffers"
               : fmt::format("{} has {} free (after its reserve, compute buffers and the layers placed)", gpus[best].id,
                             bytes(static_cast<uint64_t>(std::max<int64_t>(0, best_left))));
  for (int64_t l = n - 1; l >= 0; --l) {
    const int g = f.layer_gpu[l];
    if (g >= 0) {
      p.layer_reason[l] = fmt::format("layer {} on {}: {}", l, gpus[g].id, describe_layer(e, l));
    } else if (f.limited && (f.first_cpu_layer < 0 || l > f.first_cpu_layer)) {
      p.layer_reason[l] = fmt::format("layer {} stays on CPU: num_gpu={} allows {} layer{} on GPUs", l, num_gpu,
                                      num_gpu, num_gpu == 1 ? "" : "s");
    } else if (l == f.first_cpu_layer) {
      p.layer_reason[l] = fmt::format("layer {} stays on CPU: {}, {}", l, describe_layer(e, l), room);
    } else {
      p.layer_reason[l] = fmt::format(
          "layer {} stays on CPU: GPU layers are a contiguous range from the last layer down and layer {} did not fit",
          l, f.first_cpu_layer);
    }
  }
  if (f.output_gpu >= 0)
    p.output_reason =
        fmt::format("output head on {} with the last layers: needs {}", gpus[f.output_gpu].id, bytes(e.output));
  else if (best >= 0)
    p.output_reason = fmt::format("output head stays on CPU: it needs {}{}, more than {} has free", bytes(e.output),
                                  e.output_tied ? " (a copy of the tied token embedding)" : "", gpus[best].id);
  else
    p.output_reason = "output head stays on CPU: " + room;
}

}  // namespace

bool Placement::all_on_gpu() const {
  if (output_device == 0) return false;
  for (size_t d : layer_device)
    if (d == 0) return false;
  return true;
}

Placement place(const Estimate& e, const Device& cpu, const std::vector<Device>& gpus, const PlacementOptions& o) {
  const int64_t n = static_cast<int64_t>(e.layers.size());
  Placement p;
  p.devices.emplace_back().device = cpu;
  for (const Device& g : gpus) p.devices.emplace_back().device = g;
  p.layer_device.assign(n, 0);
  p.layer_reason.assign(n, "");
  const uint64_t compute = e.compute();

  std::vector<int64_t> budget(gpus.size(), 0);
  std::vector<uint64_t> share(gpus.size(), 0);
  if (gpus.empty()) {
    p.notes.emplace_back("no GPU: every layer runs on the CPU");
  } else if (o.num_gpu == 0) {
    p.notes.emplace_back("num_gpu=0: every layer runs on the CPU");
  } else {
    int64_t total_budget = 0;
    for (size_t g = 0; g < gpus.size(); ++g) {
      const uint64_t need = o.gpu_reserve + compute;
      if (gpus[g].free <= need) {
        p.notes.push_back(fmt::format("{} skipped: its {} free do not cover the reserve {} and the compute buffers {}",
                                      gpus[g].id, bytes(gpus[g].free), bytes(o.gpu_reserve), bytes(compute)));
        continue;
      }
      budget[g] = static_cast<int64_t>(gpus[g].free - need);
      total_budget += budget[g];
    }
    uint64_t need_all = e.output;
    for (const LayerCost& c : e.layers) need_all += c.total();
    for (size_t g = 0; g < gpus.size(); ++g)
      if (budget[g] > 0)
        share[g] = static_cast<uint64_t>(static_cast<double>(need_all) * budget[g] / static_cast<double>(total_budget));
  }
  const int64_t num_gpu = gpus.empty() ? 0 : o.num_gpu;
  Fill f = fill(e, budget, share, num_gpu, true);
  if (f.placed < n || f.output_gpu < 0) {
    Fill packed = fill(e, budget, share, num_gpu, false);
    if (packed.placed > f.placed || (packed.placed == f.placed && packed.output_gpu >= 0)) f = std::move(packed);
  }
  if (num_gpu == 0) {
    for (int64_t l = 0; l < n; ++l) p.layer_reason[l] = fmt::format("layer {} on CPU", l);
    p.output_reason = "output head on CPU";
  } else {
    explain(e, f, gpus, budget, o.num_gpu, p);
  }

  for (int64_t l = 0; l < n; ++l) {
    const size_t d = static_cast<size_t>(f.layer_gpu[l] + 1);
    p.layer_device[l] = d;
    p.devices[d].layers.push_back(l);
    p.devices[d].weights += e.layers[l].weights;
    p.devices[d].kv += e.layers[l].kv;
    if (d > 0) ++p.layers_on_gpu;
  }
  p.output_device = static_cast<size_t>(f.output_gpu + 1);
  DevicePlan& out = p.devices[p.output_device];
  out.output = true;
  // A tied head on the CPU reuses token_embd; the CPU always holds token_embd for the input.
  out.weights += (p.output_device == 0 && e.output_tied) ? e.output - e.token_embd : e.output;
  DevicePlan& host = p.devices[0];
  host.weights += e.token_embd + e.other;
  for (size_t d = 1; d < p.devices.size(); ++d) {
    if (p.devices[d].layers.empty() && !p.devices[d].output) continue;
    p.devices[d].compute = compute;
    p.devices[d].reserve = o.gpu_reserve;
    p.devices[d].kv += e.kv_scratch;
  }
  // The CPU runs whatever layers stay there, and at least the input embedding.
  host.compute = compute;
  if (!host.layers.empty()) host.kv += e.kv_scratch;
  if (host.total() > cpu.free) {
    p.fits_in_ram = false;
    p.notes.push_back(fmt::format("the CPU part needs {} of system memory but only {} is available",
                                  bytes(host.total()), bytes(cpu.free)));
  }
  return p;
}

int64_t largest_gpu_ctx(const ModelShape& shape, EstimateOptions options, const Device& cpu,
                        const std::vector<Device>& gpus, const PlacementOptions& placement) {
  if (gpus.empty()) return 0;
  PlacementOptions po = placement;
  po.num_gpu = -1;
  auto fits = [&](int64_t ctx) {
    options.num_ctx = ctx;
    return place(estimate(shape, options), cpu, gpus, po).all_on_gpu();
  };
  int64_t hi = shape.info.n_ctx_train > 0 ? shape.info.n_ctx_train : int64_t{1} << 20;
  if (!fits(1)) return 0;
  if (fits(hi)) return hi;
  int64_t lo = 1;  // fits(lo) && !fits(hi)
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace corral::sched
