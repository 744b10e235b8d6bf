// `corral verify [MODEL]`: re-hash a store's blobs and report, per model, every missing blob,
// digest mismatch, truncated GGUF and unparsable manifest, naming the exact file.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "base/env.h"
#include "base/units.h"
#include "cli/command.h"
#include "store/layout.h"
#include "store/verify.h"

namespace corral::cli {
namespace {

struct VerifyArgs {
  std::string model;
  bool verbose = false;
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
  fmt::print("{}", store::format_verify_report(*report));
  return report->ok() ? kExitOk : kExitError;
}

}  // namespace

void register_verify(CLI::App& app, Action& action) {
  auto args = std::make_shared<VerifyArgs>();
  auto* cmd = app.add_subcommand("verify", "Re-hash a model's (or the whole store's) blobs and report what is broken");
  cmd->add_option("model", args->model, "Only this model (default: every model, and stray blobs)");
  cmd->add_flag("-v,--verbose", args->verbose, "Print each blob as it is checked (on stderr)");
  cmd->footer(
      "Reports, per model, manifests that do not parse, missing blobs, blobs whose bytes no longer match\n"
      "their digest (cut short, overwritten) and model layers that are not complete GGUF files, each\n"
      "naming the exact file. Exit status 1 when anything is wrong.\n"
      "Examples:\n"
      "  corral verify\n"
      "  corral verify llama3.2\n"
      "  CORRAL_MODELS=/mnt/usb/models corral verify    a store copied from another machine");
  cmd->callback([args, &action] { action = [args] { return verify(*args); }; });
}

}  // namespace corral::cli
