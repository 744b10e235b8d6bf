// `corral debug …`: tools for comparing corral with other engines (tokenize, render, logits …).
// Each debug tool registers itself on the group through a register_debug_<name> function.
#include "cli/command.h"

namespace corral::cli {

void register_debug(CLI::App& app, Action& action) {
  auto* debug = app.add_subcommand("debug", "Tools for comparing corral with other engines");
  debug->require_subcommand(1);
  register_debug_commands(*debug, action);
}

}  // namespace corral::cli
