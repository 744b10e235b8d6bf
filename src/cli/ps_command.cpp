// `corral ps` (the loaded models, like `ollama ps`) and `corral stop MODEL` (unload one), both as
// clients of the running server's API.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include "base/env.h"
#include "base/units.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "sched/scheduler.h"
#include "store/ops.h"

namespace corral::cli {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Seconds since the epoch of an RFC 3339 time ("2026-11-22T20:36:15.123Z", "...+01:00").
std::optional<double> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double seconds = static_cast<double>(timegm(&tm));
  size_t i = static_cast<size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    size_t start = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    seconds += std::stod("0." + text.substr(start, i - start));
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &hh, &mm) == 2)
      seconds -= (text[i] == '+' ? 1 : -1) * (hh * 3600.0 + mm * 60.0);
  }
  return seconds;
}

// Ollama's format.HumanTime for a future time: "4 minutes from now", "Forever" beyond 20 years.
std::string until_text(double remaining_seconds) {
  if (remaining_seconds <= 0) return "Stopping...";
  if (remaining_seconds / 3600 / 24 / 365 > 20) return "Forever";
  std::string d = store::human_time_ago(remaining_seconds);  // "N minutes ago": the same wording
  d.resize(d.size() - std::string_view(" ago").size());
  return d + " from now";
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
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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
    double remaining = parse_rfc3339(m.value("expires_at", "")).value_or(now) - now;
    rows.push_back({{name, digest.substr(0, 12), human_bytes(size),
                     sched::processor_string(static_cast<uint64_t>(size), static_cast<uint64_t>(size_vram)),
                     std::to_string(m.value("context_length", int64_t{0})), until_text(remaining)},
                    remaining});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.remaining > b.remaining; });
  std::vector<std::array<std::string, 6>> table{{"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"}};
  for (auto& row : rows) table.push_back(std::move(row.cells));
  std::array<size_t, 5> width{};
  for (const auto& row : table)
    for (size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < width.size(); ++i) line += fmt::format("{:<{}}    ", row[i], width[i]);
    fmt::print("{}{}\n", line, row[5]);
  }
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
