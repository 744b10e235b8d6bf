// Sentence embeddings from a sequence's hidden states: pooled as the GGUF `<arch>.pooling_type`
// says (1 mean, 2 CLS = first token, 3 last token; absent or 0 means mean, the choice for decoder
// models without the key) and L2-normalised, as Ollama's /api/embed returns them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/value.h"

namespace corral::engine {

enum class Pooling { kMean = 1, kCls = 2, kLast = 3 };

// The pooling of a model; an error for the kinds this engine does not pool (4 = rank).
Result<Pooling> pooling_of(const GgufMetadata& metadata, std::string_view arch);

// hidden is [n_tokens][n_embd]; returns the pooled row, L2-normalised (a zero row stays zero).
std::vector<float> pool(std::span<const float> hidden, int64_t n_tokens, int64_t n_embd, Pooling pooling);

void l2_normalize(std::span<float> v);

}  // namespace corral::engine
