// `corral create NAME [-f Modelfile]`: a model from a Modelfile, written directly to the store.
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/env.h"
#include "cli/command.h"
#include "cli/store_util.h"
#include "store/create.h"
#include "store/modelfile.h"

namespace corral::cli {
namespace {

struct CreateArgs {
  std::string name;
  std::string file;  // "" = ./Modelfile, or `FROM .` when there is none
};

int create(const CreateArgs& args) {
  auto store = open_store();
  auto name = parse_model_name(args.name);
  if (!store || !name) return kExitError;
  std::filesystem::path path = args.file.empty() ? "Modelfile" : args.file;
  std::ostringstream text;
  std::error_code ec;
  if (args.file.empty() && !std::filesystem::exists(path, ec)) {
    text << "FROM .\n";  // as Ollama: no -f and no ./Modelfile means the GGUF in this directory
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      fmt::print(stderr, "Error: {}: cannot read the Modelfile\n", path.string());
      return kExitError;
    }
    text << in.rdbuf();
  }
  auto modelfile = store::parse_modelfile(text.str());
  if (!modelfile.ok()) {
    fmt::print(stderr, "Error: {}: {}\n", path.string(), modelfile.error().to_string());
    return kExitError;
  }
  store::CreateOptions options;
  // CORRAL_STORE_COPY=1 copies GGUF files even when a hard link would do (tests use it to exercise
  // the copy path on one filesystem).
  auto force_copy = Env().get_bool("STORE_COPY", false);
  options.allow_hardlink = !(force_copy.ok() && *force_copy);
  bool tty = ::isatty(STDERR_FILENO);
  options.status = [](const std::string& s) { fmt::print(stderr, "{}\n", s); };
  uint64_t last_pct = 101;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!tty || total == 0) return;
    uint64_t pct = done * 100 / total;
    if (pct == last_pct) return;
    last_pct = pct;
    fmt::print(stderr, "\r{:3}% ({} of {} bytes){}", pct, done, total, done == total ? "\n" : "");
  };
  auto dir = std::filesystem::absolute(path).parent_path();
  if (auto st = store::create_model(*store, *name, *modelfile, dir, options); !st.ok()) {
    fmt::print(stderr, "Error: {}\n", st.error().to_string());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void register_create(CLI::App& app, Action& action) {
  auto args = std::make_shared<CreateArgs>();
  auto* cmd = app.add_subcommand("create", "Create a model from a Modelfile");
  cmd->add_option("model", args->name, "Name of the new model, e.g. mymodel or me/mymodel:q4")->required();
  cmd->add_option("-f,--file", args->file, "The Modelfile (default ./Modelfile; without one, the GGUF in .)");
  cmd->footer(
      "Examples:\n"
      "  printf 'FROM ./model.gguf\\nPARAMETER temperature 0.2\\n' > Modelfile\n"
      "  corral create mymodel                the model, stored in $CORRAL_MODELS or ~/.corral/models\n"
      "  corral create mymodel -f other.Modelfile");
  cmd->callback([args, &action] { action = [args] { return create(*args); }; });
}

}  // namespace corral::cli
