// Logits processors: small steps that each transform the candidate list, composed into a chain
// by the Sampler in llama.cpp's order (engine-spec §7.2/§7.3). Each disables itself for the
// neutral value of its option.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "sampling/candidates.h"

namespace corral::sampling {

class LogitsProcessor {
 public:
  virtual ~LogitsProcessor() = default;
  virtual void apply(Candidates& c) = 0;
  // A token was generated (or fed as prompt): processors with history update it.
  virtual void accept(int32_t /*token*/) {}
};

// Repetition, frequency and presence penalties over the last `last_n` accepted tokens.
class PenaltiesProcessor final : public LogitsProcessor {
 public:
  PenaltiesProcessor(int32_t last_n, float repeat, float frequency, float presence);
  void apply(Candidates& c) override;
  void accept(int32_t token) override;

 private:
  size_t last_n_;
  float repeat_, frequency_, presence_;
  std::deque<int32_t> history_;
  std::unordered_map<int32_t, int32_t> counts_;
};

std::unique_ptr<LogitsProcessor> make_top_k(int32_t k);
std::unique_ptr<LogitsProcessor> make_typical(float p);
std::unique_ptr<LogitsProcessor> make_top_p(float p);
std::unique_ptr<LogitsProcessor> make_min_p(float p);
// t <= 0: greedy (every candidate but the first maximum gets -inf); else logits /= t.
std::unique_ptr<LogitsProcessor> make_temperature(float t);

}  // namespace corral::sampling
