// Candidate list operations (see candidates.h).
#include "sampling/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace corral::sampling {
namespace {

// A NaN logit (a broken model) ranks below everything: `better` stays a total order, which
// nth_element and sort need to stay inside the range.
Candidate make_candidate(size_t id, float logit) {
  return {static_cast<int32_t>(id), std::isnan(logit) ? -std::numeric_limits<float>::infinity() : logit, 0.f};
}

// Keeps the `keep` (>= 1) best of pool, unordered; returns the logit of the worst one kept.
float keep_best(std::vector<Candidate>& pool, size_t keep) {
  std::nth_element(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(keep - 1), pool.end(), better);
  pool.resize(keep);
  return pool.back().logit;
}

}  // namespace

void Candidates::reset(std::span<const float> logits, std::span<const Candidate> overrides) {
  items.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) items[i] = make_candidate(i, logits[i]);
  for (const Candidate& o : overrides) items[o.id] = make_candidate(static_cast<size_t>(o.id), o.logit);
  sorted = false;
}

// One pass keeps a pool of tokens that can still be among the `want` best: once the pool holds
// `want`, only a logit above the worst kept one can enter (a later token has a higher id, so an
// equal logit ranks below it); when the pool fills up it is cut back to `want` and the bar rises.
// With m overrides, `want` = k + m: a token that is not overridden and ends among the k best has
// at most k - 1 tokens ahead of it, which are ahead of it in the raw logits too or overridden,
// so its raw rank is below k + m.
void Candidates::select_top(std::span<const float> logits, size_t k, std::span<const Candidate> overrides) {
  const size_t n = logits.size();
  k = std::min(k, n);
  items.clear();
  sorted = true;
  if (k == 0) return;
  const size_t want = std::min(n, k + overrides.size());
  const size_t cap = std::max<size_t>(2 * want, 256);
  pool_.clear();
  size_t i = 0;
  for (; i < n && pool_.size() < want; ++i) pool_.push_back(make_candidate(i, logits[i]));
  if (i < n) {
    float bar = keep_best(pool_, want);
    for (; i < n; ++i) {
      if (!(logits[i] > bar)) continue;
      pool_.push_back(make_candidate(i, logits[i]));
      if (pool_.size() == cap) bar = keep_best(pool_, want);
    }
    if (pool_.size() > want) keep_best(pool_, want);
  }
  replace_overridden(overrides);
  if (pool_.size() > k) keep_best(pool_, k);
  std::sort(pool_.begin(), pool_.end(), better);
  items.assign(pool_.begin(), pool_.end());
}

// Removes the overridden tokens' raw entries from the pool and adds their overridden ones.
void Candidates::replace_overridden(std::span<const Candidate> overrides) {
  if (overrides.empty()) return;
  override_ids_.clear();
  for (const Candidate& o : overrides) override_ids_.push_back(o.id);
  std::sort(override_ids_.begin(), override_ids_.end());
  std::erase_if(
      pool_, [&](const Candidate& c) { return std::binary_search(override_ids_.begin(), override_ids_.end(), c.id); });
  for (const Candidate& o : overrides) pool_.push_back(make_candidate(static_cast<size_t>(o.id), o.logit));
}

void Candidates::reset_subset(std::span<const float> logits, std::span<const int32_t> ids) {
  items.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    items[i] = make_candidate(static_cast<size_t>(ids[i]), logits[static_cast<size_t>(ids[i])]);
  sorted = false;
}

void Candidates::keep_top(size_t k) {
  if (k > 0 && items.size() > k) keep_best(items, k);
  std::sort(items.begin(), items.end(), better);
  sorted = true;
}

void Candidates::sort_desc() {
  if (sorted) return;
  // `better` breaks ties by id, so this equals a stable sort of the list in id order.
  std::sort(items.begin(), items.end(), better);
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
