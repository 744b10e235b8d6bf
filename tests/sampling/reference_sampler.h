// The sampling chain written the straightforward way, as corral sampled before it learned to
// avoid sorting the vocabulary: every token is a candidate, the penalties rewrite the list, top-k
// stable-sorts the whole list and truncates it, then typical, top-p, min-p, temperature and the
// draw (engine-spec §7.2/§7.3). The fast Sampler must give the same tokens for the same seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "sampling/options.h"

namespace corral::sampling::testing {

class ReferenceSampler {
 public:
  explicit ReferenceSampler(const SamplingOptions& o) : o_(o), rng_(static_cast<uint32_t>(o.seed)) {}

  void accept(int32_t token) {
    if (o_.repeat_last_n <= 0) return;
    history_.push_back(token);
    if (history_.size() > static_cast<size_t>(o_.repeat_last_n)) history_.pop_front();
  }

  int32_t sample(std::span<const float> logits) {
    items_.clear();
    for (size_t i = 0; i < logits.size(); ++i) items_.push_back({static_cast<int32_t>(i), logits[i], 0.f});
    sorted_ = false;
    penalties();
    if (o_.top_k > 0) {
      sort_desc();
      if (items_.size() > static_cast<size_t>(o_.top_k)) items_.resize(o_.top_k);
    }
    typical();
    top_p();
    min_p();
    temperature();
    return draw();
  }

 private:
  struct Item {
    int32_t id;
    float logit, p;
  };

  void penalties() {
    if (o_.repeat_last_n <= 0 ||
        (o_.repeat_penalty == 1.f && o_.frequency_penalty == 0.f && o_.presence_penalty == 0.f))
      return;
    std::map<int32_t, int32_t> counts;
    for (int32_t t : history_) ++counts[t];
    for (Item& it : items_) {
      const auto c = counts.find(it.id);
      if (c == counts.end()) continue;
      it.logit = it.logit <= 0 ? it.logit * o_.repeat_penalty : it.logit / o_.repeat_penalty;
      it.logit -= static_cast<float>(c->second) * o_.frequency_penalty + o_.presence_penalty;
    }
    sorted_ = false;
  }

  void sort_desc() {
    if (sorted_) return;
    std::stable_sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.logit > b.logit; });
    sorted_ = true;
  }

  void softmax() {
    sort_desc();
    const float max = items_.front().logit;
    float sum = 0.f;
    for (Item& it : items_) sum += (it.p = std::exp(it.logit - max));
    for (Item& it : items_) it.p /= sum;
  }

  void typical() {
    if (o_.typical_p >= 1.f || items_.size() <= 1) return;
    softmax();
    float entropy = 0.f;
    for (const Item& it : items_)
      if (it.p > 0) entropy -= it.p * std::log(it.p);
    std::vector<float> score(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) score[i] = std::fabs(-std::log(items_[i].p) - entropy);
    std::vector<size_t> order(items_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
    float cum = 0.f;
    size_t keep = order.size();
    for (size_t i = 0; i < order.size(); ++i)
      if ((cum += items_[order[i]].p) > o_.typical_p) {
        keep = i + 1;
        break;
      }
    std::vector<Item> kept;
    for (size_t i = 0; i < keep; ++i) kept.push_back(items_[order[i]]);
    items_ = std::move(kept);
    sorted_ = false;
  }

  void top_p() {
    if (o_.top_p >= 1.f) return;
    softmax();
    float cum = 0.f;
    for (size_t i = 0; i < items_.size(); ++i)
      if ((cum += items_[i].p) >= o_.top_p) {
        items_.resize(i + 1);
        return;
      }
  }

  void min_p() {
    if (o_.min_p <= 0.f) return;
    float max = -std::numeric_limits<float>::infinity();
    for (const Item& it : items_) max = std::max(max, it.logit);
    const float threshold = max + std::min(0.f, std::log(o_.min_p));  // min_p >= 1 keeps the best
    std::erase_if(items_, [&](const Item& it) { return it.logit < threshold; });
  }

  void temperature() {
    if (o_.temperature > 0.f) {
      for (Item& it : items_) it.logit /= o_.temperature;
      return;
    }
    size_t best = 0;
    for (size_t i = 1; i < items_.size(); ++i)
      if (items_[i].logit > items_[best].logit) best = i;
    for (size_t i = 0; i < items_.size(); ++i)
      if (i != best) items_[i].logit = -std::numeric_limits<float>::infinity();
  }

  int32_t draw() {
    if (items_.size() == 1) return items_.front().id;
    float max = items_.front().logit;
    for (const Item& it : items_) max = std::max(max, it.logit);
    double sum = 0.0;
    for (const Item& it : items_) sum += std::exp(it.logit - max);
    const double target = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) * sum;
    double run = 0.0;
    for (const Item& it : items_)
      if ((run += std::exp(it.logit - max)) >= target) return it.id;
    return items_.back().id;
  }

  SamplingOptions o_;
  std::mt19937 rng_;
  std::deque<int32_t> history_;
  std::vector<Item> items_;
  bool sorted_ = false;
};

}  // namespace corral::sampling::testing
