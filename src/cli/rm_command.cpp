// `corral rm MODEL...` (DELETE /api/delete through the running server or the in-process one) and
// `corral prune` (store maintenance, done directly on the store): models and unused blobs.
#include <fmt/format.h>

#include "base/env.h"
#include "base/units.h"
#include "cli/api_session.h"
#include "cli/command.h"
#include "cli/store_util.h"
#include "store/ops.h"

namespace corral::cli {
namespace {

// Asks a running server to unload `name` first (keep_alive 0), as Ollama does; a model that is
// not loaded or does not exist is no reason to warn.
void unload(ApiClient& client, const std::string& name) {
  auto r = client.post_json("/api/generate", {{"model", name}, {"keep_alive", 0}, {"stream", false}});
  if (!r.ok() && r.error().to_string().find("not found") == std::string::npos)
    fmt::print(stderr, "Warning: unable to stop model '{}': {}\n", name, r.error().to_string());
}

int remove(const std::vector<std::string>& names) {
  auto session = ApiSession::open(Env());
  if (!session.ok()) {
    fmt::print(stderr, "Error: {}\n", session.error().to_string());
    return kExitError;
  }
  ApiClient& client = (*session)->client();
  int rc = kExitOk;
  for (const auto& name : names) {
    // The in-process server runs no models, so only a real server needs the unload.
    if (!(*session)->in_process()) unload(client, name);
    auto removed = client.delete_json("/api/delete", {{"model", name}});
    if (!removed.ok()) {
      fmt::print(stderr, "Error: {}\n", removed.error().to_string());
      rc = kExitError;
      continue;
    }
    fmt::print("deleted '{}'\n", name);
  }
  return rc;
}

int prune_store(bool all) {
  auto store = open_store();
  if (!store) return kExitError;
  auto grace = all ? std::chrono::seconds(0) : std::chrono::seconds(std::chrono::hours(1));
  auto result = store::prune(*store, grace);
  if (!result.ok()) {
    fmt::print(stderr, "Error: {}\n", result.error().to_string());
    return kExitError;
  }
  for (const auto& p : result->removed) fmt::print("removed {}\n", p.filename().string());
  fmt::print("freed {}\n", human_bytes(static_cast<int64_t>(result->bytes)));
  return kExitOk;
}

}  // namespace

void register_rm(CLI::App& app, Action& action) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("rm", "Remove models (and the blobs no other model uses)");
  cmd->add_option("models", *names, "Models to remove")->required();
  cmd->footer(
      "Runs through the server API (the running `corral serve`, which first unloads the model, else\n"
      "an in-process server on the local store). Blobs no other model uses are deleted.\n"
      "\n"
      "Examples:\n"
      "  corral rm my-llama:v1\n"
      "  corral rm mymodel me/mymodel:backup");
  cmd->callback([names, &action] { action = [names] { return remove(*names); }; });

  auto all = std::make_shared<bool>(false);
  auto* prune = app.add_subcommand("prune", "Delete blobs no model uses and stale temporary files");
  prune->add_flag("--all", *all, "Also files younger than the one-hour grace period");
  prune->footer(
      "Blobs and temporary files younger than an hour are kept (a create may be using them).\n"
      "Nothing is deleted while a manifest does not parse: run `corral verify` first.\n"
      "Examples:\n"
      "  corral prune\n"
      "  corral prune --all        also what a create left behind in the last hour");
  prune->callback([all, &action] { action = [all] { return prune_store(*all); }; });
}

}  // namespace corral::cli
