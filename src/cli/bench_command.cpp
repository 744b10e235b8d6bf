// `corral bench`: prompt-processing and generation speed measured like llama-bench: per
// repetition a fresh context, one p-token prompt as one batch (pp), then n single-token decode
// steps with random inputs (tg); median, min and max tokens/s over the repetitions.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cli/bench_format.h"
#include "cli/command.h"
#include "engine/engine.h"

namespace corral::cli {
namespace {

struct BenchOptions {
  std::string model;
  int64_t p = 512;
  int64_t n = 128;
  size_t threads = 0;
  int reps = 3;
  bool json = false;
  FormatBenchOptions format;  // --format / --format-file: also tg with a grammar
};

struct Stats {
  double median = 0, min = 0, max = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size();
  return {m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2, v.front(), v.back()};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status bench(const BenchOptions& o) {
  if (o.p < 1 || o.n < 0 || o.reps < 1) return Error("-p and -r must be positive, -n not negative");
  engine::EngineOptions eo;
  eo.num_ctx = o.p + o.n;
  eo.num_batch = o.p;
  eo.num_threads = o.threads;
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> eng, engine::Engine::load(o.model, eo));
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(eng->n_vocab() - 1));
  std::vector<int32_t> prompt(o.p);
  // Untimed warm-up: one short prompt and one step (pages the weights in).
  {
    std::vector<int32_t> w(std::min<int64_t>(o.p, 8));
    for (int32_t& t : w) t = id(rng);
    CORRAL_TRY(eng->evaluate(0, w));
    eng->clear(0);
  }
  std::vector<double> pp, tg;
  for (int r = 0; r < o.reps; ++r) {
    eng->clear(0);
    for (int32_t& t : prompt) t = id(rng);
    auto t0 = std::chrono::steady_clock::now();
    CORRAL_TRY(eng->evaluate(0, prompt));
    pp.push_back(static_cast<double>(o.p) / seconds_since(t0));
    if (o.n == 0) continue;
    t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < o.n; ++i) {
      const engine::SlotToken in{0, id(rng)};
      CORRAL_TRY(eng->decode({&in, 1}));
    }
    tg.push_back(static_cast<double>(o.n) / seconds_since(t0));
  }
  nlohmann::json format_result;
  if (!o.format.format.empty() || !o.format.format_file.empty()) {
    FormatBenchOptions f = o.format;
    f.n = o.n;
    f.reps = o.reps;
    CORRAL_ASSIGN_OR_RETURN(format_result, bench_format(*eng, f));
  }
  const Stats a = stats(pp);
  if (o.json) {
    nlohmann::json j = {{"model", o.model},
                        {"threads", eng->options().num_threads},
                        {"repetitions", o.reps},
                        {fmt::format("pp{}", o.p), {{"median", a.median}, {"min", a.min}, {"max", a.max}}}};
    if (!tg.empty()) {
      const Stats b = stats(tg);
      j[fmt::format("tg{}", o.n)] = {{"median", b.median}, {"min", b.min}, {"max", b.max}};
    }
    if (!format_result.is_null()) j["grammar"] = format_result;
    fmt::print("{}\n", j.dump(2));
    return {};
  }
  fmt::print("pp{}: {:.2f} tok/s (min {:.2f}, max {:.2f})\n", o.p, a.median, a.min, a.max);
  if (!tg.empty()) {
    const Stats b = stats(tg);
    fmt::print("tg{}: {:.2f} tok/s (min {:.2f}, max {:.2f})\n", o.n, b.median, b.min, b.max);
  }
  if (!format_result.is_null()) print_format_bench(format_result);
  return {};
}

}  // namespace

void register_bench(CLI::App& app, Action& action) {
  auto opts = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure prompt processing and generation speed (like llama-bench)");
  cmd->add_option("model", opts->model, "A GGUF model file")->required();
  cmd->add_option("-p", opts->p, "Prompt tokens, processed as one batch (default 512)");
  cmd->add_option("-n", opts->n, "Decode steps after the prompt (default 128)");
  cmd->add_option("-t,--threads", opts->threads, "Threads (default: physical cores)");
  cmd->add_option("-r,--reps", opts->reps, "Repetitions (default 3)");
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->add_option("--format", opts->format.format,
                  "Also measure tg with sampling, and with sampling under this format's grammar (json)");
  cmd->add_option("--format-file", opts->format.format_file, "Like --format, with the grammar of a JSON schema file");
  cmd->footer(
      "Examples:\n  corral bench model.gguf -p 512 -n 128 -t 2\n"
      "  corral bench model.gguf -p 16 -n 64 --format json     # grammar masking overhead (needs a tokenizer)");
  cmd->callback([opts, &action] {
    action = [opts] {
      if (auto st = bench(*opts); !st.ok()) {
        fmt::print(stderr, "Error: {}\n", st.error().to_string());
        return kExitError;
      }
      return kExitOk;
    };
  });
}

}  // namespace corral::cli
