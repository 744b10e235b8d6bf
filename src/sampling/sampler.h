// A sequence's sampler: the processor chain of engine-spec §7.2 (penalties, top-k, typical,
// top-p, min-p, temperature) and the seeded random draw. The RNG state and the penalty history
// live as long as the sequence, so the same seed and prompt give the same tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "sampling/candidates.h"
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

 private:
  int32_t draw();

  std::vector<std::unique_ptr<LogitsProcessor>> chain_;
  std::mt19937 rng_;
  Candidates candidates_;
};

}  // namespace corral::sampling
