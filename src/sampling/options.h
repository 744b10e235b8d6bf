// Ollama's sampling options with Ollama's defaults (engine-spec §7.1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace corral::sampling {

struct SamplingOptions {
  float temperature = 0.8f;    // <= 0: greedy
  int32_t top_k = 40;          // <= 0: off
  float top_p = 0.9f;          // >= 1: off
  float min_p = 0.0f;          // <= 0: off
  float typical_p = 1.0f;      // >= 1: off
  int32_t repeat_last_n = 64;  // 0 or negative: penalties off
  float repeat_penalty = 1.1f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int64_t seed = -1;         // -1: random
  int32_t num_predict = -1;  // -1: until end of generation or context
  std::vector<std::string> stop;
  int32_t top_logprobs = 0;  // alternatives reported per token (0 = none)
};

}  // namespace corral::sampling
