// `corral doctor`: what a user (or a bug report) needs when something is off, in one place: the
// version, the store and the health of its models, the devices found and hidden (and by which
// variable), the server at CORRAL_HOST / OLLAMA_HOST and whether it answers, and where each loaded
// model runs. Exit status 1 when something is wrong; no server running is not wrong.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/env.h"
#include "base/units.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/verify_json.h"
#include "sched/devices.h"
#include "sched/scheduler.h"
#include "server/host_guard.h"
#include "store/layout.h"
#include "store/ops.h"
#include "store/verify.h"

namespace corral::cli {
namespace {

using nlohmann::ordered_json;

struct DoctorArgs {
  bool json = false;
  bool full = false;
};

// The store: every model with what is wrong with it. Quick by default (each blob present with its
// manifest's size, as `list` checks); `full` re-hashes every blob (`corral verify`).
ordered_json store_json(const Env& env, bool full) {
  auto store = store::Store::from_env(env);
  if (!store.ok()) return {{"ok", false}, {"error", store.error().to_string()}};
  ordered_json j{{"path", store->root().string()}, {"check", full ? "full" : "quick"}};
  ordered_json broken = ordered_json::array();
  size_t models = 0, broken_models = 0;
  if (full) {
    auto report = store::verify_store(*store);
    if (!report.ok()) return {{"path", store->root().string()}, {"ok", false}, {"error", report.error().to_string()}};
    models = report->models.size();
    for (const auto& m : report->models) {
      broken_models += !m.ok();
      for (const auto& p : m.problems) broken.push_back({{"name", m.name}, {"problem", p.to_string()}});
    }
    for (const auto& p : report->store_problems) broken.push_back({{"name", ""}, {"problem", p.to_string()}});
    j["verify"] = verify_report_json(*report);
  } else {
    for (const auto& m : store::list_models(*store)) {
      ++models;
      if (m.problem.empty()) continue;
      ++broken_models;
      broken.push_back(
          {{"name", m.name.display_shortest()}, {"problem", m.problem + " (" + m.manifest_path.string() + ")"}});
    }
  }
  j["models"] = models;
  j["broken_models"] = broken_models;
  j["ok"] = broken.empty();
  j["broken"] = std::move(broken);
  return j;
}

ordered_json device_json(const sched::Device& d) {
  ordered_json j{{"id", d.id}, {"name", d.name}, {"library", d.library}, {"total", d.total}, {"free", d.free}};
  if (!d.uuid.empty()) j["uuid"] = d.uuid;
  if (d.kind == sched::DeviceKind::kCpu) j["cores"] = d.cores;
  return j;
}

ordered_json devices_json(const Env& env) {
  sched::Inventory inv = sched::discover_devices(env);
  ordered_json gpus = ordered_json::array();
  for (const auto& g : inv.gpus) gpus.push_back(device_json(g));
  return {{"cpu", device_json(inv.cpu)}, {"gpus", std::move(gpus)}, {"notes", inv.notes}};
}

// The server at the configured address: answering or not, its version, its loaded models.
ordered_json server_json(const Env& env) {
  server::BindAddress bind = server::bind_address_from_env(env);
  ApiClient client = ApiClient::from_env(env);
  ordered_json j{{"address", client.address()}, {"bind", fmt::format("{}:{}", bind.host, bind.port)}};
  auto version = client.get_json("/api/version");
  if (!version.ok()) {
    j["running"] = !client.last_unreachable();
    j["ok"] = client.last_unreachable();  // nothing there is fine; an error answer is not
    if (!client.last_unreachable()) j["error"] = version.error().to_string();
    return j;
  }
  j["running"] = true;
  j["version"] = version->value("version", "");
  j["version_mismatch"] = j["version"] != CORRAL_VERSION;
  auto ps = client.get_json("/api/ps");
  if (!ps.ok()) {
    j["ok"] = false;
    j["error"] = "GET /api/ps: " + ps.error().to_string();
    return j;
  }
  j["ok"] = true;
  j["loaded"] = ps->value("models", nlohmann::json::array());
  return j;
}

std::string memory_text(const ordered_json& d) {
  return fmt::format("{} free of {}", human_bytes_binary(d.value("free", uint64_t{0})),
                     human_bytes_binary(d.value("total", uint64_t{0})));
}

// Where a loaded model runs, from corral's placement when the server gives it.
std::string placement_text(const ordered_json& m) {
  const auto c = m.value("corral", ordered_json::object());
  int64_t size = m.value("size", int64_t{0}), vram = m.value("size_vram", int64_t{0});
  std::string processor =
      c.value("processor", sched::processor_string(static_cast<uint64_t>(size), static_cast<uint64_t>(vram)));
  std::string out = fmt::format("{}, {}", processor, human_bytes(size));
  // The plan's one-line summary already names the layers on GPU and why.
  if (std::string plan = c.value("placement", ""); !plan.empty()) return out + "; " + plan;
  if (c.contains("layers"))
    out += fmt::format(", {}/{} layers on GPU", c.value("layers_on_gpu", 0), c.value("layers", 0));
  return out;
}

std::string text_of(const ordered_json& j) {
  std::string out = fmt::format("corral version {}\n\n", j["version"].get<std::string>());
  const auto& st = j["store"];
  if (st.contains("path")) out += fmt::format("Store      {}\n", st["path"].get<std::string>());
  if (st.contains("error")) out += fmt::format("  error    {}\n", st["error"].get<std::string>());
  if (st.contains("models")) {
    size_t models = st["models"], broken_models = st["broken_models"];
    out += fmt::format("  models   {} ({} OK, {} broken; {} check)\n", models, models - broken_models, broken_models,
                       st["check"].get<std::string>());
    for (const auto& b : st["broken"])
      out += fmt::format("  broken   {}{}\n", b.value("name", "").empty() ? "" : b.value("name", "") + ": ",
                         b.value("problem", ""));
    if (!st["broken"].empty())
      out += "           `corral verify` names every file at fault; `corral rm` and re-create the models to fix.\n";
  }
  const auto& dev = j["devices"];
  out += "\nDevices\n";
  std::string cpu_name = dev["cpu"].value("name", "");
  out += fmt::format("  CPU      {}{} cores, {}\n", cpu_name.empty() || cpu_name == "cpu" ? "" : cpu_name + ", ",
                     dev["cpu"].value("cores", 0), memory_text(dev["cpu"]));
  if (dev["gpus"].empty()) out += "  GPU      none found (models run on the CPU)\n";
  for (const auto& g : dev["gpus"])
    out += fmt::format("  GPU      {} {} ({}), {}\n", g.value("id", ""), g.value("name", ""), g.value("library", ""),
                       memory_text(g));
  for (const auto& n : dev["notes"]) out += fmt::format("  note     {}\n", n.get<std::string>());
  const auto& sv = j["server"];
  out += fmt::format("\nServer     {}\n", sv["address"].get<std::string>());
  if (!sv["running"].get<bool>()) {
    out += "  status   not running (start one with `corral serve`; store commands work without it)\n";
  } else if (sv.contains("version")) {
    out += fmt::format("  status   answering, version {}\n", sv["version"].get<std::string>());
    if (sv["version_mismatch"].get<bool>())
      out += fmt::format("  Warning: client version is {}\n", j["version"].get<std::string>());
  }
  if (sv.contains("error")) out += fmt::format("  error    {}\n", sv["error"].get<std::string>());
  if (sv.contains("loaded")) {
    if (sv["loaded"].empty()) out += "  loaded   none\n";
    for (const auto& m : sv["loaded"])
      out += fmt::format("  loaded   {}: {}\n", m.value("name", ""), placement_text(m));
  }
  out += fmt::format("\n{}\n", j["ok"].get<bool>() ? "No problems found." : "Problems found (see above).");
  return out;
}

int doctor(const DoctorArgs& args) {
  Env env;
  ordered_json j{{"version", CORRAL_VERSION}};
  j["store"] = store_json(env, args.full);
  j["devices"] = devices_json(env);
  j["server"] = server_json(env);
  j["ok"] = j["store"].value("ok", false) && j["server"].value("ok", false);
  if (args.json)
    fmt::print("{}\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  else
    fmt::print("{}", text_of(j));
  return j["ok"].get<bool>() ? kExitOk : kExitError;
}

}  // namespace

void register_doctor(CLI::App& app, Action& action) {
  auto args = std::make_shared<DoctorArgs>();
  auto* cmd = app.add_subcommand("doctor", "Check the store, the devices and the server, and say what is wrong");
  cmd->add_flag("--json", args->json, "Print the findings as JSON");
  cmd->add_flag("--full", args->full, "Re-hash every blob of the store (as `corral verify`; slow on big stores)");
  cmd->footer(
      "Prints the version; the store (CORRAL_MODELS / OLLAMA_MODELS), its models and any that are broken\n"
      "(by default each blob is checked to exist with its size; --full re-hashes them); the devices found,\n"
      "and those hidden with the variable that hid them; the server at CORRAL_HOST / OLLAMA_HOST, its\n"
      "version and where each loaded model runs. Exit status 1 when something is wrong (a broken model, a\n"
      "server answering with an error); no server running is not an error.\n"
      "Examples:\n"
      "  corral doctor\n"
      "  corral doctor --full                          also re-hash every blob\n"
      "  corral doctor --json | jq .store.broken\n"
      "  CUDA_VISIBLE_DEVICES=-1 corral doctor         see which devices a variable hides");
  cmd->callback([args, &action] { action = [args] { return doctor(*args); }; });
}

}  // namespace corral::cli
