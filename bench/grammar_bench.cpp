// Grammar masking speed at a large vocabulary (Qwen 3's 151,936 tokens from
// ../shared/fixtures/tokenizer): building the token trie, one allowed-token set by a trie walk
// inside a JSON string (the widest state) and in a value position, and a random walk through the
// JSON grammar that picks among the allowed tokens at every step, the worst case for the cache.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "gguf/file.h"
#include "sampling/constraint.h"
#include "sampling/json_schema.h"
#include "sampling/token_trie.h"
#include "tokenizer/tokenizer.h"

namespace corral::sampling {
namespace {

std::filesystem::path fixture(const std::string& name) {
  const char* env = std::getenv("CORRAL_FIXTURES");
  return std::filesystem::path(env ? env : CORRAL_BENCH_FIXTURES_DIR) / "tokenizer" / name;
}

const Tokenizer* qwen3() {
  static std::unique_ptr<Tokenizer> tok = [] {
    auto file = GgufFile::open(fixture("ggml-vocab-qwen3.gguf"));
    if (!file.ok()) return std::unique_ptr<Tokenizer>();
    auto t = Tokenizer::from_metadata(file->metadata());
    return t.ok() ? std::move(t).value() : std::unique_ptr<Tokenizer>();
  }();
  return tok.get();
}

std::shared_ptr<const TokenTrie> trie() {
  static std::shared_ptr<const TokenTrie> t = qwen3() ? make_token_trie(*qwen3()) : nullptr;
  return t;
}

std::shared_ptr<const Grammar> json_grammar() {
  static std::shared_ptr<const Grammar> g = *parse_grammar(json_object_grammar());
  return g;
}

void BM_TrieBuild(benchmark::State& state) {
  if (!qwen3()) return state.SkipWithError("fixtures absent");
  for (auto _ : state) benchmark::DoNotOptimize(make_token_trie(*qwen3()));
}
BENCHMARK(BM_TrieBuild)->Unit(benchmark::kMillisecond);

// One trie walk from a state the matcher has already seen (transitions memoised).
void walk_from(benchmark::State& state, std::string_view prefix) {
  if (!trie()) return state.SkipWithError("fixtures absent");
  GrammarMatcher m(json_grammar());
  const int32_t s = m.walk(m.start(), prefix);
  std::vector<int32_t> out, scratch;
  trie()->allowed_tokens(m, s, out, scratch);  // warm the transitions
  for (auto _ : state) {
    out.clear();
    trie()->allowed_tokens(m, s, out, scratch);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["allowed"] = static_cast<double>(out.size());
  state.counters["states"] = static_cast<double>(m.state_count());
}
void BM_WalkInString(benchmark::State& state) {
  walk_from(state, "{\"key\": \"some text ");
}
void BM_WalkAtValue(benchmark::State& state) {
  walk_from(state, "{\"key\": ");
}
BENCHMARK(BM_WalkInString)->Unit(benchmark::kMicrosecond);

// The same walk on a fresh matcher: every transition is computed on the way (a request's first
// allowed set inside a string).
void BM_ColdWalkInString(benchmark::State& state) {
  if (!trie()) return state.SkipWithError("fixtures absent");
  std::vector<int32_t> out, scratch;
  size_t states = 0;
  for (auto _ : state) {
    GrammarMatcher m(json_grammar());
    const int32_t s = m.walk(m.start(), "{\"key\": \"some text ");
    out.clear();
    trie()->allowed_tokens(m, s, out, scratch);
    states = m.state_count();
  }
  state.counters["states"] = static_cast<double>(states);
}
BENCHMARK(BM_ColdWalkInString)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WalkAtValue)->Unit(benchmark::kMicrosecond);

// A document written by picking uniformly among the allowed tokens: every step asks for the
// whole allowed set (as with a model the grammar always overrules), then accepts the pick.
void BM_RandomJsonPerToken(benchmark::State& state) {
  if (!trie()) return state.SkipWithError("fixtures absent");
  std::mt19937 rng(7);
  size_t steps = 0, walks = 0;
  auto c = std::make_unique<GrammarConstraint>(json_grammar(), trie());
  for (auto _ : state) {
    const std::span<const int32_t> ids = c->allowed();
    const int32_t pick = ids[rng() % ids.size()];
    if (!c->accept(pick).ok() || trie()->is_eog(pick)) {
      walks += c->stats().walks;
      c = std::make_unique<GrammarConstraint>(json_grammar(), trie());
    }
    ++steps;
  }
  walks += c->stats().walks;
  state.counters["walked_share"] = static_cast<double>(walks) / static_cast<double>(steps);
}
BENCHMARK(BM_RandomJsonPerToken)->Unit(benchmark::kMicrosecond)->Iterations(2000);

}  // namespace
}  // namespace corral::sampling

BENCHMARK_MAIN();
