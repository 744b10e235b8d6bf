// Log-probabilities (see logprobs.h): log p_i = l_i - max - log(sum exp(l_j - max)), in double.
#include "sampling/logprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace corral::sampling {

TokenLogprob token_logprob(std::span<const float> logits, int32_t token, int32_t top_n) {
  TokenLogprob out;
  out.token = token;
  if (logits.empty()) return out;
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
  const double log_z = max + std::log(sum);
  auto lp = [&](int32_t id) { return static_cast<float>(logits[id] - log_z); };
  out.logprob = lp(token);
  const size_t n = std::min<size_t>(top_n > 0 ? static_cast<size_t>(top_n) : 0, logits.size());
  if (n == 0) return out;
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  for (size_t i = 0; i < n; ++i) out.top.emplace_back(ids[i], lp(ids[i]));
  return out;
}

}  // namespace corral::sampling
