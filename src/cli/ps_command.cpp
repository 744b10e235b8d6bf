// `corral ps` (the loaded models, like `ollama ps`) and `corral stop MODEL` (unload one), both as
// clients of the running server's API.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "base/env.h"
#include "base/units.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/human_time.h"
#include "cli/table.h"
#include "sched/scheduler.h"

namespace corral::cli {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int ps(const std::string& prefix, bool as_json) {
  ApiClient client = ApiClient::from_env(Env());
  auto r = client.get_json("/api/ps");
  if (!r.ok()) {
    fmt::print(stderr, "Error: {}\n", r.error().to_string());
    return kExitError;
  }
  if (as_json) {
    fmt::print("{}\n", r->dump(2));
    return kExitOk;
  }
  const double now = epoch_now();
  struct Row {
    std::array<std::string, 6> cells;
    double remaining;
  };
  std::vector<Row> rows;
  for (const json& m : r->value("models", json::array())) {
    std::string name = m.value("name", "");
    if (!prefix.empty() && lower(name).find(lower(prefix)) != 0) continue;
    std::string digest = m.value("digest", "");
    if (digest.rfind("sha256:", 0) == 0) digest.erase(0, 7);
    int64_t size = m.value("size", int64_t{0}), size_vram = m.value("size_vram", int64_t{0});
    std::string expires_at = m.value("expires_at", "");
    double remaining = parse_rfc3339(expires_at).value_or(now) - now;
    rows.push_back({{name, digest.substr(0, 12), human_bytes(size),
                     sched::processor_string(static_cast<uint64_t>(size), static_cast<uint64_t>(size_vram)),
                     std::to_string(m.value("context_length", int64_t{0})),
                     remaining < 0 ? "Stopping..." : human_time(expires_at, now)},
                    remaining});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.remaining > b.remaining; });
  std::vector<TableRow> table;
  for (auto& row : rows) table.emplace_back(row.cells.begin(), row.cells.end());
  fmt::print("{}", render_table({"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"}, table, kNoColumnLimit));
  return kExitOk;
}

int stop(const std::string& model) {
  ApiClient client = ApiClient::from_env(Env());
  auto r = client.post_json("/api/generate", json{{"model", model}, {"keep_alive", 0}});
  if (!r.ok()) {
    if (client.last_status() == 404)
      fmt::print(stderr, "Error: couldn't find model \"{}\" to stop\n", model);
    else
      fmt::print(stderr, "Error: {}\n", r.error().to_string());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void register_ps(CLI::App& app, Action& action) {
  auto prefix = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("ps", "List the models loaded by the running server");
  cmd->add_option("prefix", *prefix, "Only names starting with this (case-insensitive)");
  cmd->add_flag("--json", *as_json, "Print the server's /api/ps answer as JSON");
  cmd->footer(
      "Talks to `corral serve` at CORRAL_HOST / OLLAMA_HOST (127.0.0.1:11434).\n"
      "Examples:\n"
      "  corral ps\n"
      "  corral ps --json");
  cmd->callback([prefix, as_json, &action] { action = [prefix, as_json] { return ps(*prefix, *as_json); }; });

  auto model = std::make_shared<std::string>();
  auto* st = app.add_subcommand("stop", "Unload a model from the running server");
  st->add_option("model", *model, "The model to unload")->required();
  st->footer(
      "Talks to `corral serve` at CORRAL_HOST / OLLAMA_HOST (127.0.0.1:11434).\n"
      "Example:\n"
      "  corral stop llama3.2");
  st->callback([model, &action] { action = [model] { return stop(*model); }; });
}

}  // namespace corral::cli
