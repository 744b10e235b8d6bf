// `corral debug logits`: a model's logits for a token sequence, processed as one batch, for
// comparison with other engines (the golden tests compare it with llama.cpp).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/engine_args.h"
#include "engine/engine.h"

namespace corral::cli {
namespace {

struct LogitsOptions {
  std::string model;
  std::string tokens;
  std::string out;
  bool all = false;
  size_t threads = 0;
};

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

Status write_rows(const std::string& path, const std::vector<float>& logits) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return Error::format("{}: cannot open for writing", path);
  // x86-64 is little-endian: the floats' bytes are written as they are in memory.
  if (std::fwrite(logits.data(), sizeof(float), logits.size(), f.get()) != logits.size())
    return Error::format("{}: write failed", path);
  return {};
}

int run_logits(const LogitsOptions& o) {
  auto ids = parse_token_list(o.tokens);
  if (!ids.ok()) return fail("--tokens: " + ids.error().to_string());
  const auto n = static_cast<int64_t>(ids->size());
  engine::EngineOptions eo;
  eo.num_ctx = n;
  eo.num_batch = n;
  eo.max_outputs = o.all ? n : 1;
  eo.num_threads = o.threads;
  auto eng = engine::Engine::load(o.model, eo);
  if (!eng.ok()) return fail(eng.error().to_string());
  auto logits = (*eng)->evaluate(0, *ids, o.all);
  if (!logits.ok()) return fail(logits.error().to_string());
  if (!o.out.empty()) {
    if (auto st = write_rows(o.out, *logits); !st.ok()) return fail(st.error().to_string());
    return kExitOk;
  }
  const auto vocab = static_cast<size_t>((*eng)->n_vocab());
  std::string line;
  for (size_t row = 0; row * vocab < logits->size(); ++row) {
    line.clear();
    for (size_t i = 0; i < vocab; ++i) {
      if (i) line += ' ';
      fmt::format_to(std::back_inserter(line), "{}", (*logits)[row * vocab + i]);
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return kExitOk;
}

}  // namespace

void register_debug_logits(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<LogitsOptions>();
  auto* cmd = debug.add_subcommand("logits", "Print a model's logits for a token sequence (one batch)");
  cmd->add_option("model", opts->model, "A GGUF model file")->required();
  cmd->add_option("--tokens", opts->tokens, "Token ids separated by spaces or commas")->required();
  cmd->add_flag("--all", opts->all, "Every position's logits, not only the last one");
  cmd->add_option("--out", opts->out, "Write raw little-endian float32 rows [positions][n_vocab] to this file");
  cmd->add_option("--threads", opts->threads, "Threads (default: physical cores)");
  cmd->footer(
      "Prints one line per position, the n_vocab values separated by single spaces.\n"
      "Example: corral debug logits model.gguf --tokens \"1 15043 3186\" --all");
  cmd->callback([opts, &action] { action = [opts] { return run_logits(*opts); }; });
}

}  // namespace corral::cli
