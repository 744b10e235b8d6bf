// Constraints on which token may come next (structured outputs): the Sampler asks one whether
// its choice is allowed and, when not, for every allowed token; the Generator feeds each chosen
// token back. GrammarConstraint is the grammar-driven one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "sampling/grammar.h"
#include "sampling/grammar_matcher.h"
#include "sampling/token_trie.h"

namespace corral::sampling {

class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  // Whether `token` may come next (cheap: a walk over its bytes).
  virtual bool allows(int32_t token) = 0;
  // Every token that may come next; empty at a dead end. Valid until the next call.
  virtual std::span<const int32_t> allowed() = 0;
  // The token was chosen: advance. An error when it was not allowed.
  virtual Status accept(int32_t token) = 0;
};

// Tokens whose text keeps the output a prefix of the grammar's language; end-of-generation tokens
// only where the grammar is complete. The allowed sets come from one trie walk per state and are
// cached per automaton state (a state inside a long string repeats), within a memory budget.
class GrammarConstraint final : public TokenConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTrie> trie);

  bool allows(int32_t token) override;
  std::span<const int32_t> allowed() override;
  Status accept(int32_t token) override;

  // Whether the output so far is a complete word of the grammar.
  bool complete() const { return matcher_.can_end(state_); }

  struct Stats {
    size_t walks = 0;   // allowed sets computed by a trie walk
    size_t cached = 0;  // allowed sets served from the cache
  };
  const Stats& stats() const { return stats_; }

 private:
  // Bounds of the memo: automaton states kept, and token ids held in cached allowed sets.
  static constexpr size_t kMaxStates = 4096;
  static constexpr size_t kMaxCachedIds = size_t{4} << 20;

  GrammarMatcher matcher_;
  std::shared_ptr<const TokenTrie> trie_;
  int32_t state_;
  std::unordered_map<int32_t, std::vector<int32_t>> cache_;  // automaton state -> allowed tokens
  size_t cached_ids_ = 0;
  std::vector<int32_t> depth_states_;
  Stats stats_;
};

}  // namespace corral::sampling
