// Sampling: processors, seeded draws, stop strings across token boundaries, logprobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "reference_sampler.h"
#include "sampling/candidates.h"
#include "sampling/logprobs.h"
#include "sampling/sampler.h"
#include "sampling/stop.h"

namespace corral::sampling {
namespace {

SamplingOptions neutral() {
  SamplingOptions o;
  o.temperature = 1.f;
  o.top_k = 0;
  o.top_p = 1.f;
  o.repeat_penalty = 1.f;
  return o;
}

std::vector<float> ramp_logits(size_t n) {
  std::vector<float> l(n);
  for (size_t i = 0; i < n; ++i) l[i] = std::sin(static_cast<float>(i) * 0.7f) * 2.f;
  return l;
}

std::vector<int32_t> run(const SamplingOptions& o, int steps) {
  Sampler s(o);
  std::vector<float> logits = ramp_logits(64);
  std::vector<int32_t> out;
  for (int i = 0; i < steps; ++i) {
    out.push_back(s.sample(logits));
    s.accept(out.back());
    logits[out.back()] += 0.1f;  // the "model" reacts to its input
  }
  return out;
}

TEST(Sampler, SameSeedGivesSameTokens) {
  SamplingOptions o;  // Ollama's defaults (temperature 0.8, top_k 40, top_p 0.9, repeat 1.1)
  o.seed = 42;
  const auto a = run(o, 200), b = run(o, 200);
  EXPECT_EQ(a, b);
  o.seed = 43;
  EXPECT_NE(run(o, 200), a);
}

TEST(Sampler, TemperatureZeroIsGreedyWithLowestIdOnTies) {
  SamplingOptions o;
  o.temperature = 0.f;
  o.repeat_penalty = 1.f;
  Sampler s(o);
  EXPECT_EQ(s.sample(std::vector<float>{0.f, 3.f, 1.f, 3.f}), 1);
  o.top_k = 0;
  Sampler s2(o);
  EXPECT_EQ(s2.sample(std::vector<float>{0.f, 3.f, 1.f, 3.f}), 1);
}

TEST(Sampler, RepeatPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  SamplingOptions o = neutral();
  o.temperature = 0.f;
  o.repeat_penalty = 1.1f;
  Sampler s(o);
  s.accept(0);
  EXPECT_EQ(s.sample(std::vector<float>{2.0f, 1.9f}), 1);  // 2.0 / 1.1 < 1.9
  Sampler s2(o);
  s2.accept(1);
  EXPECT_EQ(s2.sample(std::vector<float>{-1.0f, -0.95f}), 0);  // -0.95 * 1.1 < -1.0
}

TEST(Sampler, FrequencyAndPresencePenaltiesCount) {
  SamplingOptions o = neutral();
  o.temperature = 0.f;
  o.frequency_penalty = 0.3f;
  o.presence_penalty = 0.05f;
  Sampler s(o);
  s.accept(0);
  s.accept(0);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 0.5f}), 1);  // 1.0 - 2*0.3 - 0.05 = 0.35 < 0.5
  Sampler s2(o);
  s2.accept(0);
  EXPECT_EQ(s2.sample(std::vector<float>{1.0f, 0.5f}), 0);  // 1.0 - 0.3 - 0.05 = 0.65
}

TEST(Sampler, RepeatLastNForgetsOldTokens) {
  SamplingOptions o = neutral();
  o.temperature = 0.f;
  o.repeat_penalty = 2.f;
  o.repeat_last_n = 2;
  Sampler s(o);
  s.accept(0);
  s.accept(1);
  s.accept(1);  // 0 left the window
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 1.5f}), 0);
}

TEST(Sampler, DrawFollowsTheDistribution) {
  SamplingOptions o = neutral();
  o.seed = 7;
  Sampler s(o);
  const std::vector<float> logits{0.f, std::log(3.f)};  // p = 0.25, 0.75
  int ones = 0;
  for (int i = 0; i < 4000; ++i) ones += s.sample(logits);
  EXPECT_NEAR(ones / 4000.0, 0.75, 0.03);
}

TEST(Sampler, TopKTopPAndMinPCutTheTail) {
  const std::vector<float> logits{0.f, 5.f, 4.f, 1.f};
  for (auto set : {+[](SamplingOptions& o) { o.top_k = 1; }, +[](SamplingOptions& o) { o.top_p = 0.5f; },
                   +[](SamplingOptions& o) { o.min_p = 0.5f; }, +[](SamplingOptions& o) { o.typical_p = 0.3f; }}) {
    SamplingOptions o = neutral();
    set(o);
    o.seed = 1;
    Sampler s(o);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(logits), 1);
  }
}

// Random logits of n tokens; with `coarse`, rounded to quarters so that many logits tie (the order
// among equal logits is part of what must match), with some -inf.
std::vector<float> random_logits(std::mt19937& rng, size_t n, bool coarse) {
  std::normal_distribution<float> dist(0.f, 3.f);
  std::vector<float> l(n);
  for (float& x : l) x = coarse ? std::round(dist(rng) * 4.f) / 4.f : dist(rng);
  if (coarse && n > 4) l[rng() % n] = -std::numeric_limits<float>::infinity();
  return l;
}

template <typename T>
T pick(std::mt19937& rng, std::initializer_list<T> values) {
  return *(values.begin() + rng() % values.size());
}

TEST(Candidates, SelectTopEqualsSortingEverything) {
  std::mt19937 rng(3);
  for (int round = 0; round < 400; ++round) {
    const size_t n = pick<size_t>(rng, {1, 2, 9, 300, 5000});
    const std::vector<float> logits = random_logits(rng, n, round % 2 == 0);
    std::vector<Candidate> overrides;
    for (size_t m = rng() % 12; m > 0; --m) {
      const auto id = static_cast<int32_t>(rng() % n);
      if (std::none_of(overrides.begin(), overrides.end(), [&](const Candidate& c) { return c.id == id; }))
        overrides.push_back({id, logits[id] + std::normal_distribution<float>(0.f, 4.f)(rng), 0.f});
    }
    const size_t k = pick<size_t>(rng, {1, 2, 5, 40, 257, 6000});
    Candidates expected;
    expected.reset(logits, overrides);
    std::stable_sort(expected.items.begin(), expected.items.end(),
                     [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; });
    expected.truncate(k);
    Candidates got;
    got.select_top(logits, k, overrides);
    ASSERT_EQ(got.items.size(), expected.items.size()) << "n " << n << " k " << k;
    for (size_t i = 0; i < got.items.size(); ++i) {
      EXPECT_EQ(got.items[i].id, expected.items[i].id) << "n " << n << " k " << k << " rank " << i;
      EXPECT_EQ(got.items[i].logit, expected.items[i].logit);
    }
  }
}

TEST(Candidates, NanLogitsRankLast) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Candidates c;
  c.select_top(std::vector<float>{nan, 1.f, nan, 2.f, nan}, 3);
  ASSERT_EQ(c.items.size(), 3u);
  EXPECT_EQ(c.items[0].id, 3);
  EXPECT_EQ(c.items[1].id, 1);
  EXPECT_EQ(c.items[2].id, 0);
}

// The fast path (selection, penalties as overrides, argmax for greedy) against the whole chain
// applied to every token, over random option combinations, each for a run of 12 tokens where the
// "model" reacts to what was sampled.
TEST(Sampler, EqualsTheReferenceChainOnRandomLogits) {
  std::mt19937 rng(11);
  for (int round = 0; round < 1500; ++round) {
    SamplingOptions o;
    o.temperature = pick<float>(rng, {0.f, 0.f, 0.3f, 0.8f, 1.5f});
    o.top_k = pick<int32_t>(rng, {0, -1, 1, 3, 40, 40, 100000});
    o.top_p = pick<float>(rng, {1.f, 1.f, 0.9f, 0.5f, 0.f});
    o.min_p = pick<float>(rng, {0.f, 0.f, 0.05f, 0.5f, 1.5f});
    o.typical_p = pick<float>(rng, {1.f, 1.f, 1.f, 0.7f, 0.2f});
    o.repeat_last_n = pick<int32_t>(rng, {64, 0, 4});
    o.repeat_penalty = pick<float>(rng, {1.f, 1.1f, 1.3f, 0.8f});
    o.frequency_penalty = pick<float>(rng, {0.f, 0.f, 0.4f, -0.3f});
    o.presence_penalty = pick<float>(rng, {0.f, 0.f, 0.2f, -0.5f});
    o.seed = static_cast<int64_t>(rng() % 1000);
    const size_t n = pick<size_t>(rng, {2, 17, 500, 2000});
    std::vector<float> logits = random_logits(rng, n, rng() % 2 == 0);
    Sampler fast(o);
    testing::ReferenceSampler ref(o);
    for (int p = 0; p < 5; ++p) {  // a prompt
      const auto t = static_cast<int32_t>(rng() % n);
      fast.accept(t);
      ref.accept(t);
    }
    for (int step = 0; step < 12; ++step) {
      const int32_t want = ref.sample(logits);
      const int32_t got = fast.sample(logits);
      ASSERT_EQ(got, want) << "round " << round << " step " << step << ": temperature " << o.temperature << " top_k "
                           << o.top_k << " top_p " << o.top_p << " min_p " << o.min_p << " typical " << o.typical_p
                           << " penalties " << o.repeat_last_n << "/" << o.repeat_penalty << "/" << o.frequency_penalty
                           << "/" << o.presence_penalty << " n " << n;
      fast.accept(got);
      ref.accept(want);
      logits[got] += 0.5f;
      logits[rng() % n] -= 1.f;
    }
  }
}

TEST(Sampler, MinPAboveOneKeepsTheBestToken) {
  SamplingOptions o = neutral();
  o.min_p = 2.f;
  o.seed = 5;
  Sampler s(o);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.sample(std::vector<float>{0.f, 2.f, 1.f}), 1);
}

TEST(StopMatcher, CatchesAStopStringSpanningTwoTokens) {
  StopMatcher m({"<|end|>"});
  std::string out;
  out += m.push("Hello wo");
  out += m.push("rld<|en");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(out, "Hello world");  // "<|en" is held back
  out += m.push("d|> and more");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(out, "Hello world");
  EXPECT_EQ(m.push("later"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, ReleasesAPartialMatchThatDoesNotComplete) {
  StopMatcher m({"\n\nUser:", "###"});
  std::string out = m.push("a\n\nUs");
  EXPECT_EQ(out, "a");
  out += m.push("ually #");
  EXPECT_EQ(out, "a\n\nUsually ");
  out += m.flush();
  EXPECT_EQ(out, "a\n\nUsually #");
  EXPECT_FALSE(m.stopped());
}

TEST(Logprobs, NormalisedWithSortedAlternatives) {
  const std::vector<float> logits{1.f, 3.f, 2.f, 3.f};
  const TokenLogprob lp = token_logprob(logits, 2, 3);
  double sum = 0;
  for (float l : logits) sum += std::exp(l - 3.0);
  EXPECT_NEAR(lp.logprob, 2.0 - 3.0 - std::log(sum), 1e-6);
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].first, 1);
  EXPECT_EQ(lp.top[1].first, 3);
  EXPECT_EQ(lp.top[2].first, 2);
  EXPECT_NEAR(lp.top[0].second, lp.top[1].second, 0);
}

}  // namespace
}  // namespace corral::sampling
