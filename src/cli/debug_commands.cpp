// The list of `corral debug` subcommands.
#include "cli/command.h"

namespace corral::cli {

void register_debug_commands(CLI::App& debug, Action& action) {
  register_debug_tokenize(debug, action);
}

}  // namespace corral::cli
