// `corral list` (alias `ls`): the models in the store, like `ollama list`, from the server's
// GET /api/tags (the running server, or an in-process one on the local store). Broken models, which
// the route keeps out of "models", are listed too, with their problem after MODIFIED.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "base/env.h"
#include "base/units.h"
#include "cli/api_session.h"
#include "cli/command.h"
#include "cli/human_time.h"
#include "cli/table.h"

namespace corral::cli {
namespace {

using nlohmann::json;

struct ListArgs {
  std::string prefix;
  bool json = false;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Row {
  TableRow cells;
  double modified;
};

Row row_of(const json& m, double now) {
  std::string digest = m.value("digest", "");
  if (digest.rfind("sha256:", 0) == 0) digest.erase(0, 7);
  std::string modified_at = m.value("modified_at", "");
  // Ollama shows "-" for the size of a remote (cloud) model.
  std::string size = m.value("remote_model", "").empty() ? human_bytes(m.value("size", int64_t{0})) : "-";
  return {{m.value("name", ""), digest.substr(0, 12), size, human_time(modified_at, now)},
          parse_rfc3339(modified_at).value_or(0)};
}

int list(const ListArgs& args) {
  auto session = ApiSession::open(Env());
  if (!session.ok()) {
    fmt::print(stderr, "Error: {}\n", session.error().to_string());
    return kExitError;
  }
  auto tags = (*session)->client().get_json("/api/tags");
  if (!tags.ok()) {
    fmt::print(stderr, "Error: {}\n", tags.error().to_string());
    return kExitError;
  }
  if (args.json) {
    fmt::print("{}\n", tags->dump(2));
    return kExitOk;
  }
  const double now = epoch_now();
  const std::string prefix = lower(args.prefix);
  auto wanted = [&](const json& m) { return lower(m.value("name", "")).rfind(prefix, 0) == 0; };
  std::vector<Row> rows;
  for (const json& m : tags->value("models", json::array()))
    if (wanted(m)) rows.push_back(row_of(m, now));
  bool any_broken = false;
  for (const json& m : tags->value("corral", json::object()).value("broken", json::array())) {
    if (!wanted(m)) continue;
    Row row = row_of(m, now);
    row.cells[3] += fmt::format(" (broken: {})", m.value("problem", "unknown problem"));
    rows.push_back(std::move(row));
    any_broken = true;
  }
  // The route sends the healthy models newest first; the broken ones join them in that order.
  if (any_broken)
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.modified > b.modified; });
  std::vector<TableRow> table;
  for (auto& r : rows) table.push_back(std::move(r.cells));
  // Names never hold spaces, so Ollama's 30-column wrap never splits a row; the broken marker must
  // not be wrapped either.
  fmt::print("{}", render_table({"NAME", "ID", "SIZE", "MODIFIED"}, table, kNoColumnLimit));
  return kExitOk;
}

}  // namespace

void register_list(CLI::App& app, Action& action) {
  auto args = std::make_shared<ListArgs>();
  auto* cmd = app.add_subcommand("list", "List the models in the store");
  cmd->alias("ls");
  cmd->add_option("prefix", args->prefix, "Only names starting with this (case-insensitive)");
  cmd->add_flag("--json", args->json, "Print the server's /api/tags answer as JSON");
  cmd->footer(
      "Asks the running `corral serve` (CORRAL_HOST / OLLAMA_HOST) for its models, or reads the local\n"
      "store (CORRAL_MODELS / OLLAMA_MODELS) when no server answers. Broken models (a blob missing or\n"
      "cut short, a manifest that does not parse) are listed with (broken: ...) after MODIFIED; in\n"
      "--json they are under \"corral\": {\"broken\": [...]}.\n"
      "Examples:\n"
      "  corral list\n"
      "  corral ls llama                                 names starting with llama\n"
      "  corral list --json | jq -r '.models[].name'\n"
      "  CORRAL_MODELS=/mnt/ollama/models corral list    an Ollama store, in place");
  cmd->callback([args, &action] { action = [args] { return list(*args); }; });
}

}  // namespace corral::cli
