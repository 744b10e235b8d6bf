// The grammar constraint (see constraint.h).
#include "sampling/constraint.h"

namespace corral::sampling {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTrie> trie)
    : matcher_(std::move(grammar)), trie_(std::move(trie)), state_(matcher_.start()) {}

bool GrammarConstraint::allows(int32_t token) {
  if (trie_->is_eog(token)) return matcher_.can_end(state_);
  const std::string_view piece = trie_->piece(token);
  return !piece.empty() && matcher_.walk(state_, piece) != GrammarMatcher::kDead;
}

std::span<const int32_t> GrammarConstraint::allowed() {
  auto it = cache_.find(state_);
  if (it != cache_.end()) {
    ++stats_.cached;
    return it->second;
  }
  ++stats_.walks;
  std::vector<int32_t> ids;
  trie_->allowed_tokens(matcher_, state_, ids, depth_states_);
  if (matcher_.can_end(state_)) ids.insert(ids.end(), trie_->eog().begin(), trie_->eog().end());
  if (cached_ids_ + ids.size() > kMaxCachedIds) {
    cache_.clear();
    cached_ids_ = 0;
  }
  cached_ids_ += ids.size();
  return cache_.emplace(state_, std::move(ids)).first->second;
}

Status GrammarConstraint::accept(int32_t token) {
  if (!allows(token)) return Error::format("token {} does not fit the grammar here", token);
  if (trie_->is_eog(token)) return {};
  state_ = matcher_.walk(state_, trie_->piece(token));
  // Compaction renumbers the automaton's states, and the cache is keyed by them.
  if (matcher_.compact(state_, kMaxStates)) {
    cache_.clear();
    cached_ids_ = 0;
  }
  return {};
}

}  // namespace corral::sampling
