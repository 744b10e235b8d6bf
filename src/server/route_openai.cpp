// The OpenAI-compatible routes: /v1/chat/completions, /v1/completions (SSE when streaming, ending
// with `data: [DONE]`), /v1/embeddings, /v1/models and /v1/models/{model}. Requests are translated
// to the native paths (openai.h); errors take OpenAI's shape.
#include <httplib.h>

#include <random>

#include "server/embed.h"
#include "server/http_util.h"
#include "server/jobs.h"
#include "server/openai.h"
#include "server/routes.h"
#include "store/ops.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

void send_openai_error(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(dump_json(openai::error_body(status, message)), kJsonType);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Ollama's ids: a prefix and a number below 999.
std::string response_id(std::string_view prefix) {
  std::random_device rd;
  return fmt::format("{}{}", prefix, std::uniform_int_distribution<int>(0, 998)(rd));
}

// The translated request, or an OpenAI error already sent.
std::optional<openai::Converted> convert(const httplib::Request& req, httplib::Response& res,
                                         Result<openai::Converted> (*translate)(const ordered_json&)) {
  auto body = parse_json_body(req);
  if (!body.ok()) {
    send_openai_error(res, 400, body.error().to_string());
    return std::nullopt;
  }
  auto converted = translate(*body);
  if (!converted.ok()) {
    send_openai_error(res, 400, converted.error().to_string());
    return std::nullopt;
  }
  return std::move(converted).value();
}

// Completions and chat completions differ only in their object shapes.
struct Shapes {
  const char* id_prefix;
  const char* chunk_object;
  ordered_json (*whole)(std::string_view, std::string_view, int64_t, const std::string&, std::string_view,
                        const openai::Usage&);
  // A stream chunk with `text` (first = the first chunk) or, with finish set, the final chunk.
  std::function<ordered_json(std::string_view id, std::string_view model, int64_t created, const std::string& text,
                             bool first, const ordered_json& finish)>
      chunk;
};

openai::Usage usage_of(const sched::CompletionDone& done) {
  return {done.prompt_eval_count, done.eval_count};
}

void respond(ServerContext& ctx, httplib::Response& res, PreparedJob prepared, bool include_usage,
             const Shapes& shapes) {
  std::shared_ptr<Job> job = std::move(prepared.job);
  const std::string id = response_id(shapes.id_prefix);
  const int64_t created = unix_now();
  const std::string model = job->target.requested;
  if (!prepared.stream) {
    std::string text;
    JobOutcome outcome = run_job(ctx, *job, [&](const sched::CompletionPiece& p) {
      text += p.content;
      return true;
    });
    job->lease.release();
    if (!outcome.done) return send_openai_error(res, 500, outcome.error);
    return send_json(res, shapes.whole(id, model, created, text, outcome.done->done_reason, usage_of(*outcome.done)));
  }
  start_sse_stream(res, [&ctx, job, id, created, model, include_usage, shapes](StreamWriter& out) {
    bool first = true;
    JobOutcome outcome = run_job(ctx, *job, [&](const sched::CompletionPiece& p) {
      bool ok = out.write_event(shapes.chunk(id, model, created, p.content, first, nullptr));
      first = false;
      return ok;
    });
    job->lease.release();
    if (outcome.cancelled) return;
    if (!outcome.done) {
      out.write_event(openai::error_body(500, outcome.error));
      out.write_done();
      return;
    }
    out.write_event(shapes.chunk(id, model, created, "", false, openai::finish_reason(outcome.done->done_reason)));
    if (include_usage)
      out.write_event(openai::usage_chunk(id, shapes.chunk_object, model, created, usage_of(*outcome.done)));
    out.write_done();
  });
}

const Shapes& chat_shapes() {
  static const Shapes shapes{"chatcmpl-", "chat.completion.chunk", openai::chat_completion,
                             [](std::string_view id, std::string_view model, int64_t created, const std::string& text,
                                bool first, const ordered_json& finish) {
                               ordered_json delta = ordered_json::object();
                               if (finish.is_null()) {
                                 if (first) delta["role"] = "assistant";
                                 delta["content"] = text;
                               }
                               return openai::chat_chunk(id, model, created, delta, finish);
                             }};
  return shapes;
}

const Shapes& completion_shapes() {
  static const Shapes shapes{
      "cmpl-", "text_completion", openai::text_completion,
      [](std::string_view id, std::string_view model, int64_t created, const std::string& text, bool /*first*/,
         const ordered_json& finish) { return openai::text_chunk(id, model, created, text, finish); }};
  return shapes;
}

void handle_chat_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto converted = convert(req, res, openai::chat_request);
  if (!converted) return;
  if (converted->native["messages"].empty()) return send_openai_error(res, 400, "messages must not be empty");
  auto prepared = prepare_chat(ctx, converted->native, start);
  if (auto* e = std::get_if<ApiError>(&prepared)) return send_openai_error(res, e->status, e->message);
  respond(ctx, res, std::move(std::get<PreparedJob>(prepared)), converted->include_usage, chat_shapes());
}

void handle_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto converted = convert(req, res, openai::completion_request);
  if (!converted) return;
  if (converted->native["prompt"].get<std::string>().empty())
    return send_openai_error(res, 400, "prompt must not be empty");
  auto prepared = prepare_generate(ctx, converted->native, start);
  if (auto* e = std::get_if<ApiError>(&prepared)) return send_openai_error(res, e->status, e->message);
  respond(ctx, res, std::move(std::get<PreparedJob>(prepared)), converted->include_usage, completion_shapes());
}

void handle_embeddings(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto converted = convert(req, res, openai::embedding_request);
  if (!converted) return;
  auto inputs = embed_inputs(converted->native, "input");
  if (auto* e = std::get_if<ApiError>(&inputs)) return send_openai_error(res, e->status, e->message);
  if (std::get<0>(inputs).empty()) return send_openai_error(res, 400, "invalid input: it must not be empty");
  auto outcome = run_embed(ctx, converted->native, std::get<0>(inputs), start);
  if (auto* e = std::get_if<ApiError>(&outcome)) return send_openai_error(res, e->status, e->message);
  const EmbedOutcome& o = std::get<EmbedOutcome>(outcome);
  ordered_json native = {{"embeddings", o.embeddings}, {"prompt_eval_count", o.prompt_eval_count}};
  auto list = openai::embedding_list(native, o.model, converted->encoding_format);
  if (!list.ok()) return send_openai_error(res, 400, list.error().to_string());
  send_json(res, *list);
}

int64_t unix_seconds(std::filesystem::file_time_type t) {
  auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}

ordered_json model_object(const store::ModelListing& m) {
  return openai::model_object(m.name.display_shortest(), unix_seconds(m.modified), m.name.name_space);
}

void handle_models(ServerContext& ctx, httplib::Response& res) {
  ordered_json data = ordered_json::array();
  for (const auto& m : store::list_models(ctx.store))
    if (m.problem.empty()) data.push_back(model_object(m));
  send_json(res, ordered_json{{"object", "list"}, {"data", std::move(data)}});
}

void handle_model(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string requested = req.matches[1];
  auto name = store::ModelName::parse(requested);
  if (name.ok()) {
    for (const auto& m : store::list_models(ctx.store))
      if (m.name.equal_fold(*name)) return send_json(res, model_object(m));
  }
  send_openai_error(res, 404, fmt::format("model \"{}\" not found", requested));
}

}  // namespace

void register_openai_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/v1/chat/completions",
            [&ctx](const httplib::Request& req, httplib::Response& res) { handle_chat_completions(ctx, req, res); });
  http.Post("/v1/completions",
            [&ctx](const httplib::Request& req, httplib::Response& res) { handle_completions(ctx, req, res); });
  http.Post("/v1/embeddings",
            [&ctx](const httplib::Request& req, httplib::Response& res) { handle_embeddings(ctx, req, res); });
  http.Get("/v1/models", [&ctx](const httplib::Request&, httplib::Response& res) { handle_models(ctx, res); });
  http.Get(R"(/v1/models/(.+))",
           [&ctx](const httplib::Request& req, httplib::Response& res) { handle_model(ctx, req, res); });
}

}  // namespace corral::server
