// The lazily determinised grammar automaton (see grammar_matcher.h).
#include "sampling/grammar_matcher.h"

#include <algorithm>

namespace corral::sampling {
namespace {

using EKind = GrammarElement::Kind;

// Code points a UTF-8 sequence of each length may encode (shortest form; index = length).
constexpr uint32_t kMinOfLength[5] = {0, 0, 0x80, 0x800, 0x10000};
constexpr uint32_t kMaxOfLength[5] = {0, 0x7F, 0x7FF, 0xFFFF, kMaxCodePoint};

uint64_t pair_key(uint32_t a, uint32_t b) {
  return (static_cast<uint64_t>(a) << 32) | b;
}

}  // namespace

size_t GrammarMatcher::KeyHash::operator()(const std::vector<uint32_t>& k) const {
  uint64_t h = 1469598103934665603ull;
  for (uint32_t v : k) h = (h ^ v) * 1099511628211ull;
  return static_cast<size_t>(h ^ (h >> 29));
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar)) {
  start_ = initial_state();
}

int32_t GrammarMatcher::initial_state() {
  draft_ = Draft{};
  for (uint32_t alt : grammar_->alternatives[grammar_->root]) work_.push_back({alt, kNoNode});
  expand();
  return intern(draft_);
}

int32_t GrammarMatcher::walk(int32_t state, std::string_view bytes) {
  for (char c : bytes) {
    if (state < 0) return kDead;
    state = step(state, static_cast<uint8_t>(c));
  }
  return state;
}

bool GrammarMatcher::can_continue(int32_t state) const {
  return states_[state].leaves_end > states_[state].leaves_begin;
}

size_t GrammarMatcher::memory_bytes() const {
  return nodes_.capacity() * sizeof(Node) + node_ids_.size() * 32 + states_.capacity() * sizeof(State) +
         leaf_pool_.capacity() * 4 + state_ids_.size() * 64 + transitions_.capacity() * 4;
}

uint32_t GrammarMatcher::node(uint32_t pos, uint32_t parent) {
  const auto [it, added] = node_ids_.try_emplace(pair_key(pos, parent), static_cast<uint32_t>(nodes_.size()));
  if (added) nodes_.push_back({pos, parent});
  return it->second;
}

// Drains work_ (pairs of element position and parent node) into draft_: a kChars element is a
// leaf; the end of an alternative pops to the parent (or, at the bottom, lets the input end); a
// rule reference continues in each of its alternatives.
void GrammarMatcher::expand() {
  const Grammar& g = *grammar_;
  visited_.clear();
  while (!work_.empty()) {
    auto [p, par] = work_.back();
    work_.pop_back();
    while (true) {
      const GrammarElement e = g.elements[p];
      if (e.kind == EKind::kChars) {
        draft_.leaves.push_back(node(p, par));
        break;
      }
      if (e.kind == EKind::kEnd) {
        if (par == kNoNode) {
          draft_.accept = true;
          break;
        }
        const Node up = nodes_[par];
        p = up.pos;
        par = up.parent;
        continue;
      }
      if (!visited_.insert(pair_key(p, par)).second) break;
      const uint32_t ret = g.elements[p + 1].kind == EKind::kEnd ? par : node(p + 1, par);
      for (uint32_t alt : g.alternatives[e.index]) work_.push_back({alt, ret});
      break;
    }
  }
}

int32_t GrammarMatcher::intern(Draft& d) {
  std::sort(d.leaves.begin(), d.leaves.end());
  d.leaves.erase(std::unique(d.leaves.begin(), d.leaves.end()), d.leaves.end());
  if (d.leaves.empty() && !d.accept) return kDead;
  key_.clear();
  key_.push_back(static_cast<uint32_t>(d.accept) | (uint32_t{d.utf8_len} << 8) | (uint32_t{d.utf8_need} << 16));
  key_.push_back(d.utf8_value);
  key_.insert(key_.end(), d.leaves.begin(), d.leaves.end());
  const auto [it, added] = state_ids_.try_emplace(key_, static_cast<int32_t>(states_.size()));
  if (!added) return it->second;
  State s;
  s.leaves_begin = static_cast<uint32_t>(leaf_pool_.size());
  leaf_pool_.insert(leaf_pool_.end(), d.leaves.begin(), d.leaves.end());
  s.leaves_end = static_cast<uint32_t>(leaf_pool_.size());
  s.accept = d.accept;
  s.utf8_len = d.utf8_len;
  s.utf8_need = d.utf8_need;
  s.utf8_value = d.utf8_value;
  states_.push_back(s);
  transitions_.resize(transitions_.size() + 256, kUnknown);
  return it->second;
}

// A state inside a character whose code point lies in [lo, hi]: the leaves that accept some code
// point there stay. From the second byte on, every completion of the prefix is a valid scalar value
// (the lead byte's limits are behind), so when every remaining leaf accepts the whole interval the
// value itself is forgotten (kAnyValue): the prefixes of, say, all CJK characters inside a JSON
// string then share one state instead of one each.
int32_t GrammarMatcher::partial(int32_t state, uint32_t len, uint32_t need, uint32_t value, uint32_t lo, uint32_t hi,
                                bool after_lead) {
  draft_ = Draft{};
  bool every_completion = after_lead;
  const State s = states_[state];
  for (uint32_t i = s.leaves_begin; i < s.leaves_end; ++i) {
    const CharSet& set = grammar_->sets[grammar_->elements[nodes_[leaf_pool_[i]].pos].index];
    if (!set.intersects(lo, hi)) continue;
    draft_.leaves.push_back(leaf_pool_[i]);
    every_completion = every_completion && set.covers(lo, hi);
  }
  if (draft_.leaves.empty()) return kDead;
  draft_.utf8_len = static_cast<uint8_t>(len);
  draft_.utf8_need = static_cast<uint8_t>(need);
  draft_.utf8_value = every_completion ? kAnyValue : value;
  return intern(draft_);
}

int32_t GrammarMatcher::advance(int32_t state, uint32_t cp) {
  draft_ = Draft{};
  const State s = states_[state];
  for (uint32_t i = s.leaves_begin; i < s.leaves_end; ++i) {
    const Node leaf = nodes_[leaf_pool_[i]];
    if (cp == kAnyValue || grammar_->sets[grammar_->elements[leaf.pos].index].contains(cp))
      work_.push_back({leaf.pos + 1, leaf.parent});
  }
  expand();
  return intern(draft_);
}

int32_t GrammarMatcher::compute_step(int32_t state, uint8_t b) {
  const State s = states_[state];
  int32_t next = kDead;
  uint32_t len = 0, need = 0, value = 0;
  if (s.utf8_need > 0 && s.utf8_value == kAnyValue) {
    // Every leaf accepts whatever this character turns out to be.
    if ((b & 0xC0) == 0x80 && s.utf8_need == 1) {
      next = advance(state, kAnyValue);
    } else if ((b & 0xC0) == 0x80) {
      draft_ = Draft{};
      draft_.leaves.assign(leaf_pool_.begin() + s.leaves_begin, leaf_pool_.begin() + s.leaves_end);
      draft_.utf8_len = s.utf8_len;
      draft_.utf8_need = static_cast<uint8_t>(s.utf8_need - 1);
      draft_.utf8_value = kAnyValue;
      next = intern(draft_);
    }
  } else if (s.utf8_need > 0) {
    if ((b & 0xC0) == 0x80) {
      len = s.utf8_len;
      need = s.utf8_need - 1u;
      value = (s.utf8_value << 6) | (b & 0x3Fu);
    }
  } else if (b < 0x80) {
    next = advance(state, b);
  } else if ((b & 0xE0) == 0xC0) {
    len = 2, need = 1, value = b & 0x1Fu;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3, need = 2, value = b & 0x0Fu;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4, need = 3, value = b & 0x07u;
  }
  if (len > 0) {
    // The code points this prefix can still become, within the shortest-form range of its length.
    const uint32_t lo = std::max(value << (6 * need), kMinOfLength[len]);
    const uint32_t hi = std::min((value << (6 * need)) | ((1u << (6 * need)) - 1), kMaxOfLength[len]);
    if (lo <= hi) next = need == 0 ? advance(state, value) : partial(state, len, need, value, lo, hi, s.utf8_need > 0);
  }
  transitions_[static_cast<size_t>(state) * 256 + b] = next;
  return next;
}

void GrammarMatcher::reset_memo() {
  nodes_.clear();
  node_ids_.clear();
  states_.clear();
  leaf_pool_.clear();
  state_ids_.clear();
  transitions_.clear();
}

bool GrammarMatcher::compact(int32_t& state, size_t max_states) {
  if (states_.size() <= max_states && nodes_.size() <= max_states * 64) return false;
  // The stacks of `state`, bottom first, rebuilt in a fresh arena.
  const State s = states_[state];
  std::vector<std::vector<uint32_t>> stacks;
  for (uint32_t i = s.leaves_begin; i < s.leaves_end; ++i) {
    std::vector<uint32_t>& positions = stacks.emplace_back();
    for (uint32_t n = leaf_pool_[i]; n != kNoNode; n = nodes_[n].parent) positions.push_back(nodes_[n].pos);
    std::reverse(positions.begin(), positions.end());
  }
  reset_memo();
  start_ = initial_state();
  Draft d;
  for (const std::vector<uint32_t>& positions : stacks) {
    uint32_t parent = kNoNode;
    for (uint32_t pos : positions) parent = node(pos, parent);
    d.leaves.push_back(parent);
  }
  d.accept = s.accept;
  d.utf8_len = s.utf8_len;
  d.utf8_need = s.utf8_need;
  d.utf8_value = s.utf8_value;
  state = intern(d);
  return true;
}

}  // namespace corral::sampling
