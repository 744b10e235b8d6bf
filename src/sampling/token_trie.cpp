// The token trie (see token_trie.h).
#include "sampling/token_trie.h"

#include <algorithm>

#include "tokenizer/tokenizer.h"

namespace corral::sampling {

TokenTrie::TokenTrie(std::span<const std::string> pieces, std::span<const int32_t> eog) : eog_(eog.begin(), eog.end()) {
  std::sort(eog_.begin(), eog_.end());
  piece_offsets_.reserve(pieces.size() + 1);
  for (const std::string& p : pieces) {
    piece_offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
    bytes_ += p;
  }
  piece_offsets_.push_back(static_cast<uint32_t>(bytes_.size()));

  std::vector<std::pair<std::string_view, int32_t>> sorted;
  for (size_t id = 0; id < pieces.size(); ++id) {
    const auto t = static_cast<int32_t>(id);
    if (!pieces[id].empty() && pieces[id].size() <= 0xFFFF && !is_eog(t)) sorted.emplace_back(pieces[id], t);
  }
  std::sort(sorted.begin(), sorted.end());

  // Depth-first order falls out of the sorted pieces: each piece shares its longest common prefix
  // with the previous one; deeper nodes of the previous path end there.
  nodes_.push_back(Node{});
  std::vector<uint32_t> path{0};
  std::string_view prev;
  for (const auto& [p, id] : sorted) {
    size_t common = 0;
    while (common < prev.size() && common < p.size() && prev[common] == p[common]) ++common;
    while (path.size() > common + 1) {
      nodes_[path.back()].skip = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
    for (size_t d = common; d < p.size(); ++d) {
      Node n;
      n.tokens_begin = static_cast<uint32_t>(token_ids_.size());
      n.depth = static_cast<uint16_t>(d + 1);
      n.byte = static_cast<uint8_t>(p[d]);
      path.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back(n);
    }
    token_ids_.push_back(id);  // identical pieces are adjacent, so this is always the newest node
    max_depth_ = std::max(max_depth_, p.size());
    prev = p;
  }
  while (!path.empty()) {
    nodes_[path.back()].skip = static_cast<uint32_t>(nodes_.size());
    path.pop_back();
  }
  Node sentinel;
  sentinel.tokens_begin = static_cast<uint32_t>(token_ids_.size());
  sentinel.skip = static_cast<uint32_t>(nodes_.size() + 1);
  nodes_.push_back(sentinel);
}

std::string_view TokenTrie::piece(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= vocab_size()) return {};
  return std::string_view(bytes_).substr(piece_offsets_[id], piece_offsets_[id + 1] - piece_offsets_[id]);
}

bool TokenTrie::is_eog(int32_t id) const {
  return std::binary_search(eog_.begin(), eog_.end(), id);
}

void TokenTrie::allowed_tokens(GrammarMatcher& matcher, int32_t state, std::vector<int32_t>& out,
                               std::vector<int32_t>& depth_states) const {
  depth_states.resize(max_depth_ + 1);
  depth_states[0] = state;
  const size_t end = nodes_.size() - 1;
  size_t i = 1;
  while (i < end) {
    const Node& n = nodes_[i];
    const int32_t s = matcher.step(depth_states[n.depth - 1], n.byte);
    if (s < 0) {
      i = n.skip;
      continue;
    }
    depth_states[n.depth] = s;
    const uint32_t tokens_end = nodes_[i + 1].tokens_begin;
    for (uint32_t t = n.tokens_begin; t < tokens_end; ++t) out.push_back(token_ids_[t]);
    ++i;
  }
}

std::shared_ptr<const TokenTrie> make_token_trie(const Tokenizer& tokenizer) {
  std::vector<std::string> pieces(tokenizer.size());
  for (size_t id = 0; id < pieces.size(); ++id) pieces[id] = tokenizer.piece(static_cast<TokenId>(id), false);
  const std::span<const TokenId> eog = tokenizer.eog_ids();
  return std::make_shared<const TokenTrie>(pieces, std::vector<int32_t>(eog.begin(), eog.end()));
}

}  // namespace corral::sampling
