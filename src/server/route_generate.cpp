// POST /api/generate: a prompt (templated unless raw) completed by the model's runner, streamed as
// NDJSON or answered as one object. An empty prompt only loads (or, with keep_alive 0, unloads).
#include <httplib.h>

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

ordered_json generate_object(const std::string& model, const ParsedOutput& out, bool done) {
  ordered_json j = {{"model", model}, {"created_at", now_rfc3339()}, {"response", out.content}};
  if (!out.thinking.empty()) j["thinking"] = out.thinking;
  j["done"] = done;
  return j;
}

// The template a request renders with: its own `template`, else the model's.
std::optional<std::string> generate_template(const ordered_json& body, const Target& t) {
  if (body.contains("template") && body["template"].is_string() && !body["template"].get<std::string>().empty())
    return body["template"].get<std::string>();
  return t.go_template;
}

// The prompt text for the runner, or an error.
ApiResult<std::string> generate_prompt(const ordered_json& body, const Target& t, const ThinkSetting& think,
                                       sched::Runner& runner) {
  std::string prompt = body.value("prompt", "");
  if (body.value("raw", false)) return prompt;
  tmpl::ChatRequest chat;
  bool with_context = body.contains("context") && body["context"].is_array() && !body["context"].empty();
  chat.messages = generate_messages(with_context ? ordered_json::array() : t.model.messages, prompt);
  chat.system =
      body.contains("system") && body["system"].is_string() ? body["system"].get<std::string>() : t.model.system;
  chat.think = think.think;
  chat.think_level = think.level;
  chat.suffix = body.value("suffix", "");
  auto rendered = render_prompt(chat, chat_templates(generate_template(body, t), *t.facts));
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
  if (body.contains("suffix") && !body["suffix"].is_null() && !body["suffix"].is_string())
    return ApiError{400, "suffix must be a string"};
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
  auto features = ctx.features.get(chat_templates(generate_template(body, t), *t.facts));
  if (!body.value("suffix", "").empty() && !features->insert)
    return ApiError{400, capability_error(t.requested, "insert")};
  auto think = resolve_think(body, *features, t.requested);
  if (auto* e = std::get_if<ApiError>(&think)) return *e;
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
  auto text = generate_prompt(body, t, std::get<ThinkSetting>(think), job.lease.runner());
  if (auto* e = std::get_if<ApiError>(&text)) return *e;
  job.syntax = output_syntax(*features, ordered_json::array(), std::get<0>(text));
  job.drop_thinking = !std::get<ThinkSetting>(think).think.value_or(false);
  job.request = completion_request(body, t);
  job.request.grammar = answer_grammar(std::move(std::get<std::string>(grammar)), job.syntax);
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
