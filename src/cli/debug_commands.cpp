// The list of `corral debug` subcommands.
#include "cli/command.h"

namespace corral::cli {

void register_debug_commands(CLI::App& debug, Action& action) {
  (void)debug;
  (void)action;
}

}  // namespace corral::cli
