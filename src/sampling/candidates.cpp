// Candidate list operations (see candidates.h).
#include "sampling/candidates.h"

#include <algorithm>
#include <cmath>

namespace corral::sampling {

void Candidates::reset(std::span<const float> logits) {
  items.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) items[i] = {static_cast<int32_t>(i), logits[i], 0.f};
  sorted = false;
}

void Candidates::reset(std::span<const float> logits, std::span<const int32_t> ids) {
  items.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) items[i] = {ids[i], logits[static_cast<size_t>(ids[i])], 0.f};
  sorted = false;
}

void Candidates::sort_desc() {
  if (sorted) return;
  // Stable, so equal logits keep id order (deterministic across runs).
  std::stable_sort(items.begin(), items.end(),
                   [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; });
  sorted = true;
}

void Candidates::softmax() {
  sort_desc();
  if (items.empty()) return;
  const float max = items.front().logit;
  float sum = 0.f;
  for (Candidate& c : items) {
    c.p = std::exp(c.logit - max);
    sum += c.p;
  }
  for (Candidate& c : items) c.p /= sum;
}

void Candidates::truncate(size_t n) {
  if (n < items.size()) items.resize(n);
}

}  // namespace corral::sampling
