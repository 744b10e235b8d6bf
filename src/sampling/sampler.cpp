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

Sampler::Sampler(const SamplingOptions& o)
    : penalties_(o.repeat_last_n, o.repeat_penalty, o.frequency_penalty, o.presence_penalty),
      top_k_(o.top_k),
      // Top-k, top-p and min-p keep the best token; typical sampling may drop it.
      argmax_only_(o.temperature <= 0.f && o.typical_p >= 1.f),
      rng_(seed_value(o.seed)) {
  chain_.push_back(make_typical(o.typical_p));
  chain_.push_back(make_top_p(o.top_p));
  chain_.push_back(make_min_p(o.min_p));
  chain_.push_back(make_temperature(o.temperature));
}

void Sampler::accept(int32_t token) {
  penalties_.accept(token);
  for (auto& p : chain_) p->accept(token);
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) return 0;
  penalties_.overrides(logits, overrides_);
  if (argmax_only_) {
    candidates_.select_top(logits, 1, overrides_);
    return candidates_.items.front().id;
  }
  if (top_k_ > 0)
    candidates_.select_top(logits, static_cast<size_t>(top_k_), overrides_);
  else
    candidates_.reset(logits, overrides_);
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
  // Else the allowed tokens first (one walk of the token trie), then the whole chain over them:
  // the penalties' overrides (sample() computed them for these logits), the top-k, the rest.
  const std::span<const int32_t> ids = constraint.allowed();
  if (ids.empty()) return Error("no token of the vocabulary continues the required format here");
  penalized_.assign(logits.begin(), logits.end());
  for (const Candidate& o : overrides_) penalized_[static_cast<size_t>(o.id)] = o.logit;
  candidates_.reset_subset(penalized_, ids);
  if (argmax_only_ || top_k_ > 0) candidates_.keep_top(argmax_only_ ? 1 : static_cast<size_t>(top_k_));
  if (argmax_only_) return candidates_.items.front().id;
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
