// What one forward pass computes: n tokens at given positions, grouped into runs that belong to
// one sequence slot each (a slot owns its KV cells; sequences never see each other's cells).
#pragma once

#include <cstdint>
#include <span>

namespace corral::nn {

struct SeqSegment {
  int32_t slot = 0;
  int64_t begin = 0, end = 0;  // token rows [begin, end) of the batch
};

// What the pass returns for its output rows: logits (the head applied), or the hidden states after
// the final norm (embeddings; the head is skipped).
enum class OutputKind { kLogits, kHidden };

struct BatchView {
  int64_t n_tokens = 0;
  const int32_t* tokens = nullptr;  // [n_tokens]
  const int32_t* pos = nullptr;     // [n_tokens]
  std::span<const SeqSegment> segments;
  OutputKind output = OutputKind::kLogits;
};

}  // namespace corral::nn
