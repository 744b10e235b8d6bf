// `corral export MODEL -o FILE` and `corral import FILE [NAME]`: moving one model between stores
// as a single verified archive.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "base/env.h"
#include "base/units.h"
#include "cli/command.h"
#include "store/archive.h"
#include "store/layout.h"

namespace corral::cli {
namespace {

struct ArchiveArgs {
  std::string model;
  std::string file;
};

std::optional<store::Store> store_from_env() {
  auto s = store::Store::from_env(Env());
  if (!s.ok()) {
    fmt::print(stderr, "Error: {}\n", s.error().to_string());
    return std::nullopt;
  }
  return std::move(*s);
}

void print_status(const std::string& line) {
  fmt::print(stderr, "{}\n", line);
}

int export_cmd(const ArchiveArgs& args) {
  auto store = store_from_env();
  if (!store) return kExitError;
  auto name = store::ModelName::parse(args.model);
  if (!name.ok()) {
    fmt::print(stderr, "Error: {}\n", name.error().to_string());
    return kExitError;
  }
  auto r = store::export_model(*store, *name, args.file, print_status);
  if (!r.ok()) {
    fmt::print(stderr, "Error: {}\n", r.error().to_string());
    return kExitError;
  }
  fmt::print("exported '{}' to {} ({} blobs, {})\n", args.model, args.file, r->blobs,
             human_bytes(static_cast<int64_t>(r->archive_bytes)));
  return kExitOk;
}

int import_cmd(const ArchiveArgs& args) {
  auto store = store_from_env();
  if (!store) return kExitError;
  std::optional<store::ModelName> name;
  if (!args.model.empty()) {
    auto parsed = store::ModelName::parse(args.model);
    if (!parsed.ok()) {
      fmt::print(stderr, "Error: {}\n", parsed.error().to_string());
      return kExitError;
    }
    name = std::move(*parsed);
  }
  auto r = store::import_model(*store, args.file, name, print_status);
  if (!r.ok()) {
    fmt::print(stderr, "Error: {}\n", r.error().to_string());
    return kExitError;
  }
  fmt::print("imported '{}' ({} new blobs, {} already present, {} written)\n", r->name.display_shortest(),
             r->blobs_written, r->blobs_reused, human_bytes(static_cast<int64_t>(r->bytes_written)));
  return kExitOk;
}

}  // namespace

void register_archive(CLI::App& app, Action& action) {
  auto ex = std::make_shared<ArchiveArgs>();
  auto* exp = app.add_subcommand("export", "Write a model (manifest, config, blobs) to one verified archive");
  exp->add_option("model", ex->model, "The model to export")->required();
  exp->add_option("-o,--output", ex->file, "The archive to write (a tar file)")->required();
  exp->footer(
      "Every blob is re-hashed while it is written, so a damaged model is never exported silently.\n"
      "Example:\n"
      "  corral export llama3.2 -o llama3.2.tar\n"
      "  corral import llama3.2.tar                      on the other machine");
  exp->callback([ex, &action] { action = [ex] { return export_cmd(*ex); }; });

  auto im = std::make_shared<ArchiveArgs>();
  auto* imp = app.add_subcommand("import", "Add a model from an archive written by `corral export`");
  imp->add_option("file", im->file, "The archive")->required();
  imp->add_option("name", im->model, "Name for the model (default: the name recorded in the archive)");
  imp->footer(
      "Every digest and size is checked before anything becomes visible: a damaged or truncated\n"
      "archive leaves the store as it was. An existing model of the same name is replaced.\n"
      "Examples:\n"
      "  corral import llama3.2.tar\n"
      "  corral import llama3.2.tar my-llama:v1");
  imp->callback([im, &action] { action = [im] { return import_cmd(*im); }; });
}

}  // namespace corral::cli
