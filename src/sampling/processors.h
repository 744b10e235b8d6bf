// Logits processors: small steps that each transform the candidate list, composed into a chain
// by the Sampler in llama.cpp's order (engine-spec §7.2/§7.3): penalties, top-k, typical, top-p,
// min-p, temperature. Each disables itself for the neutral value of its option. The penalties and
// top-k shape the list the others start from (see Sampler::sample), so they are not processors.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "sampling/candidates.h"

namespace corral::sampling {

class LogitsProcessor {
 public:
  virtual ~LogitsProcessor() = default;
  virtual void apply(Candidates& c) = 0;
  // A token was generated (or fed as prompt): processors with history update it.
  virtual void accept(int32_t /*token*/) {}
};

// Repetition, frequency and presence penalties over the last `last_n` accepted tokens. They touch
// only the tokens in that window, so instead of rewriting the candidate list they list those
// tokens with their penalised logits (the overrides Candidates::reset/select_top take).
class Penalties {
 public:
  Penalties(int32_t last_n, float repeat, float frequency, float presence);
  void accept(int32_t token);
  // (id, penalised logit) for each distinct token of the window that is an id of `logits`.
  void overrides(std::span<const float> logits, std::vector<Candidate>& out) const;

 private:
  size_t last_n_;
  float repeat_, frequency_, presence_;
  std::deque<int32_t> history_;
  std::unordered_map<int32_t, int32_t> counts_;
};

std::unique_ptr<LogitsProcessor> make_typical(float p);
std::unique_ptr<LogitsProcessor> make_top_p(float p);
std::unique_ptr<LogitsProcessor> make_min_p(float p);
// t <= 0: greedy (every candidate but the first maximum gets -inf); else logits /= t.
std::unique_ptr<LogitsProcessor> make_temperature(float t);

}  // namespace corral::sampling
