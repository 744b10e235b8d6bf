// `corral version` (and `corral -v`): the versions of the running server and of this program,
// like `ollama -v`.
#include <fmt/format.h>

#include "base/env.h"
#include "cli/api_client.h"
#include "cli/command.h"

namespace corral::cli {

int print_version() {
  ApiClient client = ApiClient::from_env(Env());
  auto server = client.get_json("/api/version");
  if (!server.ok()) {
    fmt::print("Warning: could not connect to a running corral server at {}\n", client.address());
    fmt::print("Warning: client version is {}\n", CORRAL_VERSION);
    return kExitOk;
  }
  const std::string server_version = server->value("version", "");
  fmt::print("corral version is {}\n", server_version);
  if (server_version != CORRAL_VERSION) fmt::print("Warning: client version is {}\n", CORRAL_VERSION);
  return kExitOk;
}

void register_version(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "Print the version of corral (and of the running server)");
  cmd->footer(
      "The server at CORRAL_HOST / OLLAMA_HOST is asked for its version; a different client version,\n"
      "or no server, is printed as a warning, as `ollama -v` does.\n"
      "Examples:\n"
      "  corral version\n"
      "  corral -v");
  cmd->callback([&action] { action = [] { return print_version(); }; });
}

}  // namespace corral::cli
