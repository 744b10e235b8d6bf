// `corral debug generate`: the greedy continuation of a token sequence (prompt as one batch,
// then one token per step, through engine::Generator as the runner does), for comparison with
// other engines.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/engine_args.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "tokenizer/tokenizer.h"

namespace corral::cli {
namespace {

struct GenerateOptions {
  std::string model;
  std::string tokens;
  int64_t n = 32;
  bool ignore_eos = false;
  size_t threads = 0;
};

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

int run_generate(const GenerateOptions& o) {
  auto ids = parse_token_list(o.tokens);
  if (!ids.ok()) return fail("--tokens: " + ids.error().to_string());
  if (o.n < 0) return fail("-n must not be negative");
  engine::EngineOptions eo;
  eo.num_ctx = static_cast<int64_t>(ids->size()) + o.n;
  eo.num_batch = std::min<int64_t>(512, static_cast<int64_t>(ids->size()));
  eo.num_threads = o.threads;
  auto eng = engine::Engine::load(o.model, eo);
  if (!eng.ok()) return fail(eng.error().to_string());
  std::unique_ptr<Tokenizer> tok;
  if (!o.ignore_eos) {
    auto t = Tokenizer::from_metadata((*eng)->file().metadata());
    if (!t.ok()) return fail("end-of-generation tokens unknown (use --ignore-eos): " + t.error().to_string());
    tok = std::move(t).value();
  }
  // The runner's generation loop (engine::Generator) with greedy options, so that a runner
  // /completion with the same tokens and options gives these ids.
  std::vector<int32_t> out;
  engine::Generator gen(**eng);
  engine::Request req;
  req.prompt = *ids;
  req.options = engine::greedy_options(static_cast<int32_t>(o.n));
  req.on_token = [&](int32_t token, std::span<const float>) {
    out.push_back(token);
    return !(tok && tok->is_eog(token));
  };
  if (auto added = gen.add(std::move(req)); !added.ok()) return fail(added.error().to_string());
  if (auto st = gen.run(); !st.ok()) return fail(st.error().to_string());
  fmt::print("{}\n", fmt::join(out, " "));
  return kExitOk;
}

}  // namespace

void register_debug_generate(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<GenerateOptions>();
  auto* cmd = debug.add_subcommand("generate", "Print the greedy continuation of a token sequence");
  cmd->add_option("model", opts->model, "A GGUF model file")->required();
  cmd->add_option("--tokens", opts->tokens, "Prompt token ids separated by spaces or commas")->required();
  cmd->add_option("-n", opts->n, "Tokens to generate (default 32)");
  cmd->add_flag("--ignore-eos", opts->ignore_eos, "Do not stop at end-of-generation tokens");
  cmd->add_option("--threads", opts->threads, "Threads (default: physical cores)");
  cmd->footer(
      "Prints the generated ids on one line, separated by single spaces.\n"
      "Example: corral debug generate model.gguf --tokens \"1 15043\" -n 16 --ignore-eos");
  cmd->callback([opts, &action] { action = [opts] { return run_generate(*opts); }; });
}

}  // namespace corral::cli
