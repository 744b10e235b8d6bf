// The logits processors (see processors.h); formulas from engine-spec §7.3.
#include "sampling/processors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace corral::sampling {

Penalties::Penalties(int32_t last_n, float repeat, float frequency, float presence)
    : last_n_(last_n > 0 ? static_cast<size_t>(last_n) : 0),
      repeat_(repeat),
      frequency_(frequency),
      presence_(presence) {
  if (repeat_ == 1.f && frequency_ == 0.f && presence_ == 0.f) last_n_ = 0;  // no effect: keep no history
}

void Penalties::accept(int32_t token) {
  if (last_n_ == 0) return;
  history_.push_back(token);
  ++counts_[token];
  if (history_.size() > last_n_) {
    const int32_t old = history_.front();
    history_.pop_front();
    if (--counts_[old] == 0) counts_.erase(old);
  }
}

void Penalties::overrides(std::span<const float> logits, std::vector<Candidate>& out) const {
  out.clear();
  for (const auto& [id, count] : counts_) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    float logit = logits[id];
    logit = logit <= 0 ? logit * repeat_ : logit / repeat_;
    logit -= static_cast<float>(count) * frequency_ + presence_;
    out.push_back({id, logit, 0.f});
  }
}

namespace {

class Typical final : public LogitsProcessor {
 public:
  explicit Typical(float p) : p_(p) {}
  void apply(Candidates& c) override {
    if (p_ >= 1.f || c.items.size() <= 1) return;
    c.softmax();
    float entropy = 0.f;
    for (const Candidate& x : c.items)
      if (x.p > 0) entropy -= x.p * std::log(x.p);
    scores_.resize(c.items.size());
    for (size_t i = 0; i < c.items.size(); ++i) scores_[i] = std::fabs(-std::log(c.items[i].p) - entropy);
    order_.resize(c.items.size());
    std::iota(order_.begin(), order_.end(), size_t{0});
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return scores_[a] < scores_[b]; });
    float cum = 0.f;
    size_t keep = order_.size();
    for (size_t i = 0; i < order_.size(); ++i) {
      cum += c.items[order_[i]].p;
      if (cum > p_) {
        keep = i + 1;
        break;
      }
    }
    kept_.clear();
    for (size_t i = 0; i < keep; ++i) kept_.push_back(c.items[order_[i]]);
    c.items.swap(kept_);
    c.sorted = false;
  }

 private:
  float p_;
  std::vector<float> scores_;
  std::vector<size_t> order_;
  std::vector<Candidate> kept_;
};

class TopP final : public LogitsProcessor {
 public:
  explicit TopP(float p) : p_(p) {}
  void apply(Candidates& c) override {
    if (p_ >= 1.f || c.items.empty()) return;
    c.softmax();
    float cum = 0.f;
    for (size_t i = 0; i < c.items.size(); ++i) {
      cum += c.items[i].p;
      if (cum >= p_) {
        c.truncate(i + 1);
        return;
      }
    }
  }

 private:
  float p_;
};

class MinP final : public LogitsProcessor {
 public:
  explicit MinP(float p) : p_(p) {}
  void apply(Candidates& c) override {
    if (p_ <= 0.f || c.items.empty()) return;
    float max = -std::numeric_limits<float>::infinity();
    for (const Candidate& x : c.items) max = std::max(max, x.logit);
    // min_p >= 1 keeps the most likely tokens rather than none.
    const float threshold = max + std::min(0.f, std::log(p_));
    std::erase_if(c.items, [&](const Candidate& x) { return x.logit < threshold; });
  }

 private:
  float p_;
};

class Temperature final : public LogitsProcessor {
 public:
  explicit Temperature(float t) : t_(t) {}
  void apply(Candidates& c) override {
    if (c.items.empty()) return;
    if (t_ <= 0.f) {
      size_t best = 0;
      for (size_t i = 1; i < c.items.size(); ++i)
        if (c.items[i].logit > c.items[best].logit) best = i;
      for (size_t i = 0; i < c.items.size(); ++i)
        if (i != best) c.items[i].logit = -std::numeric_limits<float>::infinity();
      return;
    }
    for (Candidate& x : c.items) x.logit /= t_;
  }

 private:
  float t_;
};

}  // namespace

std::unique_ptr<LogitsProcessor> make_typical(float p) {
  return std::make_unique<Typical>(p);
}
std::unique_ptr<LogitsProcessor> make_top_p(float p) {
  return std::make_unique<TopP>(p);
}
std::unique_ptr<LogitsProcessor> make_min_p(float p) {
  return std::make_unique<MinP>(p);
}
std::unique_ptr<LogitsProcessor> make_temperature(float t) {
  return std::make_unique<Temperature>(t);
}

}  // namespace corral::sampling
