// Sampler chain and random draw (see sampler.h).
#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>

namespace corral::sampling {
namespace {

uint32_t seed_value(int64_t seed) {
  const auto s = static_cast<uint32_t>(seed);  // Ollama casts to u32; -1 -> 0xFFFFFFFF = random
  if (s != 0xFFFFFFFFu) return s;
  std::random_device rd;
  return rd();
}

}  // namespace

Sampler::Sampler(const SamplingOptions& o) : rng_(seed_value(o.seed)) {
  chain_.push_back(
      std::make_unique<PenaltiesProcessor>(o.repeat_last_n, o.repeat_penalty, o.frequency_penalty, o.presence_penalty));
  chain_.push_back(make_top_k(o.top_k));
  chain_.push_back(make_typical(o.typical_p));
  chain_.push_back(make_top_p(o.top_p));
  chain_.push_back(make_min_p(o.min_p));
  chain_.push_back(make_temperature(o.temperature));
}

void Sampler::accept(int32_t token) {
  for (auto& p : chain_) p->accept(token);
}

int32_t Sampler::sample(std::span<const float> logits) {
  candidates_.reset(logits);
  for (auto& p : chain_) p->apply(candidates_);
  return draw();
}

Result<int32_t> Sampler::sample(std::span<const float> logits, TokenConstraint& constraint) {
  const int32_t first = sample(logits);
  if (constraint.allows(first)) return first;
  // The chain's survivors that the constraint allows, when top-k/top-p left few: one walk each.
  if (candidates_.items.size() <= kFewCandidates) {
    std::erase_if(candidates_.items, [&](const Candidate& c) { return !constraint.allows(c.id); });
    const bool drawable = std::any_of(candidates_.items.begin(), candidates_.items.end(),
                                      [](const Candidate& c) { return std::isfinite(c.logit); });
    if (drawable) return draw();
  }
  // Else the allowed tokens first (one walk of the token trie), then the whole chain over them.
  const std::span<const int32_t> ids = constraint.allowed();
  if (ids.empty()) return Error("no token of the vocabulary continues the required format here");
  candidates_.reset(logits, ids);
  for (auto& p : chain_) p->apply(candidates_);
  return draw();
}

// p_i = expf(logit_i - max) summed in double; the first candidate whose running sum reaches
// u * sum, u uniform in [0, 1) from the sequence's mt19937.
int32_t Sampler::draw() {
  const auto& items = candidates_.items;
  if (items.size() == 1) return items.front().id;
  float max = items.front().logit;
  for (const Candidate& c : items) max = std::max(max, c.logit);
  double sum = 0.0;
  for (const Candidate& c : items) sum += std::exp(c.logit - max);
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  const double target = u * sum;
  double run = 0.0;
  for (const Candidate& c : items) {
    run += std::exp(c.logit - max);
    if (run >= target) return c.id;
  }
  return items.back().id;
}

}  // namespace corral::sampling
