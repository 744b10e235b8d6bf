// The vocabulary as a byte trie, for finding every token a grammar state allows in one walk:
// tokens that share a prefix share its nodes, so the prefix is matched once, and a byte the
// grammar rejects skips the whole subtree. Nodes are stored in depth-first order with the index
// just past their subtree, so the walk is a forward scan with jumps (no pointers to chase).
// Built once per loaded model; immutable, so one trie serves every request at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/grammar_matcher.h"

namespace corral {
class Tokenizer;
}

namespace corral::sampling {

class TokenTrie {
 public:
  // `pieces[id]` is the text token id adds to the output; an empty piece (control, unknown and
  // unused tokens) is never allowed by a grammar. `eog` are the end-of-generation ids: outside the
  // trie, allowed only where the grammar may end.
  TokenTrie(std::span<const std::string> pieces, std::span<const int32_t> eog);

  size_t vocab_size() const { return piece_offsets_.size() - 1; }
  std::string_view piece(int32_t id) const;
  bool is_eog(int32_t id) const;
  std::span<const int32_t> eog() const { return eog_; }
  size_t node_count() const { return nodes_.size(); }

  // Appends every token (EOG excluded) whose whole piece `matcher` accepts from `state`.
  // `depth_states` is scratch space.
  void allowed_tokens(GrammarMatcher& matcher, int32_t state, std::vector<int32_t>& out,
                      std::vector<int32_t>& depth_states) const;

 private:
  struct Node {
    uint32_t skip = 0;          // index of the first node after this subtree
    uint32_t tokens_begin = 0;  // tokens ending here: token_ids_[tokens_begin, next node's tokens_begin)
    uint16_t depth = 0;         // bytes from the root (the root is 0)
    uint8_t byte = 0;           // the byte that leads here from the parent
  };

  std::vector<Node> nodes_;  // depth-first order, plus one sentinel at the end
  std::vector<int32_t> token_ids_;
  std::string bytes_;  // every piece, concatenated
  std::vector<uint32_t> piece_offsets_;
  std::vector<int32_t> eog_;  // sorted
  size_t max_depth_ = 0;
};

// The trie of a model's vocabulary: each token's text as the output shows it (control, unknown
// and unused tokens have none), its end-of-generation ids apart.
std::shared_ptr<const TokenTrie> make_token_trie(const Tokenizer& tokenizer);

}  // namespace corral::sampling
