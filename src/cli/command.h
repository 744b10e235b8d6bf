// How commands plug into the command line: each command file registers its subcommand on the app.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace corral::cli {

// A command's action returns the process exit code.
using Action = std::function<int()>;

// Register functions, one per command file.
void register_show(CLI::App& app, Action& action);
void register_version(CLI::App& app, Action& action);
void register_debug(CLI::App& app, Action& action);
void register_bench(CLI::App& app, Action& action);
void register_verify(CLI::App& app, Action& action);
void register_archive(CLI::App& app, Action& action);
void register_create(CLI::App& app, Action& action);
void register_list(CLI::App& app, Action& action);
void register_cp(CLI::App& app, Action& action);
void register_rm(CLI::App& app, Action& action);  // rm and prune
void register_fit(CLI::App& app, Action& action);
void register_runner(CLI::App& app, Action& action);  // hidden: the child of serve
void register_serve(CLI::App& app, Action& action);
void register_ps(CLI::App& app, Action& action);      // ps and stop: clients of the server
void register_run(CLI::App& app, Action& action);     // client of the server
void register_doctor(CLI::App& app, Action& action);  // store, devices and server health
void register_pull(CLI::App& app, Action& action);    // registry client, through the server API
void register_push(CLI::App& app, Action& action);

// `corral debug` subcommands, each in its own debug_<name>_command.cpp; called by register_debug.
void register_debug_commands(CLI::App& debug, Action& action);
void register_debug_tokenize(CLI::App& debug, Action& action);  // tokenize and detokenize
void register_debug_render(CLI::App& debug, Action& action);    // chat templates
void register_debug_logits(CLI::App& debug, Action& action);    // a model's logits for token ids
void register_debug_generate(CLI::App& debug, Action& action);  // greedy continuation of token ids
void register_debug_synth(CLI::App& debug, Action& action);     // random-weight benchmark models
void register_debug_scripted(CLI::App& debug, Action& action);  // test models with scripted answers

// `corral version` and `corral -v`.
int print_version();

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

}  // namespace corral::cli
