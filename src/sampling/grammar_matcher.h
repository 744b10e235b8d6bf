// Matching bytes against a Grammar: a pushdown automaton determinised lazily into a byte-level
// DFA whose states are memoised, so that walking a token trie costs one table lookup per byte.
//
// A configuration of the pushdown automaton is a stack of element positions: the top is a kChars
// element waiting for a code point, the ones below are where to continue when the rule above
// ends. Stacks are hash-consed in an arena (a node = (position, parent node)), so equal stacks
// are equal ids and a stack shares its tail with the stacks it grew from. Entering a rule pushes
// the element after the reference, except when that element ends the alternative: that tail call
// keeps right recursion (x* is `s ::= x s | ε`) at a constant depth, which is what lets the
// states inside a long string or array repeat.
//
// A DFA state is the set of leaf stacks the input so far can be in (the grammar is ambiguous in
// general), whether the grammar may end there, and a UTF-8 character still being read (its
// length, bytes missing, value so far). A byte that starts or continues a character keeps the
// state alive only if some leaf's set holds a code point with that prefix, so every state is a
// prefix of some word of the grammar: no dead end is ever entered. Invalid UTF-8 (overlong forms,
// surrogates, stray continuation bytes) is rejected. Past a character's second byte, a value that
// every remaining leaf accepts whatever its completion is forgotten, so the states inside a string
// do not multiply by the characters of the vocabulary. Transitions are computed on first use and
// stored in a 256-entry row per state; `compact` bounds the memory by starting over from the
// current state.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sampling/grammar.h"

namespace corral::sampling {

class GrammarMatcher {
 public:
  static constexpr int32_t kDead = -1;

  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  const Grammar& grammar() const { return *grammar_; }
  // The state before any input.
  int32_t start() const { return start_; }
  // The state after `byte` from `state`, or kDead. Memoised: a lookup once seen.
  int32_t step(int32_t state, uint8_t byte) {
    const int32_t t = transitions_[static_cast<size_t>(state) * 256 + byte];
    return t != kUnknown ? t : compute_step(state, byte);
  }
  // The state after `bytes`, or kDead.
  int32_t walk(int32_t state, std::string_view bytes);
  // Whether the input may end in `state` (the grammar is complete and no character is half read).
  bool can_end(int32_t state) const { return states_[state].accept; }
  // Whether some input may follow (false: only the end is left).
  bool can_continue(int32_t state) const;

  size_t state_count() const { return states_.size(); }
  size_t memory_bytes() const;
  // Forgets every memoised state but `state` once the memo holds more than `max_states` states (or
  // its stacks more than 64 × that many nodes) and returns true; `state` is then its new id, and
  // every other id held elsewhere is invalid.
  bool compact(int32_t& state, size_t max_states);

 private:
  static constexpr int32_t kUnknown = -2;
  static constexpr uint32_t kNoNode = 0xFFFFFFFFu;

  struct Node {
    uint32_t pos;     // element index: kChars for a leaf, else where to continue
    uint32_t parent;  // kNoNode at the bottom
  };
  struct State {
    uint32_t leaves_begin = 0, leaves_end = 0;  // into leaf_pool_
    bool accept = false;
    uint8_t utf8_len = 0, utf8_need = 0;  // a character of utf8_len bytes, utf8_need still missing
    uint32_t utf8_value = 0;
  };
  // The leaves and flags of a state under construction.
  struct Draft {
    std::vector<uint32_t> leaves;
    bool accept = false;
    uint8_t utf8_len = 0, utf8_need = 0;
    uint32_t utf8_value = 0;
  };
  struct KeyHash {
    size_t operator()(const std::vector<uint32_t>& k) const;
  };

  // A partial character whose every completion all its leaves accept (see partial()).
  static constexpr uint32_t kAnyValue = 0xFFFFFFFFu;

  int32_t compute_step(int32_t state, uint8_t byte);
  // The state after a whole code point (kAnyValue: one every leaf accepts).
  int32_t advance(int32_t state, uint32_t code_point);
  int32_t partial(int32_t state, uint32_t len, uint32_t need, uint32_t value, uint32_t lo, uint32_t hi,
                  bool after_lead);
  // Adds to draft_ the leaves reachable without consuming input from the (position, parent)
  // pairs in work_, which it empties.
  void expand();
  uint32_t node(uint32_t pos, uint32_t parent);
  int32_t intern(Draft& d);  // sorts and dedupes d.leaves; kDead for no leaves and no end
  void reset_memo();
  int32_t initial_state();

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, uint32_t> node_ids_;
  std::vector<State> states_;
  std::vector<uint32_t> leaf_pool_;
  std::unordered_map<std::vector<uint32_t>, int32_t, KeyHash> state_ids_;
  std::vector<int32_t> transitions_;
  int32_t start_ = kDead;

  // Scratch space of one expansion.
  Draft draft_;
  std::vector<std::pair<uint32_t, uint32_t>> work_;
  std::unordered_set<uint64_t> visited_;
  std::vector<uint32_t> key_;
};

}  // namespace corral::sampling
