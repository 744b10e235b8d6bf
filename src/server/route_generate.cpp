// POST /api/generate: a prompt (templated unless raw) completed by the model's runner, streamed as
// NDJSON or answered as one object. An empty prompt only loads (or, with keep_alive 0, unloads).
#include <httplib.h>

#include "server/http_util.h"
#include "server/inference.h"
#include "server/jobs.h"
#include "server/native_response.h"
#include "server/prompt.h"
#include "server/routes.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

ordered_json generate_object(const std::string& model, const std::string& response, bool done) {
  return {{"model", model}, {"created_at", now_rfc3339()}, {"response", response}, {"done", done}};
}

// The prompt text for the runner, or an error.
ApiResult<std::string> generate_prompt(const ordered_json& body, const Target& t, sched::Runner& runner) {
  std::string prompt = body.value("prompt", "");
  if (body.value("raw", false)) return prompt;
  tmpl::ChatRequest chat;
  bool with_context = body.contains("context") && body["context"].is_array() && !body["context"].empty();
  chat.messages = generate_messages(with_context ? ordered_json::array() : t.model.messages, prompt);
  chat.system =
      body.contains("system") && body["system"].is_string() ? body["system"].get<std::string>() : t.model.system;
  if (body.contains("think") && body["think"].is_boolean()) chat.think = body["think"].get<bool>();
  std::optional<std::string> go_template = t.go_template;
  if (body.contains("template") && body["template"].is_string() && !body["template"].get<std::string>().empty())
    go_template = body["template"].get<std::string>();
  auto rendered = render_prompt(chat, chat_templates(go_template, *t.facts));
  if (!rendered.ok()) return ApiError{400, rendered.error().to_string()};
  if (!with_context) return std::move(rendered).value();
  // The deprecated `context`: the previous exchange's tokens come first, as text.
  std::vector<int32_t> context;
  for (const auto& id : body["context"]) {
    if (!id.is_number_integer()) return ApiError{400, "context must be an array of token ids"};
    context.push_back(id.get<int32_t>());
  }
  auto text = runner.detokenize(context);
  if (!text.ok()) return ApiError{500, text.error().to_string()};
  return *text + *rendered;
}

std::optional<ApiError> check_generate_flags(const ordered_json& body) {
  if (body.contains("prompt") && !body["prompt"].is_null() && !body["prompt"].is_string())
    return ApiError{400, "prompt must be a string"};
  bool raw = body.value("raw", false);
  bool has_template =
      body.contains("template") && body["template"].is_string() && !body["template"].get<std::string>().empty();
  bool has_system = body.contains("system") && body["system"].is_string() && !body["system"].get<std::string>().empty();
  bool has_context = body.contains("context") && body["context"].is_array() && !body["context"].empty();
  if (raw && (has_template || has_system || has_context))
    return ApiError{400, "raw mode does not support template, system, or context"};
  if (body.contains("suffix") && body["suffix"].is_string() && !body["suffix"].get<std::string>().empty())
    return ApiError{400, fmt::format("\"{}\" does not support insert", body.value("model", ""))};
  return std::nullopt;
}

}  // namespace

ApiResult<PreparedJob> prepare_generate(ServerContext& ctx, const ordered_json& body,
                                        std::chrono::steady_clock::time_point start) {
  if (auto e = check_generate_flags(body)) return *e;
  auto target = resolve_target(ctx, body, false);
  if (auto* e = std::get_if<ApiError>(&target)) return *e;
  Target& t = std::get<Target>(target);
  if (t.facts->is_embedding_model()) return ApiError{400, fmt::format("\"{}\" does not support generate", t.requested)};
  if (auto e = check_unsupported(body, t)) return *e;
  auto grammar = format_grammar(body);
  if (auto* e = std::get_if<ApiError>(&grammar)) return *e;
  auto started = start_job(ctx, body, t, !body.value("prompt", "").empty(), start);
  if (auto* e = std::get_if<ApiError>(&started)) return *e;
  PreparedJob gen = std::move(std::get<PreparedJob>(started));
  Job& job = *gen.job;
  if (gen.done_reason) {
    job.target = std::move(t);
    return gen;
  }
  auto text = generate_prompt(body, t, job.lease.runner());
  if (auto* e = std::get_if<ApiError>(&text)) return *e;
  job.request = completion_request(body, t);
  job.request.grammar = std::move(std::get<std::string>(grammar));
  job.request.prompt = std::move(std::get<0>(text));
  job.request.return_context = !body.value("raw", false);
  job.target = std::move(t);
  return gen;
}

void register_generate_routes(httplib::Server& server, ServerContext& ctx) {
  server.Post("/api/generate", [&ctx](const httplib::Request& req, httplib::Response& res) {
    serve_native(ctx, req, res, prepare_generate, generate_object);
  });
}

}  // namespace corral::server
