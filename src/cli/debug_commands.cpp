// The list of `corral debug` subcommands.
#include "cli/command.h"

namespace corral::cli {

void register_debug_commands(CLI::App& debug, Action& action) {
  register_debug_tokenize(debug, action);
  register_debug_render(debug, action);
  register_debug_logits(debug, action);
  register_debug_generate(debug, action);
  register_debug_synth(debug, action);
  register_debug_scripted(debug, action);
}

}  // namespace corral::cli
