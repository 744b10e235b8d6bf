// `corral cp SRC DST`: another name for a model (POST /api/copy; the manifest is copied, blobs are
// shared), through the running server or the in-process one.
#include <fmt/format.h>

#include "base/env.h"
#include "cli/api_session.h"
#include "cli/command.h"

namespace corral::cli {
namespace {

int copy(const std::string& from, const std::string& to) {
  auto session = ApiSession::open(Env());
  if (!session.ok()) {
    fmt::print(stderr, "Error: {}\n", session.error().to_string());
    return kExitError;
  }
  auto r = (*session)->client().post_json("/api/copy", {{"source", from}, {"destination", to}});
  if (!r.ok()) {
    fmt::print(stderr, "Error: {}\n", r.error().to_string());
    return kExitError;
  }
  fmt::print("copied '{}' to '{}'\n", from, to);
  return kExitOk;
}

}  // namespace

void register_cp(CLI::App& app, Action& action) {
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmd = app.add_subcommand("cp", "Copy a model");
  cmd->add_option("source", names->first, "Existing model")->required();
  cmd->add_option("destination", names->second, "New name")->required();
  cmd->footer(
      "Runs through the server API (the running `corral serve`, else an in-process server on the\n"
      "local store). Blobs are shared, not copied.\n"
      "\n"
      "Examples:\n"
      "  corral cp llama3.2 my-llama:v1\n"
      "  corral cp mymodel me/mymodel:backup");
  cmd->callback([names, &action] { action = [names] { return copy(names->first, names->second); }; });
}

}  // namespace corral::cli
