// Tokenizer speed: encoding 1 MB of English prose (generated deterministically) with the Llama 3
// (byte-level BPE) and SentencePiece vocabularies of ../shared/fixtures/tokenizer, and loading a
// tokenizer from already-parsed GGUF metadata.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gguf/file.h"
#include "tokenizer/tokenizer.h"

namespace corral {
namespace {

std::filesystem::path fixture(const std::string& name) {
  const char* env = std::getenv("CORRAL_FIXTURES");
  return std::filesystem::path(env ? env : CORRAL_BENCH_FIXTURES_DIR) / "tokenizer" / name;
}

// About `bytes` of varied English: sentences drawn from fixed word lists by a fixed LCG, with
// numbers, contractions, punctuation and paragraph breaks.
std::string english_text(size_t bytes) {
  static constexpr std::array<const char*, 24> kSubjects = {"The old lighthouse keeper",
                                                            "A group of students",
                                                            "Our neighbour's dog",
                                                            "The committee",
                                                            "She",
                                                            "Nobody in the village",
                                                            "The river",
                                                            "My grandmother",
                                                            "The engineers",
                                                            "A quiet stranger",
                                                            "Everyone",
                                                            "The morning train",
                                                            "His younger brother",
                                                            "The city council",
                                                            "They",
                                                            "The museum guide",
                                                            "A flock of geese",
                                                            "The baker",
                                                            "Two travellers",
                                                            "The orchestra",
                                                            "I",
                                                            "We",
                                                            "The librarian",
                                                            "You"};
  static constexpr std::array<const char*, 20> kVerbs = {
      "walked past",  "carefully repaired", "never understood", "painted",          "quickly forgot",
      "argued about", "wrote a letter to",  "didn't recognise", "photographed",     "measured",
      "sold",         "borrowed",           "admired",          "were waiting for", "couldn't find",
      "described",    "celebrated",         "ignored",          "visited",          "counted"};
  static constexpr std::array<const char*, 20> kObjects = {"the crooked bridge",
                                                           "an enormous wooden table",
                                                           "the letters from last winter",
                                                           "the garden gate",
                                                           "a map of the northern islands",
                                                           "the broken clock",
                                                           "their favourite café",
                                                           "the harbour",
                                                           "the results",
                                                           "a basket of apples",
                                                           "the mountain road",
                                                           "the evening news",
                                                           "an unfinished symphony",
                                                           "the old station",
                                                           "the market square",
                                                           "a box of photographs",
                                                           "the weather report",
                                                           "the school library",
                                                           "the castle walls",
                                                           "a red bicycle"};
  static constexpr std::array<const char*, 12> kTails = {".",
                                                         ", and then it started to rain.",
                                                         " before anyone noticed.",
                                                         "!",
                                                         "?",
                                                         " in 1987.",
                                                         " for the 3rd time this week.",
                                                         ", which cost $42.50.",
                                                         "; it's been years.",
                                                         " (again).",
                                                         " at 7:45 in the morning.",
                                                         ", as we'd expected."};
  std::string text;
  text.reserve(bytes + 256);
  uint64_t state = 0x2545F4914F6CDD1Dull;
  auto next = [&](size_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>((state >> 33) % n);
  };
  size_t sentences = 0;
  while (text.size() < bytes) {
    text += kSubjects[next(kSubjects.size())];
    text += ' ';
    text += kVerbs[next(kVerbs.size())];
    text += ' ';
    text += kObjects[next(kObjects.size())];
    text += kTails[next(kTails.size())];
    text += (++sentences % 7 == 0) ? "\n\n" : " ";
  }
  text.resize(bytes);
  return text;
}

const Tokenizer* tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  if (auto it = cache.find(name); it != cache.end()) return it->second.get();
  auto file = GgufFile::open(fixture("ggml-vocab-" + name + ".gguf"));
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::from_metadata(file->metadata());
  if (!tok.ok()) return nullptr;
  return cache.emplace(name, std::move(tok).value()).first->second.get();
}

void BM_Encode1MB(benchmark::State& state, const std::string& vocab) {
  const Tokenizer* tok = tokenizer(vocab);
  if (tok == nullptr) {
    state.SkipWithError(("fixture vocabulary absent: " + vocab).c_str());
    return;
  }
  const std::string text = english_text(1 << 20);
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = tok->encode(text);
    n_tokens = ids->size();
    benchmark::DoNotOptimize(ids);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(n_tokens * state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Load(benchmark::State& state, const std::string& vocab) {
  auto file = GgufFile::open(fixture("ggml-vocab-" + vocab + ".gguf"));
  if (!file.ok()) {
    state.SkipWithError(("fixture vocabulary absent: " + vocab).c_str());
    return;
  }
  for (auto _ : state) {
    auto tok = Tokenizer::from_metadata(file->metadata());
    benchmark::DoNotOptimize(tok);
  }
}

BENCHMARK_CAPTURE(BM_Encode1MB, llama3_bpe, std::string("llama3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode1MB, llama2_spm, std::string("llama2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode1MB, qwen3_bpe, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode1MB, gemma3_spm, std::string("gemma3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, llama3, std::string("llama3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, gemma3, std::string("gemma3"))->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace corral
BENCHMARK_MAIN();
