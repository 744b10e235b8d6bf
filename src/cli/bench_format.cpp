// Decode speed with a grammar (see bench_format.h). Each repetition runs, on a fresh context with
// an 8-token prompt, n decode steps whose next input is sampled (Ollama's default options), once
// with sampling alone and once with sampling under the grammar; the order alternates between
// repetitions so drift hits both alike. Wall-clock tg on a shared machine moves by more than the
// grammar costs, so the grammar's cost is also measured directly: at every constrained step the
// same logits are sampled once more without the grammar, and the difference of the two choices'
// thread CPU times is the grammar's (masking, trie walks, the second pass of the sampler). With random weights the
// model rarely picks what the grammar allows, so most constrained steps compute the whole allowed set: the worst case.
// A finished document (an end-of-generation token where the grammar may end) starts a new one.
#include "cli/bench_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <random>

#include "base/read_file.h"
#include "sampling/constraint.h"
#include "sampling/json_schema.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace corral::cli {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size();
  return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

json spread(const std::vector<double>& v) {
  return {{"median", median(v)},
          {"min", *std::min_element(v.begin(), v.end())},
          {"max", *std::max_element(v.begin(), v.end())}};
}

Result<std::string> grammar_text(const FormatBenchOptions& o) {
  if (!o.format_file.empty()) {
    CORRAL_ASSIGN_OR_RETURN(std::string text, read_whole_file(o.format_file));
    const auto schema = nlohmann::ordered_json::parse(text, nullptr, false);
    if (schema.is_discarded()) return Error::format("{}: not JSON", o.format_file);
    return sampling::json_schema_to_grammar(schema).with_context(o.format_file);
  }
  if (o.format == "json") return sampling::json_object_grammar();
  return Error::format("--format takes \"json\" (or use --format-file SCHEMA.json), not \"{}\"", o.format);
}

// CPU time of the calling thread: choosing a token runs on this thread alone, and unlike wall
// time it does not count the moments other processes hold the core.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct RunTimes {
  double total = 0;    // wall: decode + choosing the next token, every step (minus `shadow`)
  double grammar = 0;  // CPU: choosing under the grammar minus choosing alone on the same logits
};

// What one step's choice costs: `with_grammar` also returns the CPU seconds it spent beyond a
// plain sample of the same logits, which it measures (untimed for the run) with a second sampler.
using Chooser = std::function<Result<int32_t>(std::span<const float> logits, double& grammar_cpu, double& shadow_wall)>;

// n steps on a fresh context; `choose` picks the next input from the logits.
Result<RunTimes> timed_run(engine::Engine& eng, int64_t n, std::mt19937& rng, const Chooser& choose) {
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(eng.n_vocab() - 1));
  std::vector<int32_t> prompt(8);
  for (int32_t& t : prompt) t = id(rng);
  eng.clear(0);
  CORRAL_ASSIGN_OR_RETURN(std::vector<float> first, eng.evaluate(0, prompt));
  RunTimes t;
  double shadow = 0;
  std::vector<float> logits = std::move(first);
  const auto start = Clock::now();
  for (int64_t i = 0; i < n; ++i) {
    CORRAL_ASSIGN_OR_RETURN(int32_t next, choose(logits, t.grammar, shadow));
    const engine::SlotToken in{0, next};
    CORRAL_ASSIGN_OR_RETURN(std::span<const float> out, eng.decode({&in, 1}));
    logits.assign(out.begin(), out.end());
  }
  t.total = seconds(start, Clock::now()) - shadow;
  return t;
}

}  // namespace

Result<nlohmann::json> bench_format(engine::Engine& eng, const FormatBenchOptions& o) {
  CORRAL_ASSIGN_OR_RETURN(std::string text, grammar_text(o));
  CORRAL_ASSIGN_OR_RETURN(std::shared_ptr<const sampling::Grammar> grammar, sampling::parse_grammar(text));
  auto tok = Tokenizer::from_metadata(eng.file().metadata());
  if (!tok.ok())
    return Error::format(
        "--format needs the model's tokenizer ({}); `corral debug synth --vocab VOCAB.gguf` gives "
        "a benchmark model one",
        tok.error().to_string());
  const auto t0 = Clock::now();
  std::shared_ptr<const sampling::TokenTrie> trie = sampling::make_token_trie(**tok);
  const double trie_ms = seconds(t0, Clock::now()) * 1e3;

  sampling::SamplingOptions options;  // Ollama's defaults
  options.repeat_penalty = 1.0f;
  options.seed = 42;
  std::mt19937 rng(1234);
  std::vector<double> tg_plain, tg_grammar, grammar_ms, step_ms;
  size_t walks = 0, cached = 0, documents = 0;
  for (int r = 0; r < o.reps; ++r) {
    RunTimes plain, constrained;
    for (int pass = 0; pass < 2; ++pass) {
      const bool with_grammar = (pass == 0) == (r % 2 == 1);
      sampling::Sampler sampler(options), shadow_sampler(options);
      auto constraint = std::make_unique<sampling::GrammarConstraint>(grammar, trie);
      Chooser choose = [&](std::span<const float> logits, double& grammar_cpu, double& shadow_wall) -> Result<int32_t> {
        if (!with_grammar) return sampler.sample(logits);
        const double c0 = thread_seconds();
        CORRAL_ASSIGN_OR_RETURN(int32_t t, sampler.sample(logits, *constraint));
        CORRAL_TRY(constraint->accept(t));
        const double c1 = thread_seconds();
        const auto w = Clock::now();
        (void)shadow_sampler.sample(logits);
        shadow_wall += seconds(w, Clock::now());
        grammar_cpu += (c1 - c0) - (thread_seconds() - c1);
        if (trie->is_eog(t)) {  // a finished document: start the next one
          walks += constraint->stats().walks;
          cached += constraint->stats().cached;
          ++documents;
          constraint = std::make_unique<sampling::GrammarConstraint>(grammar, trie);
        }
        return t;
      };
      CORRAL_ASSIGN_OR_RETURN(RunTimes times, timed_run(eng, o.n, rng, choose));
      (with_grammar ? constrained : plain) = times;
      if (with_grammar) {
        walks += constraint->stats().walks;
        cached += constraint->stats().cached;
      }
    }
    const auto n = static_cast<double>(o.n);
    tg_plain.push_back(n / plain.total);
    tg_grammar.push_back(n / constrained.total);
    grammar_ms.push_back(constrained.grammar / n * 1e3);
    step_ms.push_back(plain.total / n * 1e3);
  }
  const double overhead = (median(tg_plain) / median(tg_grammar) - 1.0) * 100.0;
  return json{{"format", o.format_file.empty() ? o.format : o.format_file},
              {"vocab", trie->vocab_size()},
              {"trie_nodes", trie->node_count()},
              {"trie_ms", trie_ms},
              {"steps", o.n},
              {"tg_sampling", spread(tg_plain)},
              {"tg_grammar", spread(tg_grammar)},
              {"overhead_percent", overhead},  // wall clock, noisy on a shared machine
              {"grammar_ms_per_token", median(grammar_ms)},
              {"grammar_percent_of_step", median(grammar_ms) / median(step_ms) * 100.0},
              {"masks_walked", walks},
              {"masks_cached", cached},
              {"documents_finished", documents}};
}

void print_format_bench(const nlohmann::json& r) {
  fmt::print("format {}: vocabulary {} tokens, trie {} nodes built in {:.1f} ms\n", r["format"].get<std::string>(),
             r["vocab"].get<size_t>(), r["trie_nodes"].get<size_t>(), r["trie_ms"].get<double>());
  for (const char* key : {"tg_sampling", "tg_grammar"})
    fmt::print("tg{} {}: {:.2f} tok/s (min {:.2f}, max {:.2f})\n", r["steps"].get<int64_t>(),
               std::string_view(key) == "tg_sampling" ? "with sampling" : "with sampling + grammar",
               r[key]["median"].get<double>(), r[key]["min"].get<double>(), r[key]["max"].get<double>());
  fmt::print(
      "masking overhead: {:.2f}% of a decode step with sampling ({:.3f} ms/token, paired CPU time; {} allowed "
      "sets walked, {} from the cache, {} documents finished); wall-clock tg ratio {:+.1f}%\n",
      r["grammar_percent_of_step"].get<double>(), r["grammar_ms_per_token"].get<double>(),
      r["masks_walked"].get<size_t>(), r["masks_cached"].get<size_t>(), r["documents_finished"].get<size_t>(),
      r["overhead_percent"].get<double>());
}

}  // namespace corral::cli
