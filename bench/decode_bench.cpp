// Decode steps of several slots at once, as continuous batching runs them: Engine::decode with
// B slots (each after a prompt of CORRAL_BENCH_PROMPT tokens, default 512, like corral bench's tg)
// and, separately, greedy and top-k sampling of B rows of logits. The figure that matters is
// tokens/s = B / step time: batching pays when B slots cost little more than one. Run:
//   CORRAL_BENCH_MODEL=model.gguf build/<preset>/bench/decode_bench [--benchmark_filter=Decode]
// (skips without a model; the threads are CORRAL_BENCH_THREADS, default physical cores).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "sampling/sampler.h"

namespace corral::engine {
namespace {

constexpr int32_t kMaxSlots = 8;
constexpr int64_t kSteps = 64;  // decode steps before the slots are cut back to their prompts

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoll(v) : fallback;
}

// One engine for every benchmark: loading a 1B model takes seconds.
struct Loaded {
  std::unique_ptr<Engine> engine;
  std::vector<std::vector<int32_t>> prompts;
  std::string error;
};

Loaded& loaded() {
  static Loaded l = [] {
    Loaded r;
    const char* path = std::getenv("CORRAL_BENCH_MODEL");
    if (path == nullptr) {
      r.error = "set CORRAL_BENCH_MODEL to a GGUF file";
      return r;
    }
    const int64_t prompt = env_int("CORRAL_BENCH_PROMPT", 512);
    EngineOptions o;
    o.num_ctx = prompt + kSteps + 1;
    o.num_batch = prompt;
    o.num_parallel = kMaxSlots;
    o.num_threads = static_cast<size_t>(env_int("CORRAL_BENCH_THREADS", 0));
    auto e = Engine::load(path, o);
    if (!e.ok()) {
      r.error = e.error().to_string();
      return r;
    }
    r.engine = std::move(e).value();
    std::mt19937 rng(7);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(r.engine->n_vocab() - 1));
    for (int32_t s = 0; s < kMaxSlots; ++s) {
      std::vector<int32_t> p(prompt);
      for (int32_t& t : p) t = id(rng);
      r.prompts.push_back(std::move(p));
    }
    return r;
  }();
  return l;
}

void BM_Decode(benchmark::State& state) {
  Loaded& l = loaded();
  if (!l.engine) return state.SkipWithError(l.error.c_str());
  Engine& eng = *l.engine;
  const auto slots = static_cast<int32_t>(state.range(0));
  std::vector<SlotToken> inputs;
  auto reset = [&] {
    for (int32_t s = 0; s < slots; ++s)
      if (!eng.prompt(s, l.prompts[s]).ok()) state.SkipWithError("prompt failed");
  };
  reset();
  int64_t step = 0;
  for (auto _ : state) {
    if (step++ == kSteps) {
      state.PauseTiming();
      reset();
      step = 1;
      state.ResumeTiming();
    }
    inputs.clear();
    for (int32_t s = 0; s < slots; ++s)
      inputs.push_back({s, static_cast<int32_t>((step * 31 + s * 977) % eng.n_vocab())});
    auto r = eng.decode(inputs);
    if (!r.ok()) return state.SkipWithError(r.error().to_string().c_str());
    benchmark::DoNotOptimize(r->data());
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(slots) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Decode)->Arg(1)->Arg(2)->Arg(3)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

// Sampling one row of logits of the model's vocabulary size (random logits, no model needed).
void BM_Sample(benchmark::State& state, sampling::SamplingOptions o) {
  const int64_t vocab = env_int("CORRAL_BENCH_VOCAB", 128256);
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.f, 3.f);
  std::vector<float> logits(vocab);
  for (float& x : logits) x = dist(rng);
  o.seed = 1;
  sampling::Sampler s(o);
  for (int i = 0; i < 64; ++i) s.accept(static_cast<int32_t>(rng() % vocab));
  for (auto _ : state) {
    const int32_t t = s.sample(logits);
    s.accept(t);
    benchmark::DoNotOptimize(t);
  }
}
sampling::SamplingOptions greedy() {
  sampling::SamplingOptions o;
  o.temperature = 0.f;
  o.repeat_penalty = 1.f;
  return o;
}
sampling::SamplingOptions ollama_defaults() {
  sampling::SamplingOptions o;  // temperature 0.8, top_k 40, top_p 0.9
  o.repeat_penalty = 1.f;
  return o;
}
sampling::SamplingOptions with_penalties() {
  sampling::SamplingOptions o;  // repeat_penalty 1.1 over the last 64 tokens
  return o;
}
BENCHMARK_CAPTURE(BM_Sample, greedy, greedy())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, ollama_defaults, ollama_defaults())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, repeat_penalty, with_penalties())->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace corral::engine

BENCHMARK_MAIN();
