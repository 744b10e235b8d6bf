// The candidate list the logits processors work on: token ids with logits (and probabilities
// once a softmax ran). Built either from every token in id order (`reset`) or, when the chain
// starts with a top-k, from only the k best tokens (`select_top`), which costs one pass over the
// vocabulary instead of sorting it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace corral::sampling {

struct Candidate {
  int32_t id = 0;
  float logit = 0.f;
  float p = 0.f;
};

// The order every sort and selection uses: larger logit first, lower id first among equal
// logits (what a stable sort of a list in id order gives). A total order for logits without NaN.
inline bool better(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

struct Candidates {
  std::vector<Candidate> items;
  bool sorted = false;  // by `better`

  // Every token of `logits` in id order, then each override (id, logit) replacing its token's
  // logit (the penalties). Reuses the storage: no allocation once it has grown.
  void reset(std::span<const float> logits, std::span<const Candidate> overrides = {});
  // The k best tokens of `logits` with the overrides applied, sorted: exactly what reset(),
  // sort_desc() and truncate(k) give, in one pass over the logits plus O(k log k).
  void select_top(std::span<const float> logits, size_t k, std::span<const Candidate> overrides = {});
  // Only the tokens `ids` (each a valid index of `logits`), in that order.
  void reset_subset(std::span<const float> logits, std::span<const int32_t> ids);
  // The k best items (all when k is 0), sorted: a selection, then a sort of what is kept.
  void keep_top(size_t k);
  void sort_desc();
  // p_i = expf(logit_i - max) / sum, the sum in f32 in list order (engine-spec §7.3 softmax).
  void softmax();
  // Keeps the first n items.
  void truncate(size_t n);

 private:
  void replace_overridden(std::span<const Candidate> overrides);

  std::vector<Candidate> pool_;        // select_top's working set
  std::vector<int32_t> override_ids_;  // sorted
};

}  // namespace corral::sampling
