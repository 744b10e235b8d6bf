// `corral runner`: the child process `corral serve` starts for each loaded model (runner/). Not
// for people: hidden from --help, but described for whoever meets it in `ps`.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/command.h"
#include "runner/runner.h"
#include "sched/estimate.h"

namespace corral::cli {
namespace {

struct RunnerArgs {
  std::string model;
  int64_t num_ctx = 4096;
  int64_t num_batch = 512;
  int32_t num_parallel = 1;
  size_t num_threads = 0;
  std::string kv_type = "f16";
  bool embedding = false;
};

int run(const RunnerArgs& a) {
  runner::RunnerConfig config;
  config.model = a.model;
  config.engine.num_ctx = a.num_ctx;
  config.engine.num_batch = a.num_batch;
  config.engine.num_parallel = a.num_parallel;
  config.engine.num_threads = a.num_threads;
  config.embedding = a.embedding;
  auto kv = sched::parse_kv_type(a.kv_type);
  if (!kv.ok()) {
    fmt::print(stderr, "Error: --kv-type: {}\n", kv.error().to_string());
    return kExitUsage;
  }
  config.engine.kv_type = *kv;
  if (a.num_ctx < 1 || a.num_batch < 1 || a.num_parallel < 1) {
    fmt::print(stderr, "Error: --num-ctx, --num-batch and --num-parallel must be positive\n");
    return kExitUsage;
  }
  return runner::run_runner(config);
}

}  // namespace

void register_runner(CLI::App& app, Action& action) {
  auto args = std::make_shared<RunnerArgs>();
  auto* cmd = app.add_subcommand("runner", "Serve one model to `corral serve` over loopback HTTP (internal)");
  cmd->group("");  // hidden from --help
  cmd->add_option("--model", args->model, "The GGUF model file")->required();
  cmd->add_option("--num-ctx", args->num_ctx, "Context length per sequence");
  cmd->add_option("--num-batch", args->num_batch, "Prompt tokens per forward pass");
  cmd->add_option("--num-parallel", args->num_parallel, "Sequences generated at once");
  cmd->add_option("--num-threads", args->num_threads, "Threads (0: physical cores)");
  cmd->add_option("--kv-type", args->kv_type, "KV cache type: f16, f32 or q8_0");
  cmd->add_flag("--embedding", args->embedding, "Loaded for embeddings");
  cmd->footer(
      "Prints \"CORRAL_RUNNER_PORT <n>\" on stdout once it listens on 127.0.0.1:<n>, then loads the model.\n"
      "The protocol is described in docs/architecture.md (\"Runners\").");
  cmd->callback([args, &action] { action = [args] { return run(*args); }; });
}

}  // namespace corral::cli
