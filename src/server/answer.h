// The model's answer as the chat and generate routes send it: the request's `think` and `tools`
// checked against what the template supports (Ollama's errors), and the runner's pieces split into
// thinking, content and tool calls (output_parser.h), each part with the logprobs of its tokens.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "server/inference.h"
#include "server/output_parser.h"
#include "template/features.h"

namespace corral::server {

struct ThinkSetting {
  std::optional<bool> think;  // unset: the template is rendered without a thinking switch
  std::string level;          // "low" | "medium" | "high" | "max"; think is then true
};

// `think`: true/false or a level; 400 for other values and (`"x" does not support thinking`) for
// thinking on a template without it. Unset on a thinking model means on, as in Ollama.
ApiResult<ThinkSetting> resolve_think(const nlohmann::ordered_json& body, const tmpl::TemplateFeatures& features,
                                      const std::string& requested);

// Non-empty `tools` on a template without them: 400 `registry.ollama.ai/library/x:latest does not
// support tools` (the full name, as Ollama's capability check words it).
std::optional<ApiError> check_tools(const nlohmann::ordered_json& tools, const tmpl::TemplateFeatures& features,
                                    const std::string& requested);

// Ollama's capability error for a missing feature ("tools", "insert"): "<full name> does not support <what>".
std::string capability_error(const std::string& requested, std::string_view what);

// What to split out of the answer to the rendered `prompt`: thinking when the template has it (the
// answer starts inside the tag when the prompt ends with the opening tag; with think:false the job
// drops it), tool calls when tools were given.
OutputSyntax output_syntax(const tmpl::TemplateFeatures& features, const nlohmann::ordered_json& tools,
                           const std::string& prompt);

// One step of the parsed answer; logprobs is an array (empty when none were asked for or the
// tokens' text is still held back).
struct AnswerDelta {
  ParsedOutput out;
  nlohmann::ordered_json logprobs = nlohmann::ordered_json::array();
};

// run_job through the job's output parser: emit gets every delta that carries something (false =
// the client is gone), the last one being what the parser held back until the end. Tool calls get
// their ids here.
JobOutcome run_answer(ServerContext& ctx, Job& job, const std::function<bool(AnswerDelta&)>& emit);

// A tool call as /api/chat sends it: {"id", "function": {"index", "name", "arguments"}}.
nlohmann::ordered_json native_tool_call(const ToolCall& call);

}  // namespace corral::server
