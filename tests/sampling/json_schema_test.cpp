// JSON schema -> grammar: for every supported keyword, texts that must and must not be words of
// the grammar; unsupported and malformed schemas give errors that name the JSON pointer.
#include "sampling/json_schema.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sampling/grammar.h"
#include "sampling/grammar_matcher.h"

namespace corral::sampling {
namespace {

using nlohmann::ordered_json;

struct Compiled {
  std::shared_ptr<const Grammar> grammar;
  std::string text;
};

Compiled compile_schema(std::string_view schema) {
  auto text = json_schema_to_grammar(ordered_json::parse(schema));
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().to_string());
  if (!text.ok()) return {};
  auto g = parse_grammar(*text);
  EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().to_string()) << "\n" << *text;
  return {g.ok() ? *g : nullptr, *text};
}

std::string schema_error(std::string_view schema) {
  auto text = json_schema_to_grammar(ordered_json::parse(schema));
  return text.ok() ? "(no error)" : text.error().to_string();
}

// Checks each text against the schema's grammar: `yes` must be words, `no` must not.
void expect_words(std::string_view schema, std::vector<std::string> yes, std::vector<std::string> no) {
  Compiled c = compile_schema(schema);
  ASSERT_NE(c.grammar, nullptr);
  GrammarMatcher m(c.grammar);
  for (const std::string& s : yes) {
    const int32_t st = m.walk(m.start(), s);
    EXPECT_TRUE(st != GrammarMatcher::kDead && m.can_end(st)) << schema << "\nshould accept: " << s << "\n" << c.text;
  }
  for (const std::string& s : no) {
    const int32_t st = m.walk(m.start(), s);
    EXPECT_FALSE(st != GrammarMatcher::kDead && m.can_end(st)) << schema << "\nshould reject: " << s << "\n" << c.text;
  }
}

TEST(JsonSchema, FormatJsonIsAnyValueStartingWithAnObject) {
  auto g = parse_grammar(json_object_grammar());
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  GrammarMatcher m(*g);
  for (std::string s : {"{}", "{\"a\": [1, -2.5e10, true, null, \"x\\u00e9\\n\"]}", "{\n  \"k\": {\"n\": {}}\n}\n"}) {
    const int32_t st = m.walk(m.start(), s);
    EXPECT_TRUE(st >= 0 && m.can_end(st)) << s;
  }
  for (std::string s : {"[]", "\"x\"", "{", "{\"a\":}", "{\"a\":01}", " {}", "{\"a\":\"\\ud800\"}", "{}    \n\n"}) {
    const int32_t st = m.walk(m.start(), s);
    EXPECT_FALSE(st >= 0 && m.can_end(st)) << s;
  }
}

TEST(JsonSchema, PrimitiveTypes) {
  expect_words(R"({"type":"string"})", {"\"\"", "\"a b\\\"\"", "\"\xC3\xA9\""}, {"\"a", "1", "\"\n\""});
  expect_words(R"({"type":"integer"})", {"0", "-7", "1234567890123456"},
               {"1.5", "01", "-", "12345678901234567", "1e3"});
  expect_words(R"({"type":"number"})", {"0", "-0.25", "3e10", "1.5E-2"}, {".5", "1.", "+1", "1e123"});
  expect_words(R"({"type":"boolean"})", {"true", "false"}, {"True", "1"});
  expect_words(R"({"type":"null"})", {"null"}, {"nil", "\"null\""});
  expect_words(R"({"type":["string","null"]})", {"null", "\"x\""}, {"1"});
  expect_words(R"({})", {"1", "{\"a\":[]}", "\"s\"", "null"}, {"", "{"});
  expect_words(R"(true)", {"[1,2]"}, {"["});
  expect_words(R"({"type":"string","nullable":true})", {"null", "\"x\""}, {"2"});
}

TEST(JsonSchema, WhitespaceIsBounded) {
  expect_words(R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})",
               {"{\"a\":1}", "{ \"a\" : 1 }", "{\n  \"a\": 1\n}", "{\"a\":1}\n\t\t"},
               {"{  \"a\":1}", std::string("{\n") + std::string(21, ' ') + "\"a\":1}", "{\"a\":1}  "});
}

TEST(JsonSchema, ObjectsRequiredOptionalAndOrder) {
  const char* s =
      R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
                      "required":["b"]})";
  expect_words(
      s, {R"({"b":"x"})", R"({"a":1,"b":"x"})", R"({"b":"x","c":true})", R"({"a":1,"b":"x","c":false})"},
      {R"({})", R"({"a":1})", R"({"b":"x","a":1})", R"({"b":"x","d":1})", R"({"a":1,,"b":"x"})", R"({"b":"x",})"});
  // Nothing required: the empty object, and any subset in order.
  expect_words(R"({"properties":{"a":{"type":"integer"},"b":{"type":"integer"}}})",
               {"{}", R"({"b":2})", R"({"a":1,"b":2})"}, {R"({"b":2,"a":1})", R"({,"b":2})"});
}

TEST(JsonSchema, AdditionalProperties) {
  expect_words(R"({"type":"object","additionalProperties":{"type":"integer"}})", {"{}", R"({"x":1,"y":2})"},
               {R"({"x":"s"})"});
  expect_words(R"({"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true})",
               {R"({"a":"s","z":[1]})", R"({"zz":null})", R"({"ab":1})", R"({"":1})"},
               {R"({"a":1})", R"({"a":"s","a":1})"});  // an extra key never repeats a listed name
  expect_words(R"({"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false})",
               {R"({"a":"s"})", "{}"}, {R"({"a":"s","b":1})"});
  expect_words(R"({"type":"object"})", {"{}", R"({"q":{"r":[]}})"}, {"[]"});
  expect_words(R"({"type":"object","required":["id"]})", {R"({"id":1})", R"({"id":"x","more":true})"}, {"{}"});
}

TEST(JsonSchema, EnumAndConst) {
  expect_words(R"({"enum":["red","green",3,null,{"a":[1]}]})", {"\"red\"", "3", "null", "{\"a\":[1]}"},
               {"\"blue\"", "\"Red\"", "4"});
  expect_words(R"({"type":"string","enum":["a",1]})", {"\"a\""}, {"1"});
  expect_words(R"({"const":"fixed"})", {"\"fixed\""}, {"\"other\""});
  expect_words(R"({"const":"quo\"te\u00e9"})", {"\"quo\\\"te\xC3\xA9\""}, {"\"quo\""});
}

TEST(JsonSchema, Arrays) {
  expect_words(R"({"type":"array","items":{"type":"integer"}})", {"[]", "[1]", "[1, 2,3]"}, {"[1,]", "[\"a\"]"});
  expect_words(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})", {"[1,2]", "[1,2,3]"},
               {"[]", "[1]", "[1,2,3,4]"});
  expect_words(R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})",
               {"[]", "[\"a\"]", "[\"a\",1]"}, {"[1]", "[\"a\",1,2]"});
  expect_words(R"({"type":"array","prefixItems":[{"type":"string"}],"items":{"type":"boolean"},"minItems":2})",
               {"[\"a\",true]", "[\"a\",true,false]"}, {"[\"a\"]", "[\"a\",1]"});
  expect_words(R"({"type":"array","items":[{"type":"integer"}],"additionalItems":false})", {"[1]", "[]"}, {"[1,2]"});
  expect_words(R"({"type":"array"})", {"[]", "[1,\"a\",{}]"}, {"[1,]"});
  expect_words(R"({"type":"array","maxItems":0})", {"[]"}, {"[1]"});
}

TEST(JsonSchema, StringLengthsCountCodePoints) {
  expect_words(R"({"type":"string","minLength":2,"maxLength":3})",
               {"\"ab\"", "\"\xC3\xA9\xC3\xA9\xC3\xA9\"", "\"a\\n\""}, {"\"a\"", "\"abcd\"", "\"\""});
}

TEST(JsonSchema, IntegerBounds) {
  expect_words(R"({"type":"integer","minimum":-15,"maximum":123})", {"-15", "-9", "0", "9", "10", "99", "100", "123"},
               {"-16", "-100", "124", "200", "1000"});
  expect_words(R"({"type":"integer","exclusiveMinimum":0})", {"1", "99999"}, {"0", "-1"});
  expect_words(R"({"type":"integer","exclusiveMaximum":10,"minimum":1.5})", {"2", "9"}, {"1", "10"});
  expect_words(R"({"type":"integer","maximum":-5})", {"-5", "-1000"}, {"-4", "0", "5"});
  expect_words(R"({"type":"integer","minimum":5,"exclusiveMinimum":true})", {"6"}, {"5"});
  expect_words(R"({"type":"integer","format":"int32"})", {"2147483647", "-2147483648"}, {"2147483648"});
}

TEST(JsonSchema, NumberBounds) {
  expect_words(R"({"type":"number","minimum":0,"maximum":100})", {"0", "0.5", "99.99", "100", "100.000", "7"},
               {"-0.5", "100.5", "101", "-1"});
  expect_words(R"({"type":"number","exclusiveMinimum":0})", {"0.001", "5", "5.5"}, {"0", "0.0", "-0.5", "-3"});
  expect_words(R"({"type":"number","minimum":-2,"exclusiveMaximum":0})", {"-2", "-2.0", "-1.5", "-0.1"},
               {"0", "-0.0", "-2.5", "1"});
  EXPECT_EQ(schema_error(R"({"type":"number","minimum":0.5})"),
            "unsupported JSON schema: a minimum that is not a whole number (0.5) on a number at /");
}

TEST(JsonSchema, Formats) {
  expect_words(R"({"type":"string","format":"date"})", {"\"2024-02-29\"", "\"2000-02-29\"", "\"2023-12-31\""},
               {"\"2023-02-29\"", "\"1900-02-29\"", "\"2024-04-31\"", "\"2024-13-01\"", "\"24-01-01\""});
  expect_words(R"({"type":"string","format":"time"})", {"\"23:59:59Z\"", "\"08:00:00.123+02:00\""},
               {"\"24:00:00Z\"", "\"12:00:00\"", "\"12:60:00Z\""});
  expect_words(R"({"type":"string","format":"date-time"})", {"\"2024-01-31T10:00:00Z\""}, {"\"2024-01-31 10:00:00Z\""});
  expect_words(R"({"type":"string","format":"uuid"})", {"\"123e4567-e89b-12d3-a456-426614174000\""},
               {"\"123e4567e89b12d3a456426614174000\""});
  expect_words(R"({"type":"string","format":"email"})", {"\"a.b+c@example.com\""}, {"\"a@b\"", "\"@x.com\""});
  expect_words(R"({"type":"string","format":"ipv4"})", {"\"192.168.0.255\""}, {"\"256.1.1.1\"", "\"01.1.1.1\""});
  expect_words(R"({"type":"string","format":"uri"})", {"\"https://example.com/a/b\""}, {"\"example.com\""});
  EXPECT_EQ(schema_error(R"({"type":"object","properties":{"u":{"type":"string","format":"iri"}}})"),
            "unsupported JSON schema string format \"iri\" at /properties/u (supported: date, time, date-time, uuid, "
            "email, hostname, ipv4, uri)");
}

TEST(JsonSchema, PatternSubset) {
  expect_words(R"({"type":"string","pattern":"^[A-Z]{2}-\\d{3,4}$"})", {"\"AB-123\"", "\"XY-1234\""},
               {"\"ab-123\"", "\"AB-12\"", "\"AB-12345\""});
  expect_words(R"x({"type":"string","pattern":"^(cat|dog)s?$"})x", {"\"cat\"", "\"dogs\""}, {"\"cow\""});
  expect_words(R"({"type":"string","pattern":"^a\"b\\\\c.$"})", {"\"a\\\"b\\\\cz\""}, {"\"a\"b\\cz\""});
  expect_words(R"({"type":"string","pattern":"[^a-z]+"})", {"\"ABC\"", "\"\\n\""}, {"\"a\""});
  expect_words(R"x({"type":"string","pattern":"^(?:\\w+\\s?)+$"})x", {"\"hello world\""}, {"\"hi!\""});
  EXPECT_EQ(schema_error(R"x({"type":"string","pattern":"^(a)\\1$"})x"),
            "unsupported JSON schema pattern at /: the pattern uses a backreference (at character 5), which is not "
            "supported");
  EXPECT_EQ(schema_error(R"x({"type":"string","pattern":"a(?=b)"})x"),
            "unsupported JSON schema pattern at /: the pattern uses lookaround or a group modifier (at character 2), "
            "which is not supported");
}

TEST(JsonSchema, AnyOfOneOfAllOf) {
  expect_words(R"({"anyOf":[{"type":"string"},{"type":"null"}]})", {"\"x\"", "null"}, {"1"});
  expect_words(R"({"oneOf":[{"type":"integer"},{"type":"boolean"}]})", {"1", "true"}, {"\"1\""});
  expect_words(R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},
                            {"properties":{"b":{"type":"string"}},"required":["b"]}]})",
               {R"({"a":1,"b":"x"})"}, {R"({"a":1})", R"({"b":"x"})"});
  // A closed branch admits only its own properties.
  expect_words(R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false},
                            {"properties":{"b":{"type":"string"}}}]})",
               {R"({"a":1})", "{}"}, {R"({"a":1,"b":"x"})"});
  expect_words(R"({"allOf":[{"type":"string","minLength":2},{"maxLength":3}]})", {"\"ab\""}, {"\"a\"", "\"abcd\""});
  // anyOf beside other keywords applies them to each branch.
  expect_words(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},
                   "anyOf":[{"required":["a"]},{"required":["b"]}]})",
               {R"({"a":1})", R"({"b":1})", R"({"a":1,"b":2})"}, {"{}"});
}

TEST(JsonSchema, RefsAndRecursion) {
  expect_words(R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
                                     "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},
                   "$ref":"#/$defs/node"})",
               {R"({"v":1})", R"({"v":1,"kids":[{"v":2,"kids":[]},{"v":3}]})"}, {R"({"v":1,"kids":[{}]})"});
  expect_words(R"({"definitions":{"s":{"type":"string"}},"type":"object","properties":{"x":{"$ref":"#/definitions/s"}},
                   "required":["x"]})",
               {R"({"x":"a"})"}, {R"({"x":1})"});
  expect_words(R"({"type":"object","properties":{"next":{"$ref":"#"}}})", {"{}", R"({"next":{"next":{}}})"}, {"[]"});
  // $ref with constraining siblings: both apply.
  expect_words(R"({"$defs":{"s":{"type":"string"}},"$ref":"#/$defs/s","maxLength":2})", {"\"ab\""}, {"\"abc\""});
  EXPECT_EQ(schema_error(R"({"$ref":"https://example.com/s.json"})"),
            "unsupported JSON schema: $ref \"https://example.com/s.json\" at / (only references inside the schema, "
            "\"#/...\", are supported)");
  EXPECT_EQ(schema_error(R"({"properties":{"a":{"$ref":"#/$defs/missing"}}})"),
            "invalid JSON schema at /properties/a: $ref \"#/$defs/missing\" does not resolve");
}

TEST(JsonSchema, AnnotationsAreAccepted) {
  expect_words(R"({"$schema":"http://json-schema.org/draft-07/schema#","$id":"x","title":"T","description":"d",
                   "$comment":"c","examples":[1],"default":1,"type":"integer"})",
               {"1"}, {"\"1\""});
}

TEST(JsonSchema, UnsupportedKeywordsNameThePointer) {
  EXPECT_EQ(schema_error(R"({"type":"object","properties":{"age":{"type":"integer","multipleOf":5}}})"),
            "unsupported JSON schema keyword \"multipleOf\" at /properties/age");
  EXPECT_EQ(schema_error(R"({"type":"array","items":{"type":"string"},"uniqueItems":true})"),
            "unsupported JSON schema keyword \"uniqueItems\" at /");
  EXPECT_EQ(schema_error(R"({"$defs":{"a":{"not":{"type":"null"}}},"properties":{"x":{"$ref":"#/$defs/a"}}})"),
            "unsupported JSON schema keyword \"not\" at /$defs/a");
  EXPECT_EQ(schema_error(R"({"anyOf":[{"type":"string"},{"type":"object","patternProperties":{"^a":{}}}]})"),
            "unsupported JSON schema keyword \"patternProperties\" at /anyOf/1");
  EXPECT_EQ(schema_error(R"({"properties":{"a/b":{"if":{}}}})"),
            "unsupported JSON schema keyword \"if\" at /properties/a~1b");
  // uniqueItems false constrains nothing.
  expect_words(R"({"type":"array","items":{"type":"integer"},"uniqueItems":false})", {"[1,1]"}, {});
}

// Checks words of a grammar text (not a schema).
void expect_grammar_words(const std::string& text, std::vector<std::string> yes, std::vector<std::string> no) {
  auto g = parse_grammar(text);
  ASSERT_TRUE(g.ok()) << g.error().to_string() << "\n" << text;
  GrammarMatcher m(*g);
  for (const std::string& s : yes) {
    const int32_t st = m.walk(m.start(), s);
    EXPECT_TRUE(st != GrammarMatcher::kDead && m.can_end(st)) << "should accept: " << s << "\n" << text;
  }
  for (const std::string& s : no) {
    const int32_t st = m.walk(m.start(), s);
    EXPECT_FALSE(st != GrammarMatcher::kDead && m.can_end(st)) << "should reject: " << s << "\n" << text;
  }
}

TEST(JsonSchema, FormatAfterTheThinkingThePromptOpened) {
  auto format = json_schema_to_grammar(ordered_json::parse(R"({"type":"object","properties":{"n":{"type":"integer"}},
                                                               "required":["n"]})"));
  ASSERT_TRUE(format.ok());
  expect_grammar_words(
      grammar_after_thinking(*format, "</think>"),
      {"Let me see.\n</think>\n\n{\"n\":1}", "</think>{\"n\":2}", "a </th b </thin c</think>\n{\"n\":3}",
       "x</th</think>{\"n\":4}", "\xC3\xA9<think></think> {\"n\":5}"},
      {"{\"n\":1}", "hmm</think>", "a</think>b</think>{\"n\":1}", "</think>{\"n\":\"x\"}",
       "</think>\n\n\n\n\n\n\n\n\n{\"n\":1}"});
  // A tag with a border (its prefix "ab" is also its suffix): the first occurrence closes.
  expect_grammar_words(grammar_after_thinking(json_object_grammar(), "abab"),
                       {"xabab{}", "aabax abab{}", "abaabab{}", "abab{}"}, {"ababab{}", "aababx abab{}", "abab{}x"});
}

TEST(JsonSchema, MalformedSchemas) {
  EXPECT_EQ(schema_error(R"({"type":"strng"})"), "invalid JSON schema at /: unknown type \"strng\"");
  EXPECT_EQ(schema_error(R"({"properties":{"a":{"minLength":-1}}})"),
            "invalid JSON schema at /properties/a: \"minLength\" must be a non-negative integer");
  EXPECT_EQ(schema_error(R"({"properties":[]})"), "invalid JSON schema at /: \"properties\" must be an object");
  EXPECT_EQ(schema_error(R"({"required":"a"})"), "invalid JSON schema at /: \"required\" must be an array of strings");
  EXPECT_EQ(schema_error(R"({"anyOf":[]})"),
            "invalid JSON schema at /: \"anyOf\" must be a non-empty array of schemas");
  EXPECT_EQ(schema_error(R"({"properties":{"a":5}})"),
            "invalid JSON schema at /properties/a: a schema must be an object or a boolean");
  EXPECT_EQ(schema_error(R"({"type":"string","minLength":3,"maxLength":2})"),
            "invalid JSON schema at /: maxLength is below minLength");
  EXPECT_EQ(schema_error(R"({"type":"integer","minimum":3,"maximum":2})"),
            "invalid JSON schema at /: the bounds leave no integer");
  EXPECT_EQ(schema_error(R"({"type":"object","properties":{},"required":["a"],"additionalProperties":false})"),
            "invalid JSON schema at /: \"a\" is required but additionalProperties does not allow it");
  EXPECT_EQ(schema_error(R"({"allOf":[{"type":"string"},{"type":"integer"}]})"),
            "invalid JSON schema at /allOf/1: allOf branches have no type in common");
  EXPECT_EQ(schema_error(R"(false)"), "invalid JSON schema at /: false accepts nothing");
}

}  // namespace
}  // namespace corral::sampling
