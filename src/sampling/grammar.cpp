// Character sets and the compiler from parsed rules to the flat Grammar (see grammar.h): groups and
// repetitions become generated rules, then undefined rules and left recursion are reported.
#include "sampling/grammar.h"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "sampling/grammar_ast.h"

namespace corral::sampling {

CharSet CharSet::of(std::vector<CharRange> ranges) {
  // Clamp, cut out the surrogates, sort and merge overlapping or adjacent ranges.
  std::vector<CharRange> cut;
  for (CharRange r : ranges) {
    if (r.lo > kMaxCodePoint || r.lo > r.hi) continue;
    r.hi = std::min(r.hi, kMaxCodePoint);
    if (r.lo < 0xD800 && r.hi >= 0xD800) {
      cut.push_back({r.lo, 0xD7FF});
      if (r.hi > 0xDFFF) cut.push_back({0xE000, r.hi});
    } else if (r.lo >= 0xD800 && r.lo <= 0xDFFF) {
      if (r.hi > 0xDFFF) cut.push_back({0xE000, r.hi});
    } else {
      cut.push_back(r);
    }
  }
  std::sort(cut.begin(), cut.end(), [](CharRange a, CharRange b) { return a.lo < b.lo; });
  CharSet s;
  for (CharRange r : cut) {
    if (!s.ranges_.empty() && r.lo <= s.ranges_.back().hi + 1) {
      s.ranges_.back().hi = std::max(s.ranges_.back().hi, r.hi);
    } else {
      s.ranges_.push_back(r);
    }
  }
  for (CharRange r : s.ranges_)
    for (uint32_t c = r.lo; c <= std::min<uint32_t>(r.hi, 127); ++c) s.ascii_[c >> 6] |= uint64_t{1} << (c & 63);
  return s;
}

CharSet CharSet::complement() const {
  std::vector<CharRange> out;
  uint32_t next = 0;
  for (CharRange r : ranges_) {
    if (r.lo > next) out.push_back({next, r.lo - 1});
    next = r.hi + 1;
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  return of(std::move(out));
}

bool CharSet::contains(uint32_t c) const {
  if (c < 128) return (ascii_[c >> 6] >> (c & 63)) & 1;
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), c, [](uint32_t v, CharRange r) { return v < r.lo; });
  return it != ranges_.begin() && c <= std::prev(it)->hi;
}

bool CharSet::intersects(uint32_t lo, uint32_t hi) const {
  // The first range ending at or after lo must start at or before hi.
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), lo, [](CharRange r, uint32_t v) { return r.hi < v; });
  return it != ranges_.end() && it->lo <= hi;
}

bool CharSet::covers(uint32_t lo, uint32_t hi) const {
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), lo, [](CharRange r, uint32_t v) { return r.hi < v; });
  return it != ranges_.end() && it->lo <= lo && hi <= it->hi;
}

namespace detail {
namespace {

using Kind = GrammarExpr::Kind;
using EKind = GrammarElement::Kind;

bool is_atom(const GrammarExpr& e) {
  return e.kind == Kind::kChars || e.kind == Kind::kRef || e.kind == Kind::kRuleId;
}

GrammarExpr rule_ref(uint32_t id) {
  GrammarExpr e;
  e.kind = Kind::kRuleId;
  e.rule = id;
  return e;
}

class Compiler {
 public:
  Result<std::shared_ptr<const Grammar>> compile(const std::vector<GrammarRuleDef>& rules) {
    for (const GrammarRuleDef& r : rules) {
      if (ids_.contains(r.name))
        return Error::format("line {}, column {}: rule \"{}\" is defined twice", r.line, r.column, r.name);
      ids_[r.name] = new_rule_id(r.name);
    }
    const auto root = ids_.find("root");
    if (root == ids_.end()) return Error("the grammar has no rule named \"root\"");
    g_->root = root->second;
    for (const GrammarRuleDef& r : rules) pending_.push_back({ids_[r.name], &r.body});
    while (!pending_.empty()) {
      const auto [id, body] = pending_.front();
      pending_.pop_front();
      CORRAL_TRY(compile_rule(id, *body));
    }
    CORRAL_TRY(check_left_recursion());
    return std::shared_ptr<const Grammar>(std::move(g_));
  }

 private:
  uint32_t new_rule_id(std::string name) {
    g_->rule_names.push_back(std::move(name));
    g_->alternatives.emplace_back();
    return static_cast<uint32_t>(g_->rule_names.size() - 1);
  }

  // A rule generated inside `parent`, compiled after the current alternative is complete (the
  // alternatives of one rule are contiguous in the element array).
  uint32_t generated_rule(uint32_t parent, const GrammarExpr* body) {
    const uint32_t id = new_rule_id(fmt::format("{}_{}", base_name(parent), ++generated_));
    if (body != nullptr) pending_.push_back({id, body});
    return id;
  }
  std::string base_name(uint32_t rule) const {
    const std::string& n = g_->rule_names[rule];
    const size_t cut = rule < ids_.size() ? std::string::npos : n.rfind('_');
    return cut == std::string::npos ? n : n.substr(0, cut);
  }

  Status compile_rule(uint32_t id, const GrammarExpr& body) {
    current_ = id;
    if (body.kind == Kind::kAlt) {
      for (const GrammarExpr& alt : body.items) CORRAL_TRY(compile_alternative(id, alt));
    } else {
      CORRAL_TRY(compile_alternative(id, body));
    }
    return {};
  }

  Status compile_alternative(uint32_t id, const GrammarExpr& seq) {
    const auto start = static_cast<uint32_t>(g_->elements.size());
    CORRAL_TRY(emit(seq));
    CORRAL_TRY(push({EKind::kEnd, 0}));
    g_->alternatives[id].push_back(start);
    return {};
  }

  Status push(GrammarElement e) {
    if (g_->elements.size() >= kMaxGrammarElements)
      return Error::format("the grammar is too large (more than {} elements)", kMaxGrammarElements);
    g_->elements.push_back(e);
    return {};
  }

  uint32_t set_index(const CharSet& s) {
    std::vector<uint32_t> key;
    for (CharRange r : s.ranges()) key.insert(key.end(), {r.lo, r.hi});
    const auto [it, added] = set_ids_.try_emplace(std::move(key), static_cast<uint32_t>(g_->sets.size()));
    if (added) g_->sets.push_back(s);
    return it->second;
  }

  Status emit(const GrammarExpr& e) {
    switch (e.kind) {
      case Kind::kChars: return push({EKind::kChars, set_index(e.chars)});
      case Kind::kRuleId: return push({EKind::kRule, e.rule});
      case Kind::kRef: {
        const auto it = ids_.find(e.name);
        if (it == ids_.end())
          return Error::format("line {}, column {}: undefined rule \"{}\"", e.line, e.column, e.name);
        return push({EKind::kRule, it->second});
      }
      case Kind::kSeq:
        for (const GrammarExpr& item : e.items) CORRAL_TRY(emit(item));
        return {};
      case Kind::kAlt:
        if (e.items.size() == 1) return emit(e.items.front());
        return push({EKind::kRule, generated_rule(current_, &e)});
      case Kind::kRepeat: return emit_repeat(e);
    }
    return {};
  }

  // x{min,max}: x min times, then `s ::= x s | ε` (unbounded) or max-min nested optional rules.
  Status emit_repeat(const GrammarExpr& e) {
    const GrammarExpr& x = e.items.front();
    GrammarExpr atom = is_atom(x) ? x : rule_ref(generated_rule(current_, &x));
    for (uint32_t i = 0; i < e.min; ++i) CORRAL_TRY(emit(atom));
    if (e.max == e.min) return {};
    const uint32_t optional = e.max == kUnbounded ? 1 : e.max - e.min;
    uint32_t inner = 0;
    for (uint32_t k = 0; k < optional; ++k) {
      const uint32_t id = generated_rule(current_, nullptr);
      GrammarExpr& body = owned_.emplace_back();
      body.kind = Kind::kAlt;
      GrammarExpr more;
      more.kind = Kind::kSeq;
      more.items.push_back(atom);
      if (e.max == kUnbounded) {
        more.items.push_back(rule_ref(id));  // s ::= x s | ε
      } else if (k > 0) {
        more.items.push_back(rule_ref(inner));  // o_k ::= x o_{k-1} | ε
      }
      body.items.push_back(std::move(more));
      body.items.emplace_back();  // ε
      pending_.push_back({id, &body});
      inner = id;
      if (g_->rule_names.size() > kMaxGrammarElements)
        return Error::format("the grammar is too large (more than {} rules)", kMaxGrammarElements);
    }
    return emit(rule_ref(inner));
  }

  // A rule that can reach itself without consuming a code point would make the matcher expand
  // forever. Nullable rules first (fixpoint), then a depth-first search over "left edges".
  Status check_left_recursion() const {
    const size_t n = g_->alternatives.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        for (uint32_t start : g_->alternatives[r]) {
          if (!all_nullable(start, nullable)) continue;
          nullable[r] = true;
          changed = true;
          break;
        }
      }
    }
    std::vector<std::vector<uint32_t>> left(n);
    for (size_t r = 0; r < n; ++r)
      for (uint32_t start : g_->alternatives[r])
        for (uint32_t p = start; g_->elements[p].kind == EKind::kRule; ++p) {
          left[r].push_back(g_->elements[p].index);
          if (!nullable[g_->elements[p].index]) break;
        }
    std::vector<uint8_t> color(n, 0);  // 0 new, 1 on the path, 2 done
    for (size_t r = 0; r < n; ++r) {
      if (color[r] != 0) continue;
      std::vector<std::pair<uint32_t, size_t>> stack{{static_cast<uint32_t>(r), 0}};
      color[r] = 1;
      while (!stack.empty()) {
        auto& [rule, next] = stack.back();
        if (next == left[rule].size()) {
          color[rule] = 2;
          stack.pop_back();
          continue;
        }
        const uint32_t to = left[rule][next++];
        if (color[to] == 1)
          return Error::format(
              "left recursion: rule \"{}\" can reach itself without matching a character (a repetition of "
              "something that can be empty counts too)",
              base_name(to));
        if (color[to] == 0) {
          color[to] = 1;
          stack.push_back({to, 0});
        }
      }
    }
    return {};
  }

  // Whether the alternative starting at p can match the empty string.
  bool all_nullable(uint32_t p, const std::vector<bool>& nullable) const {
    for (;; ++p) {
      const GrammarElement& e = g_->elements[p];
      if (e.kind == EKind::kEnd) return true;
      if (e.kind == EKind::kChars || !nullable[e.index]) return false;
    }
  }

  std::unique_ptr<Grammar> g_ = std::make_unique<Grammar>();
  std::unordered_map<std::string, uint32_t> ids_;
  std::map<std::vector<uint32_t>, uint32_t> set_ids_;
  std::deque<std::pair<uint32_t, const GrammarExpr*>> pending_;
  std::deque<GrammarExpr> owned_;  // bodies of repetition rules (stable addresses)
  uint32_t current_ = 0;
  uint32_t generated_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> compile_grammar(const std::vector<GrammarRuleDef>& rules) {
  return Compiler().compile(rules);
}

}  // namespace detail

Result<std::shared_ptr<const Grammar>> parse_grammar(std::string_view gbnf) {
  CORRAL_ASSIGN_OR_RETURN(std::vector<detail::GrammarRuleDef> rules, detail::parse_gbnf(gbnf).with_context("grammar"));
  return detail::compile_grammar(rules).with_context("grammar");
}

}  // namespace corral::sampling
