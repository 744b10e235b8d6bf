// Scheduler overhead per request: acquire + release of a warm runner (no process, a stub Runner),
// alone and with several threads sharing one runner's slots.
#include <benchmark/benchmark.h>

#include "sched/scheduler.h"

namespace corral::sched {
namespace {

class StubRunner : public Runner {
 public:
  explicit StubRunner(LoadSpec spec) : spec_(std::move(spec)) {}
  const LoadSpec& spec() const override { return spec_; }
  pid_t pid() const override { return 1; }
  bool alive() const override { return true; }
  std::string exit_description() const override { return ""; }
  uint64_t memory_bytes() const override { return 0; }
  Result<CompletionDone> complete(const CompletionRequest&,
                                  const std::function<bool(const CompletionPiece&)>&) override {
    return Error("stub");
  }
  Result<EmbeddingResult> embed(const EmbeddingRequest&) override { return Error("stub"); }
  Result<std::vector<int32_t>> tokenize(std::string_view) override { return Error("stub"); }
  Result<std::string> detokenize(std::span<const int32_t>) override { return Error("stub"); }

 private:
  LoadSpec spec_;
};

LoadSpec bench_spec() {
  LoadSpec s;
  s.model_name = "bench";
  s.model_path = "/blobs/bench";
  s.num_parallel = 4;
  return s;
}

Scheduler& shared_scheduler() {
  static Scheduler scheduler(
      SchedulerConfig{},
      [](const LoadSpec& spec) -> Result<std::unique_ptr<Runner>> {
        return std::unique_ptr<Runner>(std::make_unique<StubRunner>(spec));
      },
      [](const LoadSpec&) -> Result<LoadPlan> { return LoadPlan{}; });
  return scheduler;
}

// Threads > num_parallel (4) makes some requests wait for a slot.
void BM_AcquireRelease(benchmark::State& state) {
  Scheduler& s = shared_scheduler();
  const LoadSpec spec = bench_spec();
  for (auto _ : state) {
    AcquireResult r = s.acquire(spec);
    if (!r.ok()) state.SkipWithError(r.error().to_string().c_str());
    benchmark::DoNotOptimize(r.value().runner().pid());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcquireRelease)->Threads(1)->Threads(4)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace corral::sched

BENCHMARK_MAIN();
