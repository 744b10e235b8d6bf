// Think/tools checks and the parsed answer; see answer.h.
#include "server/answer.h"

#include <fmt/format.h>

#include <random>
#include <utility>

#include "store/name.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

// Ollama's ids: "call_" and eight random characters of [a-z0-9].
std::string new_tool_call_id() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::uniform_int_distribution<int> pick(0, 35);
  std::string id = "call_";
  for (int i = 0; i < 8; ++i) id += kChars[pick(rd)];
  return id;
}

bool ends_with_tag(std::string_view prompt, std::string_view tag) {
  while (!prompt.empty() &&
         (prompt.back() == ' ' || prompt.back() == '\n' || prompt.back() == '\r' || prompt.back() == '\t'))
    prompt.remove_suffix(1);
  return !tag.empty() && prompt.ends_with(tag);
}

}  // namespace

std::string capability_error(const std::string& requested, std::string_view what) {
  auto name = store::ModelName::parse(requested);
  return fmt::format("{} does not support {}", name.ok() ? name->display_long() : requested, what);
}

ApiResult<ThinkSetting> resolve_think(const ordered_json& body, const tmpl::TemplateFeatures& features,
                                      const std::string& requested) {
  ThinkSetting s;
  if (body.contains("think") && !body["think"].is_null()) {
    const auto& t = body["think"];
    if (t.is_boolean()) {
      s.think = t.get<bool>();
    } else if (t.is_string() && (t == "low" || t == "medium" || t == "high" || t == "max")) {
      s.think = true;
      s.level = t.get<std::string>();
    } else {
      return ApiError{400, "invalid think value: use true, false, \"low\", \"medium\", \"high\" or \"max\""};
    }
  }
  if (!features.thinking) {
    if (s.think.value_or(false)) return ApiError{400, fmt::format("\"{}\" does not support thinking", requested)};
    return s;
  }
  if (!s.think) s.think = true;
  return s;
}

std::optional<ApiError> check_tools(const ordered_json& tools, const tmpl::TemplateFeatures& features,
                                    const std::string& requested) {
  if (!tools.is_array() || tools.empty() || features.tools) return std::nullopt;
  return ApiError{400, capability_error(requested, "tools")};
}

OutputSyntax output_syntax(const tmpl::TemplateFeatures& features, const ordered_json& tools,
                           const std::string& prompt) {
  OutputSyntax s;
  if (features.thinking) {
    s.thinking = true;
    s.think_open = features.think_open;
    s.think_close = features.think_close;
    s.start_in_thinking = ends_with_tag(prompt, features.think_open);
  }
  if (features.tools && tools.is_array() && !tools.empty()) {
    s.tools = true;
    s.tool_tag = features.tool_tag;
    for (const auto& t : tools)
      if (t.is_object() && t.contains("function") && t["function"].is_object() && t["function"].contains("name") &&
          t["function"]["name"].is_string())
        s.tool_names.push_back(t["function"]["name"].get<std::string>());
  }
  return s;
}

JobOutcome run_answer(ServerContext& ctx, Job& job, const std::function<bool(AnswerDelta&)>& emit) {
  OutputParser parser(job.syntax);
  ordered_json pending = ordered_json::array();  // logprobs of tokens whose text is held back
  // Sends what carries something; logprobs go out with the next delta that has text or calls.
  auto send = [&](ParsedOutput&& out, bool last) {
    if (job.drop_thinking) out.thinking.clear();
    for (auto& call : out.tool_calls) call.id = new_tool_call_id();
    if (out.empty() && !(last && !pending.empty())) return true;
    AnswerDelta d;
    d.out = std::move(out);
    d.logprobs = std::exchange(pending, ordered_json::array());
    return emit(d);
  };
  JobOutcome outcome = run_job(ctx, job, [&](const sched::CompletionPiece& p) {
    if (p.logprobs.is_array())
      for (const auto& l : p.logprobs) pending.push_back(l);
    return send(parser.add(p.content), false);
  });
  if (outcome.done) send(parser.finish(), true);
  return outcome;
}

ordered_json native_tool_call(const ToolCall& call) {
  return {{"id", call.id}, {"function", {{"index", call.index}, {"name", call.name}, {"arguments", call.arguments}}}};
}

}  // namespace corral::server
