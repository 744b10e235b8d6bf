// `corral version`: the program's version, like `ollama -v`.
#include <fmt/format.h>

#include "cli/command.h"

namespace corral::cli {

void register_version(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("version", "Print the version of corral");
  cmd->callback([&action] {
    action = [] {
      fmt::print("corral version is {}\n", CORRAL_VERSION);
      return kExitOk;
    };
  });
}

}  // namespace corral::cli
