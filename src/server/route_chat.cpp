// POST /api/chat: the conversation rendered with the model's template (oldest turns dropped when it
// does not fit num_ctx), completed by the runner, streamed as NDJSON or answered as one object.
// An empty message list only loads (or, with keep_alive 0, unloads).
#include <httplib.h>

#include <cctype>

#include "server/answer.h"
#include "server/http_util.h"
#include "server/inference.h"
#include "server/jobs.h"
#include "server/native_response.h"
#include "server/prompt.h"
#include "server/routes.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

ordered_json chat_object(const std::string& model, const ParsedOutput& out, bool done) {
  ordered_json message = {{"role", "assistant"}, {"content", out.content}};
  if (!out.thinking.empty()) message["thinking"] = out.thinking;
  if (!out.tool_calls.empty()) {
    message["tool_calls"] = ordered_json::array();
    for (const auto& c : out.tool_calls) message["tool_calls"].push_back(native_tool_call(c));
  }
  return {{"model", model}, {"created_at", now_rfc3339()}, {"message", std::move(message)}, {"done", done}};
}

}  // namespace

ApiResult<PreparedJob> prepare_chat(ServerContext& ctx, const ordered_json& body,
                                    std::chrono::steady_clock::time_point start) {
  if (body.contains("messages") && !body["messages"].is_null() && !body["messages"].is_array())
    return ApiError{400, "messages must be an array"};
  ordered_json messages =
      body.contains("messages") && body["messages"].is_array() ? body["messages"] : ordered_json::array();
  for (auto& m : messages) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return ApiError{400, "each message needs a string role"};
    std::string role = m["role"].get<std::string>();
    for (auto& c : role) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    m["role"] = role;
    if (m.contains("content") && !m["content"].is_null() && !m["content"].is_string())
      return ApiError{400, "message content must be a string"};
  }
  auto target = resolve_target(ctx, body, false);
  if (auto* e = std::get_if<ApiError>(&target)) return *e;
  Target& t = std::get<Target>(target);
  if (t.facts->is_embedding_model()) return ApiError{400, fmt::format("\"{}\" does not support chat", t.requested)};
  if (auto e = check_unsupported(body, t)) return *e;
  const ordered_json tools = body.contains("tools") && body["tools"].is_array() ? body["tools"] : ordered_json::array();
  auto templates = chat_templates(t.go_template, *t.facts);
  auto features = ctx.features.get(templates);
  if (auto e = check_tools(tools, *features, t.requested)) return *e;
  auto think = resolve_think(body, *features, t.requested);
  if (auto* e = std::get_if<ApiError>(&think)) return *e;
  auto grammar = format_grammar(body);
  if (auto* e = std::get_if<ApiError>(&grammar)) return *e;
  auto started = start_job(ctx, body, t, !messages.empty(), start);
  if (auto* e = std::get_if<ApiError>(&started)) return *e;
  PreparedJob chat = std::move(std::get<PreparedJob>(started));
  Job& job = *chat.job;
  if (chat.done_reason) {
    job.target = std::move(t);
    return chat;
  }

  tmpl::ChatRequest request;
  request.messages = ordered_json::array();
  for (const auto& m : t.model.messages) request.messages.push_back(m);
  for (auto& m : messages) request.messages.push_back(std::move(m));
  request.tools = tools;
  request.system = t.model.system;
  request.think = std::get<ThinkSetting>(think).think;
  request.think_level = std::get<ThinkSetting>(think).level;
  sched::Runner& runner = job.lease.runner();
  Result<std::string> prompt = Error("");
  if (body.value("truncate", true)) {
    prompt = render_chat_fitting(request, templates, t.spec.num_ctx, [&runner](const std::string& p) -> Result<size_t> {
      CORRAL_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, runner.tokenize(p));
      return tokens.size();
    });
  } else {
    prompt = render_prompt(request, templates);
  }
  if (!prompt.ok()) return ApiError{400, prompt.error().to_string()};
  job.syntax = output_syntax(*features, tools, *prompt);
  job.drop_thinking = !request.think.value_or(false);
  job.request = completion_request(body, t);
  job.request.grammar = answer_grammar(std::move(std::get<std::string>(grammar)), job.syntax);
  job.request.prompt = std::move(prompt).value();
  job.target = std::move(t);
  return chat;
}

void register_chat_routes(httplib::Server& server, ServerContext& ctx) {
  server.Post("/api/chat", [&ctx](const httplib::Request& req, httplib::Response& res) {
    serve_native(ctx, req, res, prepare_chat, chat_object);
  });
}

}  // namespace corral::server
