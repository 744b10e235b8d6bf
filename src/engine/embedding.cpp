// Pooling and normalisation of hidden states (see embedding.h).
#include "engine/embedding.h"

#include <cmath>
#include <string>

#include "base/check.h"

namespace corral::engine {

Result<Pooling> pooling_of(const GgufMetadata& metadata, std::string_view arch) {
  const std::string key = std::string(arch) + ".pooling_type";
  if (!metadata.contains(key)) return Pooling::kMean;
  const std::optional<int64_t> v = metadata.get_int(key);
  if (!v) return Error::format("{} is not an integer", key);
  switch (*v) {
    case 0:  // "none": llama.cpp returns per-token vectors; a single vector per input is the mean
    case 1: return Pooling::kMean;
    case 2: return Pooling::kCls;
    case 3: return Pooling::kLast;
    default: return Error::format("pooling type {} ({}) is not supported for embeddings", *v, key);
  }
}

std::vector<float> pool(std::span<const float> hidden, int64_t n_tokens, int64_t n_embd, Pooling pooling) {
  CORRAL_CHECK(n_tokens > 0 && static_cast<int64_t>(hidden.size()) == n_tokens * n_embd, "bad hidden states {}x{}",
               n_tokens, n_embd);
  std::vector<float> out(n_embd, 0.f);
  if (pooling == Pooling::kMean) {
    // Summed in double: the mean of a long input should not depend on the order of rounding.
    std::vector<double> sum(n_embd, 0.0);
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t i = 0; i < n_embd; ++i) sum[i] += hidden[t * n_embd + i];
    for (int64_t i = 0; i < n_embd; ++i) out[i] = static_cast<float>(sum[i] / static_cast<double>(n_tokens));
  } else {
    const int64_t row = pooling == Pooling::kCls ? 0 : n_tokens - 1;
    for (int64_t i = 0; i < n_embd; ++i) out[i] = hidden[row * n_embd + i];
  }
  l2_normalize(out);
  return out;
}

void l2_normalize(std::span<float> v) {
  double sq = 0.0;
  for (float x : v) sq += static_cast<double>(x) * x;
  if (sq <= 0.0) return;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sq));
  for (float& x : v) x *= inv;
}

}  // namespace corral::engine
