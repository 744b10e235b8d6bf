// The grammar engine: GBNF parsing and its errors, what the matcher accepts and rejects (UTF-8,
// repetition, recursion), and the token trie's allowed sets against a brute-force reference that
// checks every token on its own with an independent, unmemoised stack matcher.
#include "sampling/grammar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sampling/constraint.h"
#include "sampling/grammar_matcher.h"
#include "sampling/sampler.h"
#include "sampling/token_trie.h"
#include "tokenizer/unicode.h"

namespace corral::sampling {
namespace {

std::shared_ptr<const Grammar> compile(std::string_view text) {
  auto g = parse_grammar(text);
  EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().to_string()) << "\n" << text;
  return g.ok() ? *g : nullptr;
}

std::string parse_error(std::string_view text) {
  auto g = parse_grammar(text);
  return g.ok() ? "(no error)" : g.error().to_string();
}

// Whole-word and prefix checks through the memoised automaton.
bool matches(GrammarMatcher& m, std::string_view s) {
  const int32_t st = m.walk(m.start(), s);
  return st != GrammarMatcher::kDead && m.can_end(st);
}
bool is_prefix(GrammarMatcher& m, std::string_view s) {
  return m.walk(m.start(), s) != GrammarMatcher::kDead;
}

TEST(GrammarParse, AcceptsTheNotation) {
  const char* text = R"(# a comment line
root   ::= object   # trailing comment
object ::= "{" ws ( pair ( "," ws pair )* )? "}"
pair   ::= [a-z_]+ ":" ws value
value  ::= [0-9]{1,3} | "\"" [^"\\\n]* "\"" | object
         | "null"
ws     ::= ( " "
           | "\t" )?
)";
  auto g = compile(text);
  ASSERT_NE(g, nullptr);
  GrammarMatcher m(g);
  EXPECT_TRUE(matches(m, "{}"));
  EXPECT_TRUE(matches(m, "{a:1,b: \"x y\",\tc:{d:null}}"));
  EXPECT_TRUE(matches(m, "{a:123}"));
  EXPECT_FALSE(matches(m, "{a:1234}"));
  EXPECT_FALSE(matches(m, "{a:1,}"));
  EXPECT_FALSE(matches(m, "{A:1}"));
  EXPECT_TRUE(is_prefix(m, "{a:\"x"));
  EXPECT_FALSE(is_prefix(m, "{a:\"x\n"));
}

TEST(GrammarParse, ReportsErrorsWithPositions) {
  EXPECT_EQ(parse_error(""), "grammar: the grammar has no rules");
  EXPECT_EQ(parse_error("root ::= \"a\"\nrot ::= x"), "grammar: line 2, column 9: undefined rule \"x\"");
  EXPECT_EQ(parse_error("root = \"a\""), "grammar: line 1, column 6: expected \"::=\" after \"root\"");
  EXPECT_EQ(parse_error("a ::= \"x\""), "grammar: the grammar has no rule named \"root\"");
  EXPECT_EQ(parse_error("root ::= \"abc"), "grammar: line 1, column 10: unterminated literal");
  EXPECT_EQ(parse_error("root ::= [abc"), "grammar: line 1, column 10: unterminated character class");
  EXPECT_EQ(parse_error("root ::= ( \"a\" "), "grammar: line 1, column 16: expected \")\"");
  EXPECT_EQ(parse_error("root ::= \"a\"{3,2}"),
            "grammar: line 1, column 13: repetition {3,2} has its maximum below its minimum");
  EXPECT_EQ(parse_error("root ::= \"a\"{1000000}"), "grammar: line 1, column 14: repetition count above 100000");
  EXPECT_EQ(parse_error("root ::= \"\\q\""), "grammar: line 1, column 11: unknown escape \"\\q\"");
  EXPECT_EQ(parse_error("root ::= [z-a]"), "grammar: line 1, column 12: character range with its end before its start");
  EXPECT_EQ(parse_error("root ::= \"\\uD800\""), "grammar: line 1, column 11: U+D800 is not a Unicode scalar value");
  EXPECT_EQ(parse_error("root ::= \"\xC3\""), "grammar: line 1, column 11: invalid UTF-8");
  EXPECT_EQ(parse_error("root ::= \"a\" @"), "grammar: line 1, column 14: unexpected \"@\"");
  EXPECT_EQ(parse_error("root ::= \"a\"\nroot ::= \"b\""), "grammar: line 2, column 1: rule \"root\" is defined twice");
  EXPECT_EQ(parse_error("root ::= root \"a\" | \"b\""),
            "grammar: left recursion: rule \"root\" can reach itself without matching a character (a repetition "
            "of something that can be empty counts too)");
  EXPECT_EQ(parse_error("root ::= (\"a\"?)*"),
            "grammar: left recursion: rule \"root\" can reach itself without matching a character (a repetition "
            "of something that can be empty counts too)");
  EXPECT_EQ(parse_error("root ::= x\nx ::= y \"a\"\ny ::= \"\" | x"),
            "grammar: left recursion: rule \"x\" can reach itself without matching a character (a repetition "
            "of something that can be empty counts too)");
  EXPECT_EQ(parse_error("root ::= [^\\x00-\\U0010FFFF]"),
            "grammar: line 1, column 10: character class that matches nothing");
}

TEST(GrammarMatch, RepetitionCounts) {
  auto g = compile("root ::= \"a\"{2,4} \"b\"* \"c\"+ \"d\"? \"e\"{3} \"f\"{2,}");
  GrammarMatcher m(g);
  EXPECT_TRUE(matches(m, "aaceeeff"));
  EXPECT_TRUE(matches(m, "aaaabbbcccdeeefff"));
  EXPECT_FALSE(matches(m, "aceeeff"));      // a{2,4}: one is too few
  EXPECT_FALSE(matches(m, "aaaaaceeeff"));  // five is too many
  EXPECT_FALSE(matches(m, "aaeeeff"));      // c+ needs one
  EXPECT_FALSE(matches(m, "aacddeeeff"));   // d? at most one
  EXPECT_FALSE(matches(m, "aaceeff"));      // e{3} exactly
  EXPECT_FALSE(matches(m, "aaceeef"));      // f{2,}
  EXPECT_TRUE(matches(m, "aaceeeffffffffff"));
}

TEST(GrammarMatch, ClassesNegationAndAnyChar) {
  auto g = compile(R"(root ::= [^a-c\n] [a-cx-z] . [\-\]] [^"])");
  GrammarMatcher m(g);
  EXPECT_TRUE(matches(m, "dby-x"));
  EXPECT_TRUE(matches(m, "\xC3\xA9z\xF0\x9F\x98\x80]\xE2\x82\xAC"));  // é z 😀 ] €
  EXPECT_FALSE(matches(m, "aby-x"));
  EXPECT_FALSE(matches(m, "\nby-x"));
  EXPECT_FALSE(matches(m, "dwy-x"));
  EXPECT_FALSE(matches(m, "dby-\""));
}

TEST(GrammarMatch, Utf8IsCheckedBytewise) {
  auto g = compile("root ::= [\\u00e0-\\u00ff]+ | \"\\U0001F600\"");  // à..ÿ, or 😀
  GrammarMatcher m(g);
  EXPECT_TRUE(matches(m, "\xC3\xA0\xC3\xBF"));
  EXPECT_TRUE(matches(m, "\xF0\x9F\x98\x80"));
  // Prefixes of allowed characters are alive, prefixes of others are not.
  EXPECT_TRUE(is_prefix(m, "\xC3"));
  EXPECT_FALSE(is_prefix(m, "\xC2"));  // U+0080..U+00BF only
  EXPECT_TRUE(is_prefix(m, "\xF0\x9F\x98"));
  EXPECT_FALSE(is_prefix(m, "\xF0\x9F\x99"));
  EXPECT_FALSE(matches(m, "\xC3"));        // half a character cannot end the output
  EXPECT_FALSE(is_prefix(m, "\xC3\xC3"));  // a lead byte where a continuation must be
  EXPECT_FALSE(is_prefix(m, "\xA0"));      // a stray continuation byte
  auto any = compile("root ::= .*");
  GrammarMatcher a(any);
  EXPECT_TRUE(matches(a, "x\xE2\x82\xAC\xF4\x8F\xBF\xBF"));  // € and U+10FFFF
  EXPECT_FALSE(is_prefix(a, "\xC0\x80"));                    // overlong NUL
  EXPECT_FALSE(is_prefix(a, "\xE0\x80\x80"));                // overlong
  EXPECT_FALSE(is_prefix(a, "\xED\xA0\x80"));                // a surrogate
  EXPECT_FALSE(is_prefix(a, "\xF4\x90\x80\x80"));            // above U+10FFFF
  EXPECT_FALSE(is_prefix(a, "\xF8"));
}

TEST(GrammarMatch, RecursionNestsAndUnwinds) {
  auto g = compile(R"(root ::= list
list ::= "[" ( item ( "," item )* )? "]"
item ::= list | [0-9])");
  GrammarMatcher m(g);
  EXPECT_TRUE(matches(m, "[]"));
  EXPECT_TRUE(matches(m, "[[1,[2,[]]],3]"));
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_TRUE(matches(m, deep));
  EXPECT_FALSE(matches(m, "[[1]"));
  EXPECT_FALSE(matches(m, "[1]]"));
  EXPECT_TRUE(is_prefix(m, "[[1,[2"));
  // The states inside a flat list repeat: reading more items adds no state.
  GrammarMatcher flat(g);
  (void)flat.walk(flat.start(), "[1,2,3,4");
  const size_t before = flat.state_count();
  (void)flat.walk(flat.start(), "[1,2,3,4,5,6,7,8,9,1,2,3");
  EXPECT_EQ(flat.state_count(), before);
}

TEST(GrammarMatch, AmbiguityAndEmptyAlternatives) {
  auto g = compile(R"(root ::= a | b
a ::= "x"* "y"
b ::= "x"+ "z" |)");
  GrammarMatcher m(g);
  EXPECT_TRUE(matches(m, ""));
  EXPECT_TRUE(matches(m, "y"));
  EXPECT_TRUE(matches(m, "xxxy"));
  EXPECT_TRUE(matches(m, "xxz"));
  EXPECT_FALSE(matches(m, "z"));
  EXPECT_FALSE(matches(m, "xx"));
  EXPECT_TRUE(is_prefix(m, "xx"));
}

TEST(GrammarMatch, CompactionKeepsTheState) {
  auto g = compile(R"(root ::= "[" [a-z]{0,500} "]")");
  GrammarMatcher m(g);
  int32_t s = m.walk(m.start(), "[" + std::string(300, 'q'));
  ASSERT_NE(s, GrammarMatcher::kDead);
  EXPECT_GT(m.state_count(), 300u);
  ASSERT_TRUE(m.compact(s, 16));
  EXPECT_EQ(m.state_count(), 2u);  // the start state and the kept one
  EXPECT_EQ(m.walk(s, std::string(201, 'q')), GrammarMatcher::kDead);
  const int32_t end = m.walk(s, std::string(200, 'q') + "]");
  ASSERT_NE(end, GrammarMatcher::kDead);
  EXPECT_TRUE(m.can_end(end));
}

// --- An independent reference: explicit stacks, no memo, code points decoded up front. ---

struct RefMatcher {
  const Grammar& g;
  using Stack = std::vector<uint32_t>;  // element positions, top last

  void expand(Stack s, std::set<Stack>& out, bool& accept, int depth = 0) const {
    ASSERT_LT(depth, 10000);
    if (s.empty()) {
      accept = true;
      return;
    }
    const uint32_t pos = s.back();
    const GrammarElement e = g.elements[pos];
    if (e.kind == GrammarElement::Kind::kChars) {
      out.insert(s);
    } else if (e.kind == GrammarElement::Kind::kEnd) {
      s.pop_back();
      expand(s, out, accept, depth + 1);
    } else {
      s.back() = pos + 1;
      for (uint32_t alt : g.alternatives[e.index]) {
        Stack t = s;
        t.push_back(alt);
        expand(t, out, accept, depth + 1);
      }
    }
  }

  // Input read so far: the stacks after its complete characters, and a truncated character.
  struct State {
    std::set<Stack> stacks;
    bool accept = false;
    std::string pending;
    bool dead = false;
  };

  State start() const {
    State st;
    for (uint32_t alt : g.alternatives[g.root]) expand({alt}, st.stacks, st.accept);
    return st;
  }

  // The state after `bytes` (the stacks are copied only when a character completes).
  State advance(const State& from, std::string_view bytes) const {
    State st;
    st.pending = from.pending + std::string(bytes);
    st.accept = from.accept;
    const std::set<Stack>* cur = &from.stacks;
    size_t i = 0;
    while (i < st.pending.size()) {
      const auto lead = static_cast<uint8_t>(st.pending[i]);
      const size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      if (i + len > st.pending.size()) break;
      if (!is_valid_utf8(std::string_view(st.pending).substr(i, len))) {
        st.dead = true;
        return st;
      }
      uint32_t cp = len == 1 ? lead : lead & (0x7F >> len);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(st.pending[i + k]) & 0x3F);
      std::set<Stack> next;
      st.accept = false;
      for (Stack s : *cur)
        if (g.sets[g.elements[s.back()].index].contains(cp)) {
          ++s.back();
          expand(s, next, st.accept);
        }
      if (next.empty() && !st.accept) {
        st.dead = true;
        return st;
      }
      st.stacks = std::move(next);
      cur = &st.stacks;
      i += len;
    }
    if (cur != &st.stacks) st.stacks = *cur;
    st.pending.erase(0, i);
    if (!st.pending.empty() && !partial_alive(st.stacks, st.pending)) st.dead = true;
    return st;
  }

  // 1: a complete word, 0: a live prefix, -1: rejected.
  static int classify(const State& st) {
    if (st.dead) return -1;
    return st.accept && st.pending.empty() ? 1 : 0;
  }

  // A truncated character: alive when some leaf accepts a code point whose encoding starts with
  // it. UTF-8 preserves code point order, so per range a binary search finds the first code point
  // whose encoding is not below `head`.
  static std::string enc(uint32_t cp) {
    std::string e;
    append_utf8(e, cp);
    return e;
  }
  bool partial_alive(const std::set<Stack>& stacks, std::string_view head) const {
    for (const Stack& s : stacks)
      for (CharRange r : g.sets[g.elements[s.back()].index].ranges()) {
        uint32_t lo = r.lo, hi = r.hi + 1;
        while (lo < hi) {
          const uint32_t mid = lo + (hi - lo) / 2;
          if (enc(mid) < head)
            lo = mid + 1;
          else
            hi = mid;
        }
        if (lo <= r.hi && enc(lo).compare(0, head.size(), head) == 0) return true;
      }
    return false;
  }
};

// Random grammars over a small alphabet with multi-byte characters.
const std::vector<std::string> kAlphabet = {"a", "b", "c", "{", "\"", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};

std::string random_atom(std::mt19937& rng, int rule, int n_rules, int depth);

std::string random_sequence(std::mt19937& rng, int rule, int n_rules, int depth) {
  std::string seq;
  const int items = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < items; ++i) seq += random_atom(rng, rule, n_rules, depth) + " ";
  return seq;
}

std::string random_atom(std::mt19937& rng, int rule, int n_rules, int depth) {
  std::string atom;
  switch (rng() % (depth > 2 ? 3 : 5)) {
    case 0: atom = "\"" + (kAlphabet[rng() % kAlphabet.size()] == "\"" ? "\\\"" : kAlphabet[rng() % 3]) + "\""; break;
    case 1: atom = rng() % 2 ? "[a-c\\u00e9]" : "[^a\\u20ac]"; break;
    case 2: {
      // Only rules after this one at the left edge, so no left recursion from references.
      const int target = rule + 1 + static_cast<int>(rng() % static_cast<unsigned>(std::max(1, n_rules - rule - 1)));
      atom = target < n_rules ? "r" + std::to_string(target) : "\"\\U0001F600\"";
      break;
    }
    case 3:
      atom = "(" + random_sequence(rng, rule, n_rules, depth + 1) + "| " +
             random_sequence(rng, rule, n_rules, depth + 1) + ")";
      break;
    default: atom = "\"" + kAlphabet[rng() % 3] + "\"";
  }
  static const char* kQuantifiers[] = {"", "", "", "*", "+", "?", "{1,3}", "{2}"};
  return atom + kQuantifiers[rng() % 8];
}

std::string random_grammar(std::mt19937& rng) {
  const int n_rules = 2 + static_cast<int>(rng() % 4);
  std::string text = "root ::= r0\n";
  for (int r = 0; r < n_rules; ++r) {
    text += "r" + std::to_string(r) + " ::= " + random_sequence(rng, r, n_rules, 0);
    if (rng() % 2) text += "| " + random_sequence(rng, r, n_rules, 0);
    // A right-recursive alternative (consumes first), so recursion is exercised too.
    if (rng() % 3 == 0) text += "| \"b\" r" + std::to_string(r);
    text += "\n";
  }
  return text;
}

// Token pieces: single bytes (including halves of multi-byte characters) and short strings.
std::vector<std::string> random_vocab(std::mt19937& rng) {
  std::vector<std::string> v = {"", ""};  // two control-like tokens (no text)
  std::string all;
  for (const std::string& a : kAlphabet) all += a;
  for (char c : all) v.emplace_back(1, c);
  for (int i = 0; i < 300; ++i) {
    std::string t;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) t += kAlphabet[rng() % kAlphabet.size()];
    if (rng() % 5 == 0) t = t.substr(0, t.size() - 1);  // may cut a character
    if (!t.empty()) v.push_back(t);
  }
  v.push_back("aaaa");
  v.push_back("aaaa");  // duplicate text under another id
  return v;
}

TEST(TokenTrie, AllowedTokensEqualBruteForceOnRandomGrammars) {
  std::mt19937 rng(20240611);
  int grammars = 0, checked_states = 0;
  while (grammars < 50) {
    const std::string text = random_grammar(rng);
    auto parsed = parse_grammar(text);
    if (!parsed.ok()) continue;  // e.g. an empty repetition made it left-recursive
    ++grammars;
    const std::vector<std::string> vocab = random_vocab(rng);
    const std::vector<int32_t> eog = {1};
    auto trie = std::make_shared<TokenTrie>(vocab, eog);
    RefMatcher ref{**parsed};
    GrammarConstraint constraint(*parsed, trie);
    GrammarMatcher m(*parsed);
    std::string prefix;
    RefMatcher::State ref_state = ref.start();
    for (int step = 0; step < 8; ++step) {
      ++checked_states;
      const int32_t state = m.walk(m.start(), prefix);
      ASSERT_NE(state, GrammarMatcher::kDead) << text << "prefix: " << prefix;
      std::vector<int32_t> got, scratch;
      trie->allowed_tokens(m, state, got, scratch);
      std::sort(got.begin(), got.end());
      std::vector<int32_t> want;
      for (size_t id = 0; id < vocab.size(); ++id)
        if (!vocab[id].empty() && id != 1 && RefMatcher::classify(ref.advance(ref_state, vocab[id])) >= 0)
          want.push_back(static_cast<int32_t>(id));
      ASSERT_EQ(got, want) << text << "prefix: \"" << prefix << "\"";
      // The constraint's set is the same plus EOG exactly when the reference says complete.
      std::vector<int32_t> via(constraint.allowed().begin(), constraint.allowed().end());
      std::sort(via.begin(), via.end());
      if (RefMatcher::classify(ref_state) == 1) want.push_back(1);
      std::sort(want.begin(), want.end());
      ASSERT_EQ(via, want) << text << "prefix: \"" << prefix << "\"";
      for (size_t id = 0; id < vocab.size(); ++id)
        ASSERT_EQ(constraint.allows(static_cast<int32_t>(id)),
                  std::binary_search(want.begin(), want.end(), static_cast<int32_t>(id)));
      if (got.empty()) break;
      const int32_t pick = got[rng() % got.size()];
      ASSERT_TRUE(constraint.accept(pick).ok());
      prefix += vocab[pick];
      ref_state = ref.advance(ref_state, vocab[pick]);
    }
  }
  EXPECT_GE(checked_states, 200);
}

TEST(GrammarConstraint, EndOfGenerationOnlyWhereTheGrammarEnds) {
  auto g = compile(R"(root ::= "ab" | "abc")");
  const std::vector<std::string> vocab = {"a", "b", "c", "", "bc"};
  const std::vector<int32_t> eog = {3};
  GrammarConstraint c(g, std::make_shared<TokenTrie>(vocab, eog));
  EXPECT_FALSE(c.allows(3));
  EXPECT_TRUE(c.accept(0).ok());
  EXPECT_FALSE(c.allows(3));
  EXPECT_FALSE(c.accept(3).ok());
  EXPECT_FALSE(c.accept(0).ok());  // "aa" is not a prefix
  EXPECT_TRUE(c.accept(1).ok());
  EXPECT_TRUE(c.complete());
  EXPECT_TRUE(c.allows(3));
  EXPECT_TRUE(c.allows(2));
  EXPECT_FALSE(c.allows(4));
  EXPECT_TRUE(c.accept(2).ok());
  EXPECT_EQ(std::vector<int32_t>(c.allowed().begin(), c.allowed().end()), std::vector<int32_t>{3});
}

TEST(GrammarConstraint, SamplerDrawsOnlyAllowedTokens) {
  auto g = compile(R"(root ::= "x" [0-9]{3})");
  std::vector<std::string> vocab = {"", "x", "y", "1", "22", "333", "x1", "x12"};
  const std::vector<int32_t> eog = {0};
  auto trie = std::make_shared<TokenTrie>(vocab, eog);
  SamplingOptions o;
  o.seed = 7;
  o.temperature = 1.0f;
  o.top_k = 0;
  o.top_p = 1.0f;
  for (int run = 0; run < 50; ++run) {
    Sampler s(o);
    GrammarConstraint c(g, trie);
    std::string out;
    // The model prefers "y" (never allowed) by far.
    std::vector<float> logits = {0.f, 0.f, 9.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    for (int i = 0; i < 10; ++i) {
      Result<int32_t> t = s.sample(logits, c);
      ASSERT_TRUE(t.ok());
      ASSERT_TRUE(c.accept(*t).ok());
      if (*t == 0) break;
      out += vocab[*t];
    }
    ASSERT_EQ(out.size(), 4u) << out;
    EXPECT_EQ(out[0], 'x');
  }
  // A dead end: the vocabulary cannot spell what the grammar wants.
  auto z = compile(R"(root ::= "z")");
  Sampler s(o);
  GrammarConstraint c(z, trie);
  std::vector<float> logits(vocab.size(), 0.f);
  Result<int32_t> t = s.sample(logits, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().to_string(), "no token of the vocabulary continues the required format here");
}

TEST(GrammarConstraint, TruncationThenGrammar) {
  auto g = compile("root ::= [0-9]");
  const std::vector<std::string> vocab = {"", "a", "b", "1", "2"};
  const std::vector<int32_t> eog = {0};
  auto trie = std::make_shared<TokenTrie>(vocab, eog);
  const std::vector<float> logits = {0.f, 9.f, 8.f, 1.f, 0.5f};
  SamplingOptions o;
  o.temperature = 1.0f;
  o.top_p = 1.0f;
  for (int seed = 0; seed < 30; ++seed) {
    o.seed = seed;
    // top-3 keeps a, b and 1: the allowed survivor is drawn.
    o.top_k = 3;
    Sampler three(o);
    GrammarConstraint c3(g, trie);
    EXPECT_EQ(*three.sample(logits, c3), 3);
    // top-2 keeps a and b, neither allowed: the allowed tokens are ranked on their own.
    o.top_k = 2;
    Sampler two(o);
    GrammarConstraint c2(g, trie);
    const Result<int32_t> t = two.sample(logits, c2);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(*t == 3 || *t == 4);
    // Greedy: the best allowed token.
    o.temperature = 0.f;
    Sampler greedy(o);
    GrammarConstraint cg(g, trie);
    EXPECT_EQ(*greedy.sample(logits, cg), 3);
    o.temperature = 1.0f;
  }
}

}  // namespace
}  // namespace corral::sampling
