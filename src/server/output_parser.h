// Splits a model's streamed output into thinking, content and tool calls, as Ollama does for models
// whose template shows the syntax (template/features.h):
//   - thinking: text between the template's tags (`<think>` … `</think>`) at the start of the
//     answer, or from the start when the prompt already opened the tag (DeepSeek-R1 distills);
//     leading and trailing white space around it and before the content is dropped;
//   - tool calls: after the template's tag (`<tool_call>`, `[TOOL_CALLS]`; `{` for bare JSON) one
//     JSON value — an object {"name", "arguments"|"parameters"} (arguments may be a JSON string), an
//     array of those, {"function": {...}}, or {"<tool name>": {arguments}} — read leniently
//     (single quotes, Python's True/False/None, trailing commas, closers missing at the end); the
//     name must be one of the request's tools. Several calls may follow each other; a closing tag
//     (`</tool_call>`) after a call is dropped. Text that turns out not to be a call is content.
// Streaming: every piece goes in as it comes; text that might still become a tag or a call is held
// back, so content is sent as soon as it is known to be content and each call once it is whole.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace corral::server {

struct ToolCall {
  std::string id;  // "call_…", given by the server
  std::string name;
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
  int index = 0;  // the call's position in the answer
};

struct ParsedOutput {
  std::string thinking;
  std::string content;
  std::vector<ToolCall> tool_calls;
  bool empty() const { return thinking.empty() && content.empty() && tool_calls.empty(); }
  void append(ParsedOutput&& more);
};

class ThinkingParser {
 public:
  // start_inside: the prompt ends with the opening tag, so the answer starts in the thinking.
  ThinkingParser(std::string open, std::string close, bool start_inside);
  void add(std::string_view piece, ParsedOutput& out);
  void finish(ParsedOutput& out);

 private:
  enum class State { kBeforeOpen, kThinkingStart, kThinking, kAfterClose, kContent };
  std::string open_, close_;
  State state_;
  std::string buf_;
};

class ToolCallParser {
 public:
  ToolCallParser(std::string tag, std::vector<std::string> tool_names);
  void add(std::string_view text, ParsedOutput& out);
  void finish(ParsedOutput& out);

 private:
  enum class State { kContent, kCall, kAfterCall };
  void step(ParsedOutput& out, bool at_end);
  bool take_call(ParsedOutput& out, bool at_end);  // false: need more text
  std::string tag_, closer_;
  bool bare_;  // the tag is the JSON's own first character
  std::vector<std::string> names_;
  State state_ = State::kContent;
  std::string buf_;
  int next_index_ = 0;
};

// What to look for in one answer.
struct OutputSyntax {
  bool thinking = false;
  std::string think_open, think_close;
  bool start_in_thinking = false;
  bool tools = false;
  std::string tool_tag = "{";
  std::vector<std::string> tool_names;
};

class OutputParser {
 public:
  explicit OutputParser(const OutputSyntax& syntax);
  ParsedOutput add(std::string_view piece);
  ParsedOutput finish();

 private:
  void route_content(std::string_view content, ParsedOutput& out);
  bool thinking_, tools_;
  ThinkingParser think_;
  ToolCallParser calls_;
};

// Reads text that is JSON or nearly JSON (see above); discarded when it cannot be read.
nlohmann::ordered_json parse_lenient_json(std::string_view text);

}  // namespace corral::server
