// A sequence's sampler: the processor chain of engine-spec §7.2 (penalties, top-k, typical,
// top-p, min-p, temperature) and the seeded random draw. The RNG state and the penalty history
// live as long as the sequence, so the same seed and prompt give the same tokens.
//
// The vocabulary is never sorted: the penalties override only the tokens of their window, a
// top-k keeps the k best tokens in one pass (Candidates::select_top) and the rest of the chain
// runs on those k; greedy without typical sampling is the best token of that pass. The tokens
// are those of applying the whole chain to every token (tests/sampling compare the two).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "base/result.h"
#include "sampling/candidates.h"
#include "sampling/constraint.h"
#include "sampling/options.h"
#include "sampling/processors.h"

namespace corral::sampling {

class Sampler {
 public:
  explicit Sampler(const SamplingOptions& options);

  // Feeds a token into the penalty history (prompt tokens before the first sample, then every
  // generated token; sample() does not accept by itself).
  void accept(int32_t token);
  int32_t sample(std::span<const float> logits);
  // A token `constraint` allows. The unconstrained choice when it is allowed (one walk over its
  // bytes: the usual case when the model follows the format); else a draw among the chain's
  // survivors that are allowed, when top-k/top-p left at most kFewCandidates; else (nothing there,
  // or no truncation) the allowed tokens first and the chain over them alone. Without truncation
  // each allowed token gets p / p(allowed), exactly as masking first; with truncation the
  // allowed survivors keep their relative weights. An error when nothing is allowed. Does not accept.
  Result<int32_t> sample(std::span<const float> logits, TokenConstraint& constraint);

 private:
  static constexpr size_t kFewCandidates = 256;

  int32_t draw();

  Penalties penalties_;
  int32_t top_k_;                                        // <= 0: every token starts the chain
  bool argmax_only_;                                     // greedy, and no processor can drop the best token
  std::vector<std::unique_ptr<LogitsProcessor>> chain_;  // after the top-k
  std::mt19937 rng_;
  Candidates candidates_;
  std::vector<Candidate> overrides_;
  std::vector<float> penalized_;  // logits with the overrides, for a constrained second pass
};

}  // namespace corral::sampling
