// The candidate list the logits processors work on: token ids with logits (and probabilities
// once a softmax ran), initially every id in id order, unsorted.
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

struct Candidates {
  std::vector<Candidate> items;
  bool sorted = false;  // by logit, descending

  // Every token of `logits` (reuses the storage: no allocation once it has grown).
  void reset(std::span<const float> logits);
  // Only the tokens `ids` (each a valid index of `logits`), in that order.
  void reset(std::span<const float> logits, std::span<const int32_t> ids);
  void sort_desc();
  // p_i = expf(logit_i - max) / sum, the sum in f32 in list order (engine-spec §7.3 softmax).
  void softmax();
  // Keeps the first n items.
  void truncate(size_t n);
};

}  // namespace corral::sampling
