#include "cli/app.h"

#include <fmt/format.h>

#include "base/log.h"
#include "cli/command.h"

namespace corral::cli {

int run(int argc, char** argv) {
  CLI::App app{"corral: run large language models locally (Ollama-compatible)", "corral"};
  // `corral -v` alone prints the version, like `ollama -v`; anything else needs a command.
  app.require_subcommand(0, 1);
  bool version_flag = false;
  app.add_flag("-v,--version", version_flag, "Print the version of corral and of the running server");
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.footer(
      "Getting started (README.md has the whole path):\n"
      "  corral serve &                                   the server, on 127.0.0.1:11434\n"
      "  printf 'FROM ./model.gguf\\n' > Modelfile\n"
      "  corral create mymodel -f Modelfile               a model from a GGUF file\n"
      "  corral run mymodel                               chat with it\n"
      "  corral ps                                        what is loaded, and where\n"
      "  corral doctor                                    when something is off\n"
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
  register_doctor(app, action);
  register_pull(app, action);
  register_push(app, action);

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
  if (version_flag && !action) return print_version();
  if (!action) {
    fmt::print(stderr, "{}", app.help());
    return kExitUsage;
  }
  return action();
}

}  // namespace corral::cli
