// The parsed form of a GBNF text before compilation; shared by grammar_parser.cpp (text -> rules)
// and grammar.cpp (rules -> Grammar). Not used outside those two files.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sampling/grammar.h"

namespace corral::sampling::detail {

inline constexpr uint32_t kUnbounded = std::numeric_limits<uint32_t>::max();

struct GrammarExpr {
  enum class Kind : uint8_t {
    kChars,   // one code point of `chars`
    kRef,     // the rule `name`, as written (line/column of the reference for errors)
    kRuleId,  // a rule by id (made by the compiler for groups and repetitions)
    kSeq,     // items in order
    kAlt,     // one of items
    kRepeat,  // items[0], min..max times (max may be kUnbounded)
  };
  Kind kind = Kind::kSeq;
  CharSet chars;
  std::string name;
  uint32_t rule = 0;
  uint32_t line = 0, column = 0;
  std::vector<GrammarExpr> items;
  uint32_t min = 0, max = 0;
};

struct GrammarRuleDef {
  std::string name;
  GrammarExpr body;  // kAlt
  uint32_t line = 0, column = 0;
};

Result<std::vector<GrammarRuleDef>> parse_gbnf(std::string_view text);
Result<std::shared_ptr<const Grammar>> compile_grammar(const std::vector<GrammarRuleDef>& rules);

}  // namespace corral::sampling::detail
