// `corral verify [MODEL]`: re-hash a store's blobs and report, per model, every missing blob,
// digest mismatch, truncated GGUF and unparsable manifest, naming the exact file.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "base/env.h"
#include "base/units.h"
#include "cli/command.h"
#include "cli/verify_json.h"
#include "store/layout.h"
#include "store/verify.h"

namespace corral::cli {

const char* problem_kind_name(store::ProblemKind kind) {
  switch (kind) {
    case store::ProblemKind::kManifestUnparsable: return "manifest_unparsable";
    case store::ProblemKind::kMissingBlob: return "missing_blob";
    case store::ProblemKind::kDigestMismatch: return "digest_mismatch";
    case store::ProblemKind::kBadGguf: return "bad_gguf";
    case store::ProblemKind::kUnreadableBlob: return "unreadable_blob";
    case store::ProblemKind::kCorruptOrphan: return "corrupt_orphan";
  }
  return "unknown";
}

namespace {

nlohmann::ordered_json problems_json(const std::vector<store::Problem>& problems) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& p : problems)
    out.push_back(
        {{"kind", problem_kind_name(p.kind)}, {"file", p.file.string()}, {"detail", p.detail}, {"models", p.models}});
  return out;
}

}  // namespace

nlohmann::ordered_json verify_report_json(const store::VerifyReport& report) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const auto& m : report.models) {
    models.push_back({{"name", m.name},
                      {"manifest", m.manifest_path.string()},
                      {"ok", m.ok()},
                      {"problems", problems_json(m.problems)}});
  }
  return {{"ok", report.ok()},
          {"blobs_checked", report.blobs_checked},
          {"bytes_hashed", report.bytes_hashed},
          {"models", std::move(models)},
          {"store_problems", problems_json(report.store_problems)}};
}

namespace {

struct VerifyArgs {
  std::string model;
  bool verbose = false;
  bool json = false;
};

int verify(const VerifyArgs& args) {
  auto store = store::Store::from_env(Env());
  if (!store.ok()) {
    fmt::print(stderr, "Error: {}\n", store.error().to_string());
    return kExitError;
  }
  store::VerifyOptions options;
  if (!args.model.empty()) {
    auto name = store::ModelName::parse(args.model);
    if (!name.ok()) {
      fmt::print(stderr, "Error: {}\n", name.error().to_string());
      return kExitError;
    }
    options.only = std::move(*name);
  }
  if (args.verbose) {
    options.on_blob = [](const std::filesystem::path& blob, uint64_t size) {
      fmt::print(stderr, "checking {} ({})\n", blob.string(), human_bytes(static_cast<int64_t>(size)));
    };
  }
  auto report = store::verify_store(*store, options);
  if (!report.ok()) {
    fmt::print(stderr, "Error: {}\n", report.error().to_string());
    return kExitError;
  }
  if (args.json)
    fmt::print("{}\n", verify_report_json(*report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  else
    fmt::print("{}", store::format_verify_report(*report));
  return report->ok() ? kExitOk : kExitError;
}

}  // namespace

void register_verify(CLI::App& app, Action& action) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand("verify", "Re-hash a model's (or the whole store's) blobs and report what is broken");
  cmd->add_option("model", args->model, "Only this model (default: every model, and stray blobs)");
  cmd->add_flag("-v,--verbose", args->verbose, "Print each blob as it is checked (on stderr)");
  cmd->add_flag("--json", args->json, "Print the report as JSON (exit status as without it)");
  cmd->footer(
      "Reports, per model, manifests that do not parse, missing blobs, blobs whose bytes no longer match\n"
      "their digest (cut short, overwritten) and model layers that are not complete GGUF files, each\n"
      "naming the exact file. Exit status 1 when anything is wrong.\n"
      "Examples:\n"
      "  corral verify\n"
      "  corral verify llama3.2\n"
      "  corral verify --json | jq '.models[] | select(.ok | not) | .name'\n"
      "  CORRAL_MODELS=/mnt/usb/models corral verify    a store copied from another machine");
  cmd->callback([args, &action] { action = [args] { return verify(*args); }; });
}

}  // namespace corral::cli
