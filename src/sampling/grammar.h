// Context-free grammars over Unicode code points, written in GBNF (llama.cpp's notation) and
// compiled into the flat form the matcher (grammar_matcher.h) walks. The notation:
//
//   root   ::= object                  # a rule; `root` is where matching starts
//   object ::= "{" ws ( pair ( "," ws pair )* )? "}"
//   pair   ::= [a-z]+ ":" ws [^\n"]{1,20} | "\u00e9" .
//
// Rules are `name ::= alternatives` (names of letters, digits, `-`, `_`); alternatives are separated
// by `|`, each a sequence of items: "literal", [class] ([^...] negated, ranges a-z), `.` (any code
// point), a rule name, or ( group ). Items take `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`. Escapes in
// literals and classes: \n \r \t \\ \" \' \[ \] \- \^ \/ \xHH \uHHHH \UHHHHHHHH. `#` starts a comment.
// A rule ends at a line break outside parentheses, unless the break follows `::=` or `|` or the
// next line starts with `|`.
//
// Compiled form: every rule is a list of alternatives; an alternative is a run of elements in one
// flat array ending with kEnd. An element matches one code point of a set (kChars) or a whole rule
// (kRule). Groups and repetitions become generated rules: x* is `s ::= x s | ε`, x{0,n} nests n
// optional rules, so repetition never needs a counter on the matcher's stack. Left recursion
// (a rule reaching itself without consuming a code point, including x* of an x that can be empty)
// is rejected: the matcher could not expand it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral::sampling {

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

struct CharRange {
  uint32_t lo = 0, hi = 0;  // inclusive
  bool operator==(const CharRange&) const = default;
};

// A set of Unicode scalar values: sorted, disjoint, non-adjacent ranges; surrogates
// (U+D800–U+DFFF) and values above U+10FFFF are never members (UTF-8 cannot carry them).
class CharSet {
 public:
  CharSet() = default;
  static CharSet of(std::vector<CharRange> ranges);  // normalises (sorts, merges, drops surrogates)
  static CharSet single(uint32_t c) { return of({{c, c}}); }
  static CharSet any() { return of({{0, kMaxCodePoint}}); }

  CharSet complement() const;
  bool contains(uint32_t c) const;
  // Whether some member lies in [lo, hi].
  bool intersects(uint32_t lo, uint32_t hi) const;
  // Whether every value in [lo, hi] is a member.
  bool covers(uint32_t lo, uint32_t hi) const;
  bool empty() const { return ranges_.empty(); }
  std::span<const CharRange> ranges() const { return ranges_; }
  bool operator==(const CharSet&) const = default;

 private:
  std::vector<CharRange> ranges_;
  uint64_t ascii_[2] = {0, 0};  // membership bits of 0..127, the common case of contains()
};

struct GrammarElement {
  enum class Kind : uint8_t { kEnd, kChars, kRule };
  Kind kind = Kind::kEnd;
  uint32_t index = 0;  // kChars: into Grammar::sets; kRule: the rule id
};

struct Grammar {
  std::vector<GrammarElement> elements;             // every alternative, each ended by kEnd
  std::vector<CharSet> sets;                        // distinct sets used by kChars elements
  std::vector<std::vector<uint32_t>> alternatives;  // per rule: the first element of each alternative
  std::vector<std::string> rule_names;              // generated rules are named after their rule: obj_3
  uint32_t root = 0;
};

// Limits on what a grammar may compile to, so a request cannot make the runner allocate without bound.
inline constexpr size_t kMaxGrammarElements = 4'000'000;
inline constexpr uint32_t kMaxRepetition = 100'000;

// Parses and compiles GBNF. Errors say where: `line 3, column 14: expected "::=" after the rule name`,
// `undefined rule "vaule" (line 2, column 9)`, `left recursion: rule "expr" ...`.
Result<std::shared_ptr<const Grammar>> parse_grammar(std::string_view gbnf);

}  // namespace corral::sampling
