#include "cli/app.h"

#include <fmt/format.h>

#include "base/log.h"
#include "cli/command.h"

namespace corral::cli {

int run(int argc, char** argv) {
  CLI::App app{"corral: run large language models locally (Ollama-compatible)", "corral"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.footer(
      "Examples:\n"
      "  corral show ./model.gguf          what a GGUF file holds\n"
      "  corral show ./model.gguf --json   the same, for scripts\n"
      "Set CORRAL_DEBUG=1 (or OLLAMA_DEBUG=1) for debug logs, 2 for trace.");

  Action action;
  register_show(app, action);
  register_version(app, action);
  register_debug(app, action);
  register_bench(app, action);
  register_verify(app, action);
  register_archive(app, action);
  register_create(app, action);
  register_list(app, action);
  register_cp(app, action);
  register_rm(app, action);
  register_fit(app, action);
  register_runner(app, action);
  register_serve(app, action);
  register_ps(app, action);
  register_run(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!action) return kExitUsage;
  return action();
}

}  // namespace corral::cli
