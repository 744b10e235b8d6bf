// Per-token log-probabilities under the model's distribution (log-softmax of the raw logits),
// with the top-N alternatives, as Ollama reports them.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace corral::sampling {

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.f;
  std::vector<std::pair<int32_t, float>> top;  // (token, logprob), most likely first
};

TokenLogprob token_logprob(std::span<const float> logits, int32_t token, int32_t top_n);

}  // namespace corral::sampling
