// `corral rm MODEL...` and `corral prune`: removing models and the blobs nothing uses any more.
#include <fmt/format.h>

#include "base/units.h"
#include "cli/command.h"
#include "cli/store_util.h"
#include "store/ops.h"

namespace corral::cli {
namespace {

int remove(const std::vector<std::string>& names) {
  auto store = open_store();
  if (!store) return kExitError;
  int rc = kExitOk;
  for (const auto& text : names) {
    auto name = parse_model_name(text);
    if (!name) return kExitError;
    auto removed = store::remove_model(*store, *name);
    if (!removed.ok()) {
      fmt::print(stderr, "Error: {}\n", removed.error().to_string());
      rc = kExitError;
      continue;
    }
    fmt::print("deleted '{}'\n", text);
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
  cmd->footer("Example:\n  corral rm my-llama:v1");
  cmd->callback([names, &action] { action = [names] { return remove(*names); }; });

  auto all = std::make_shared<bool>(false);
  auto* prune = app.add_subcommand("prune", "Delete blobs no model uses and stale temporary files");
  prune->add_flag("--all", *all, "Also files younger than the one-hour grace period");
  prune->footer(
      "Blobs and temporary files younger than an hour are kept (a create may be using them).\n"
      "Nothing is deleted while a manifest does not parse: run `corral verify` first.");
  prune->callback([all, &action] { action = [all] { return prune_store(*all); }; });
}

}  // namespace corral::cli
