// What one forward pass computes: n tokens at given positions, grouped into runs that belong to
// one sequence slot each (a slot owns its KV cells; sequences never see each other's cells), and
// which rows come out of the pass.
#pragma once

#include <cstdint>
#include <span>

#include "backend/backend.h"

namespace corral::nn {

using corral::SeqSegment;

// What the pass returns for its output rows: logits (the head applied), or the hidden states after
// the final norm (embeddings; the head is skipped).
enum class OutputKind { kLogits, kHidden };

struct BatchView {
  int64_t n_tokens = 0;
  const int32_t* tokens = nullptr;  // [n_tokens]
  const int32_t* pos = nullptr;     // [n_tokens]
  std::span<const SeqSegment> segments;
  std::span<const int64_t> out_rows;  // batch rows whose logits (or hidden states) are wanted
  OutputKind output = OutputKind::kLogits;
};

}  // namespace corral::nn
