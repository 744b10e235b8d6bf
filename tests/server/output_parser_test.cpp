// The output parser: thinking tags and tool calls split out of streamed text, whatever the pieces.
#include "server/output_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace corral::server {
namespace {

using nlohmann::ordered_json;

OutputSyntax qwen_syntax() {
  OutputSyntax s;
  s.thinking = true;
  s.think_open = "<think>";
  s.think_close = "</think>";
  s.tools = true;
  s.tool_tag = "<tool_call>";
  s.tool_names = {"get_weather", "get_time"};
  return s;
}

// The whole text in one piece.
ParsedOutput parse_whole(const OutputSyntax& s, std::string_view text) {
  OutputParser p(s);
  ParsedOutput out = p.add(text);
  out.append(p.finish());
  return out;
}

// The text cut into pieces at the given positions.
ParsedOutput parse_split(const OutputSyntax& s, std::string_view text, const std::vector<size_t>& cuts) {
  OutputParser p(s);
  ParsedOutput out;
  size_t from = 0;
  for (size_t cut : cuts) {
    out.append(p.add(text.substr(from, cut - from)));
    from = cut;
  }
  out.append(p.add(text.substr(from)));
  out.append(p.finish());
  return out;
}

void expect_same(const ParsedOutput& a, const ParsedOutput& b, const std::string& where) {
  EXPECT_EQ(a.thinking, b.thinking) << where;
  EXPECT_EQ(a.content, b.content) << where;
  ASSERT_EQ(a.tool_calls.size(), b.tool_calls.size()) << where;
  for (size_t i = 0; i < a.tool_calls.size(); ++i) {
    EXPECT_EQ(a.tool_calls[i].name, b.tool_calls[i].name) << where;
    EXPECT_EQ(a.tool_calls[i].arguments, b.tool_calls[i].arguments) << where;
    EXPECT_EQ(a.tool_calls[i].index, b.tool_calls[i].index) << where;
  }
}

// Every split into one-byte pieces, and every split into two pieces, gives the whole-text result.
void expect_split_invariant(const OutputSyntax& s, std::string_view text) {
  const ParsedOutput whole = parse_whole(s, text);
  std::vector<size_t> bytes;
  for (size_t i = 1; i < text.size(); ++i) bytes.push_back(i);
  expect_same(parse_split(s, text, bytes), whole, "one byte per piece");
  for (size_t i = 1; i < text.size(); ++i) expect_same(parse_split(s, text, {i}), whole, "cut at " + std::to_string(i));
}

TEST(OutputParser, ThinkingThenContent) {
  const std::string text = "<think>\nLet me see.\n</think>\n\nIt is sunny.";
  auto out = parse_whole(qwen_syntax(), text);
  EXPECT_EQ(out.thinking, "Let me see.");
  EXPECT_EQ(out.content, "It is sunny.");
  EXPECT_TRUE(out.tool_calls.empty());
  expect_split_invariant(qwen_syntax(), text);
}

TEST(OutputParser, NoThinkingTagIsAllContent) {
  auto out = parse_whole(qwen_syntax(), "  Hello <think> there");
  EXPECT_EQ(out.thinking, "");
  EXPECT_EQ(out.content, "  Hello <think> there");
  expect_split_invariant(qwen_syntax(), "  Hello <think> there");
  // The start of a tag that turns out not to be one.
  EXPECT_EQ(parse_whole(qwen_syntax(), "<thx>").content, "<thx>");
  EXPECT_EQ(parse_whole(qwen_syntax(), "<thi").content, "<thi");
}

TEST(OutputParser, AnswerThatStartsInsideTheThinking) {
  OutputSyntax s = qwen_syntax();
  s.start_in_thinking = true;
  auto out = parse_whole(s, "step one\nstep two\n</think>\n\n42");
  EXPECT_EQ(out.thinking, "step one\nstep two");
  EXPECT_EQ(out.content, "42");
  expect_split_invariant(s, "step one\nstep two\n</think>\n\n42");
}

TEST(OutputParser, UnclosedThinkingStaysThinking) {
  auto out = parse_whole(qwen_syntax(), "<think>still going   ");
  EXPECT_EQ(out.thinking, "still going");
  EXPECT_EQ(out.content, "");
}

TEST(OutputParser, ThinkingIsStreamedAsItComes) {
  OutputParser p(qwen_syntax());
  EXPECT_EQ(p.add("<think>").thinking, "");
  EXPECT_EQ(p.add("abc").thinking, "abc");
  EXPECT_EQ(p.add(" def </th").thinking, " def");  // the space before a possible tag waits
  auto rest = p.add("ink>x");
  EXPECT_EQ(rest.thinking, "");
  EXPECT_EQ(rest.content, "x");
}

TEST(OutputParser, QwenToolCallWithContentBefore) {
  const std::string text =
      "Let me check.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
  auto out = parse_whole(qwen_syntax(), text);
  EXPECT_EQ(out.content, "Let me check.");
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_EQ(out.tool_calls[0].arguments, ordered_json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(out.tool_calls[0].index, 0);
  expect_split_invariant(qwen_syntax(), text);
}

TEST(OutputParser, ContentIsSentBeforeTheCallIsWhole) {
  OutputParser p(qwen_syntax());
  EXPECT_EQ(p.add("Checking").content, "Checking");
  EXPECT_EQ(p.add(" now<tool").content, " now");
  auto mid = p.add("_call>{\"name\": \"get_weather\", \"argu");
  EXPECT_EQ(mid.content, "");
  EXPECT_TRUE(mid.tool_calls.empty());
  auto done = p.add("ments\": {\"city\": \"Oslo\"}}");
  ASSERT_EQ(done.tool_calls.size(), 1u);
  EXPECT_EQ(done.tool_calls[0].arguments["city"], "Oslo");
}

TEST(OutputParser, SeveralCallsThinkingAndContentAfter) {
  const std::string text =
      "<think>two cities</think><tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}\n</tool_call>\nDone.";
  auto out = parse_whole(qwen_syntax(), text);
  EXPECT_EQ(out.thinking, "two cities");
  ASSERT_EQ(out.tool_calls.size(), 2u);
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_EQ(out.tool_calls[1].name, "get_time");
  EXPECT_EQ(out.tool_calls[1].index, 1);
  EXPECT_EQ(out.content, "Done.");
  expect_split_invariant(qwen_syntax(), text);
}

TEST(OutputParser, MistralArrayOfCalls) {
  OutputSyntax s;
  s.tools = true;
  s.tool_tag = "[TOOL_CALLS]";
  s.tool_names = {"get_weather"};
  const std::string text =
      R"([TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_weather", "arguments": {"city": "Rome"}}])";
  auto out = parse_whole(s, text);
  EXPECT_EQ(out.content, "");
  ASSERT_EQ(out.tool_calls.size(), 2u);
  EXPECT_EQ(out.tool_calls[1].arguments["city"], "Rome");
  expect_split_invariant(s, text);
}

TEST(OutputParser, BareJsonLlamaStyleWithParameters) {
  OutputSyntax s;
  s.tools = true;
  s.tool_tag = "{";
  s.tool_names = {"get_weather"};
  const std::string text = R"({"name": "get_weather", "parameters": {"city": "Paris"}})";
  auto out = parse_whole(s, text);
  EXPECT_EQ(out.content, "");
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].arguments["city"], "Paris");
  expect_split_invariant(s, text);
  // Braces that are not a call stay content.
  auto plain = parse_whole(s, "Use {x} or [1, 2] here.");
  EXPECT_EQ(plain.content, "Use {x} or [1, 2] here.");
  EXPECT_TRUE(plain.tool_calls.empty());
  expect_split_invariant(s, "Use {x} or [1, 2] here.");
}

TEST(OutputParser, LenientJson) {
  OutputSyntax s = qwen_syntax();
  s.thinking = false;
  auto single = parse_whole(s, "<tool_call>{'name': 'get_weather', 'arguments': {'city': 'Paris', 'exact': True,}}");
  ASSERT_EQ(single.tool_calls.size(), 1u);
  EXPECT_EQ(single.tool_calls[0].arguments, ordered_json::parse(R"({"city":"Paris","exact":true})"));
  auto stringly = parse_whole(s, R"(<tool_call>{"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"})");
  ASSERT_EQ(stringly.tool_calls.size(), 1u);
  EXPECT_EQ(stringly.tool_calls[0].arguments["city"], "Paris");
  auto openai_shape =
      parse_whole(s, R"(<tool_call>{"type": "function", "function": {"name": "get_time", "arguments": {}}})");
  ASSERT_EQ(openai_shape.tool_calls.size(), 1u);
  EXPECT_EQ(openai_shape.tool_calls[0].name, "get_time");
  auto keyed = parse_whole(s, R"(<tool_call>{"get_weather": {"city": "Oslo"}})");
  ASSERT_EQ(keyed.tool_calls.size(), 1u);
  EXPECT_EQ(keyed.tool_calls[0].arguments["city"], "Oslo");
  auto unquoted = parse_whole(s, R"(<tool_call>{name: "get_time", arguments: {zone: None}})");
  ASSERT_EQ(unquoted.tool_calls.size(), 1u);
  EXPECT_TRUE(unquoted.tool_calls[0].arguments["zone"].is_null());
}

TEST(OutputParser, AnAnswerCutInsideTheJsonIsClosed) {
  OutputSyntax s = qwen_syntax();
  auto out = parse_whole(s, R"(<tool_call>{"name": "get_weather", "arguments": {"city": "Par)");
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].arguments["city"], "Par");
}

TEST(OutputParser, MalformedOrUnknownCallsStayContent) {
  OutputSyntax s = qwen_syntax();
  s.thinking = false;
  auto bad = parse_whole(s, "<tool_call>{\"name\": \"get_weather\" \"arguments\" ]}</tool_call> sorry");
  EXPECT_TRUE(bad.tool_calls.empty());
  EXPECT_EQ(bad.content, "<tool_call>{\"name\": \"get_weather\" \"arguments\" ]}</tool_call> sorry");
  auto unknown = parse_whole(s, R"(<tool_call>{"name": "launch_rocket", "arguments": {}})");
  EXPECT_TRUE(unknown.tool_calls.empty());
  EXPECT_EQ(unknown.content, R"(<tool_call>{"name": "launch_rocket", "arguments": {}})");
  auto not_json = parse_whole(s, "<tool_call> maybe later");
  EXPECT_TRUE(not_json.tool_calls.empty());
  EXPECT_EQ(not_json.content, "<tool_call> maybe later");
  expect_split_invariant(s, "<tool_call>{\"name\": \"get_weather\" \"arguments\" ]}</tool_call> sorry");
}

TEST(OutputParser, ToolsOffLeavesTagsInTheContent) {
  OutputSyntax s;
  auto out = parse_whole(s, "<think>x</think><tool_call>{}</tool_call>");
  EXPECT_EQ(out.content, "<think>x</think><tool_call>{}</tool_call>");
}

TEST(OutputParser, LenientJsonHelper) {
  EXPECT_EQ(parse_lenient_json("{'a': [1, 2,], 'b': False}"), ordered_json::parse(R"({"a":[1,2],"b":false})"));
  EXPECT_EQ(parse_lenient_json(R"({"s": "it's"})")["s"], "it's");
  EXPECT_EQ(parse_lenient_json(R"({'s': 'say "hi"'})")["s"], "say \"hi\"");
  EXPECT_TRUE(parse_lenient_json("{nope").is_discarded());
}

}  // namespace
}  // namespace corral::server
