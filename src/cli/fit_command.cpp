// `corral fit MODEL`: the memory plan the scheduler would make for a model — per device and per
// layer, with the reason for each decision — on this machine's devices or on hypothetical GPUs
// given with --gpu, and the largest num_ctx that still fits entirely on the GPUs.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/log.h"
#include "base/units.h"
#include "cli/command.h"
#include "cli/store_util.h"
#include "gguf/file.h"
#include "sched/devices.h"
#include "sched/estimate.h"
#include "sched/placement.h"
#include "store/manifest.h"
#include "store/ops.h"

namespace corral::cli {
namespace {

struct FitOptions {
  std::string model;
  int64_t num_ctx = 0;  // 0 = default (CONTEXT_LENGTH, else by total GPU memory as Ollama)
  int32_t num_parallel = 0;
  int64_t num_batch = 512;
  std::string kv_type;
  std::vector<std::string> gpus;
  int64_t num_gpu = -1;
  bool json = false;
};

std::string bytes(uint64_t n) {
  return human_bytes_binary(n);
}

// A GGUF path, or a model in the store (its model layer's blob).
Result<std::string> resolve_model(const std::string& target) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(target, ec)) return target;
  CORRAL_ASSIGN_OR_RETURN(store::Store st, store::Store::from_env(Env()));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName name, store::ModelName::parse(target));
  CORRAL_ASSIGN_OR_RETURN(store::FoundModel found, store::open_model(st, name));
  for (const auto& l : found.stored.manifest.layers)
    if (l.media_type == store::kMediaModel) return st.blob_path(l.digest).string();
  return Error::format("model '{}' has no model layer", target);
}

// Ollama's default context: CONTEXT_LENGTH, else by total GPU memory (>= 47 GiB: 262144,
// >= 23 GiB: 32768, else 4096).
int64_t default_num_ctx(const Env& env, const std::vector<sched::Device>& gpus) {
  auto set = env.get_int("CONTEXT_LENGTH", 0);
  if (set.ok() && *set > 0) return *set;
  uint64_t total = 0;
  for (const auto& g : gpus) total += g.total;
  if (total >= (47ull << 30)) return 262144;
  if (total >= (23ull << 30)) return 32768;
  return 4096;
}

// "0-11", "12-15" from a sorted list of layers.
std::vector<std::string> ranges(const std::vector<int64_t>& layers) {
  std::vector<std::string> out;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j + 1 < layers.size() && layers[j + 1] == layers[j] + 1) ++j;
    out.push_back(i == j ? fmt::format("{}", layers[i]) : fmt::format("{}-{}", layers[i], layers[j]));
    i = j + 1;
  }
  return out;
}

std::string what_device_holds(const sched::DevicePlan& d, bool is_cpu) {
  std::vector<std::string> parts;
  if (!d.layers.empty()) parts.push_back(fmt::format("layers {}", fmt::join(ranges(d.layers), ",")));
  if (d.output) parts.emplace_back("output");
  if (is_cpu) parts.emplace_back("token_embd");
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, " + "));
}

struct Plan {
  std::string path;
  std::string shown;  // the path, or "NAME (path)" for a stored model
  sched::ModelShape shape;
  sched::Estimate estimate;
  sched::Inventory inventory;
  sched::Placement placement;
  int64_t largest_ctx = 0;
  bool hypothetical = false;
};

void print_text(const Plan& p) {
  const auto& e = p.estimate;
  const auto& info = p.shape.info;
  fmt::print("Model    {} ({}, {} layers, training context {})\n", p.shown, info.arch, info.n_layer, info.n_ctx_train);
  fmt::print("Options  num_ctx {}{} · num_parallel {} · num_batch {} · kv_cache {}\n", e.options.num_ctx,
             e.ctx_capped ? " (capped at the training context)" : "", e.options.num_parallel, e.options.num_batch,
             sched::kv_type_name(e.options.kv_type));
  fmt::print("\nDevices\n");
  const auto& cpu = p.inventory.cpu;
  fmt::print("  {:<6} {} cores, {} total, {} available\n", cpu.id, cpu.cores, bytes(cpu.total), bytes(cpu.free));
  for (const auto& g : p.inventory.gpus)
    fmt::print("  {:<6} {}, {} total, {} free\n", g.id, g.name, bytes(g.total), bytes(g.free));
  if (p.inventory.gpus.empty()) fmt::print("  (no GPU)\n");

  fmt::print("\nPlan\n  {:<6} {:<28} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "DEVICE", "HOLDS", "WEIGHTS", "KV CACHE",
             "COMPUTE", "RESERVE", "TOTAL");
  // GPUs first (they hold the last layers), the CPU last.
  for (size_t k = 1; k <= p.placement.devices.size(); ++k) {
    const size_t i = k % p.placement.devices.size();
    const auto& d = p.placement.devices[i];
    if (i > 0 && d.total() == 0) continue;
    fmt::print("  {:<6} {:<28} {:>10} {:>10} {:>10} {:>10} {:>10}\n", d.device.id, what_device_holds(d, i == 0),
               bytes(d.weights), bytes(d.kv), bytes(d.compute), bytes(d.reserve), bytes(d.total()));
  }

  fmt::print("\nLayers\n  {:<7} {:<6} {:>10} {:>10} {:>10}\n", "LAYER", "DEVICE", "WEIGHTS", "KV CACHE", "KV CELLS");
  for (int64_t l = info.n_layer - 1; l >= 0; --l) {
    const auto& c = e.layers[l];
    fmt::print("  {:<7} {:<6} {:>10} {:>10} {:>10}\n", l, p.placement.devices[p.placement.layer_device[l]].device.id,
               bytes(c.weights), bytes(c.kv), c.cells);
  }
  fmt::print("  {:<7} {:<6} {:>10}\n", "output", p.placement.devices[p.placement.output_device].device.id,
             bytes(e.output));

  fmt::print("\nWhy\n");
  for (const auto& n : p.inventory.notes) fmt::print("  - {}\n", n);
  for (const auto& n : p.placement.notes) fmt::print("  - {}\n", n);
  fmt::print("  - {}\n", p.placement.output_reason);
  // One sentence per group of consecutive layers on one device: the top layer's reason.
  for (int64_t l = info.n_layer - 1; l >= 0; --l)
    if (l == info.n_layer - 1 || p.placement.layer_device[l] != p.placement.layer_device[l + 1])
      fmt::print("  - {}\n", p.placement.layer_reason[l]);

  uint64_t on_gpu = 0;
  for (size_t i = 1; i < p.placement.devices.size(); ++i) on_gpu += p.placement.devices[i].total();
  fmt::print("\nTotal    {} on GPUs, {} on the CPU{}\n", bytes(on_gpu), bytes(p.placement.devices[0].total()),
             p.placement.fits_in_ram ? "" : " (more than the available RAM)");
  if (p.inventory.gpus.empty())
    fmt::print("largest num_ctx that fits entirely on GPU: none (no GPU; give one with --gpu 8GiB)\n");
  else if (p.largest_ctx == 0)
    fmt::print("largest num_ctx that fits entirely on GPU: none (the model does not fit even with num_ctx 1)\n");
  else
    fmt::print("largest num_ctx that fits entirely on GPU: {}{}\n", p.largest_ctx,
               p.largest_ctx == info.n_ctx_train ? " (the training context)" : "");
}

nlohmann::ordered_json to_json(const Plan& p) {
  const auto& e = p.estimate;
  nlohmann::ordered_json j;
  j["model"] = p.path;
  j["architecture"] = p.shape.info.arch;
  j["options"] = {{"num_ctx", e.options.num_ctx},
                  {"num_ctx_capped", e.ctx_capped},
                  {"num_parallel", e.options.num_parallel},
                  {"num_batch", e.options.num_batch},
                  {"kv_cache_type", sched::kv_type_name(e.options.kv_type)}};
  j["devices"] = nlohmann::ordered_json::array();
  for (const auto& d : p.placement.devices) {
    j["devices"].push_back({{"id", d.device.id},
                            {"name", d.device.name},
                            {"kind", d.device.kind == sched::DeviceKind::kCpu ? "cpu" : "gpu"},
                            {"total", d.device.total},
                            {"free", d.device.free},
                            {"layers", d.layers},
                            {"output", d.output},
                            {"weights", d.weights},
                            {"kv_cache", d.kv},
                            {"compute", d.compute},
                            {"reserve", d.reserve},
                            {"required", d.total()}});
  }
  j["layers"] = nlohmann::ordered_json::array();
  for (size_t l = 0; l < e.layers.size(); ++l)
    j["layers"].push_back({{"layer", l},
                           {"device", p.placement.devices[p.placement.layer_device[l]].device.id},
                           {"weights", e.layers[l].weights},
                           {"kv_cache", e.layers[l].kv},
                           {"kv_cells", e.layers[l].cells},
                           {"reason", p.placement.layer_reason[l]}});
  j["output"] = {{"device", p.placement.devices[p.placement.output_device].device.id},
                 {"weights", e.output},
                 {"reason", p.placement.output_reason}};
  j["token_embd"] = e.token_embd;
  j["compute"] = {{"workspace", e.workspace}, {"matmul_scratch", e.matmul_scratch}, {"kv_scratch", e.kv_scratch}};
  nlohmann::ordered_json notes = nlohmann::ordered_json::array();
  for (const auto& n : p.inventory.notes) notes.push_back(n);
  for (const auto& n : p.placement.notes) notes.push_back(n);
  j["notes"] = notes;
  j["layers_on_gpu"] = p.placement.layers_on_gpu;
  j["fits_in_ram"] = p.placement.fits_in_ram;
  j["total"] = e.total();
  j["largest_gpu_num_ctx"] = p.largest_ctx;
  return j;
}

Result<Plan> make_plan(const FitOptions& o) {
  Plan p;
  const Env env;
  CORRAL_ASSIGN_OR_RETURN(p.path, resolve_model(o.model));
  p.shown = p.path == o.model ? p.path : fmt::format("{} ({})", o.model, p.path);
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(p.path));
  CORRAL_ASSIGN_OR_RETURN(p.shape, sched::read_model_shape(file).with_context(p.path));
  p.inventory = sched::discover_devices(env);
  if (!o.gpus.empty()) {
    p.hypothetical = true;
    p.inventory.gpus.clear();
    for (size_t i = 0; i < o.gpus.size(); ++i) {
      CORRAL_ASSIGN_OR_RETURN(uint64_t size, sched::parse_memory_size(o.gpus[i]).with_context("--gpu"));
      p.inventory.gpus.push_back(
          {fmt::format("GPU{}", i), "hypothetical", "hypothetical", "", sched::DeviceKind::kGpu, size, size, 0});
    }
    std::erase_if(p.inventory.notes, [](const std::string& n) { return n.rfind("no GPU found", 0) == 0; });
  }
  sched::EstimateOptions eo;
  eo.num_ctx = o.num_ctx > 0 ? o.num_ctx : default_num_ctx(env, p.inventory.gpus);
  if (o.num_parallel > 0)
    eo.num_parallel = o.num_parallel;
  else {
    auto np = env.get_int("NUM_PARALLEL", 1);
    eo.num_parallel = np.ok() && *np > 0 ? static_cast<int32_t>(*np) : 1;
  }
  if (o.num_batch < 1) return Error("--num-batch must be positive");
  eo.num_batch = o.num_batch;
  const std::string kv = o.kv_type.empty() ? env.get_string("KV_CACHE_TYPE", "f16") : o.kv_type;
  CORRAL_ASSIGN_OR_RETURN(eo.kv_type, sched::parse_kv_type(kv));
  p.estimate = sched::estimate(p.shape, eo);
  const sched::PlacementOptions po{.num_gpu = o.num_gpu};
  p.placement = sched::place(p.estimate, p.inventory.cpu, p.inventory.gpus, po);
  p.largest_ctx = sched::largest_gpu_ctx(p.shape, eo, p.inventory.cpu, p.inventory.gpus, po);
  return p;
}

int fit(const FitOptions& o) {
  auto plan = make_plan(o);
  if (!plan.ok()) {
    fmt::print(stderr, "Error: {}\n", plan.error().to_string());
    return kExitError;
  }
  if (o.json)
    fmt::print("{}\n", to_json(*plan).dump(2));
  else
    print_text(*plan);
  return kExitOk;
}

}  // namespace

void register_fit(CLI::App& app, Action& action) {
  auto opts = std::make_shared<FitOptions>();
  auto* cmd = app.add_subcommand("fit", "Show how a model would be placed on the CPU and GPUs, and why");
  cmd->add_option("model", opts->model, "A GGUF file, or the name of a model in the store")->required();
  cmd->add_option("--num-ctx", opts->num_ctx, "Context per sequence (default: CONTEXT_LENGTH, else by GPU memory)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--num-parallel", opts->num_parallel, "Sequences served at once (default: NUM_PARALLEL or 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--num-batch", opts->num_batch, "Tokens per forward pass")->check(CLI::PositiveNumber);
  cmd->add_option("--kv-type", opts->kv_type, "KV cache type: f16, q8_0 or f32 (default: KV_CACHE_TYPE or f16)");
  cmd->add_option("--gpu", opts->gpus, "A hypothetical GPU with this much free memory (repeatable), e.g. 16GiB");
  cmd->add_option("--num-gpu", opts->num_gpu, "Layers on GPUs: -1 = as many as fit, 0 = CPU only, N = at most N")
      ->check(CLI::Range(int64_t{-1}, int64_t{1} << 20));
  cmd->add_flag("--json", opts->json, "Print the plan as JSON");
  cmd->footer(
      "Examples:\n"
      "  corral fit ./llama-3.2-1b-q4_k_m.gguf --gpu 8GiB\n"
      "  corral fit ./model.gguf --gpu 1GiB --num-ctx 8192      split between GPU and CPU\n"
      "  corral fit ./model.gguf --gpu 24GiB --gpu 12GiB        two GPUs, split by free memory\n"
      "  corral fit llama3.2 --num-ctx 131072 --kv-type q8_0 --json");
  cmd->callback([opts, &action] { action = [opts] { return fit(*opts); }; });
}

}  // namespace corral::cli
