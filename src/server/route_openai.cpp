// The OpenAI-compatible routes: /v1/chat/completions, /v1/completions (SSE when streaming, ending
// with `data: [DONE]`), /v1/embeddings, /v1/models and /v1/models/{model}. Requests are translated
// to the native paths (openai.h); errors take OpenAI's shape.
#include <httplib.h>

#include <random>

#include "server/answer.h"
#include "server/embed.h"
#include "server/http_util.h"
#include "server/jobs.h"
#include "server/openai.h"
#include "server/openai_responses.h"
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
template <typename Converted>
std::optional<Converted> convert(const httplib::Request& req, httplib::Response& res,
                                 Result<Converted> (*translate)(const ordered_json&)) {
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

openai::Usage usage_of(const sched::CompletionDone& done) {
  return {done.prompt_eval_count, done.eval_count};
}

// What a stream has sent so far.
struct StreamState {
  bool first = true;          // the role goes in the first chat chunk
  bool called_tools = false;  // the finish reason is then "tool_calls"
};

// Completions and chat completions differ only in their object shapes.
struct Shapes {
  const char* id_prefix;
  const char* chunk_object;
  ordered_json (*whole)(std::string_view, std::string_view, int64_t, const openai::Answer&, std::string_view,
                        const openai::Usage&);
  // The chunks for one part of the answer (logprobs, an array, may be empty).
  std::vector<ordered_json> (*chunks)(std::string_view id, std::string_view model, int64_t created,
                                      const AnswerDelta& d, StreamState& state);
  ordered_json (*final_chunk)(std::string_view id, std::string_view model, int64_t created,
                              const std::string& finish_reason);
};

void respond(ServerContext& ctx, httplib::Response& res, PreparedJob prepared, bool include_usage,
             const Shapes& shapes) {
  std::shared_ptr<Job> job = std::move(prepared.job);
  const std::string id = response_id(shapes.id_prefix);
  const int64_t created = unix_now();
  const std::string model = job->target.requested;
  if (!prepared.stream) {
    openai::Answer answer;
    if (job->request.logprobs) answer.logprobs = ordered_json::array();
    JobOutcome outcome = run_answer(ctx, *job, [&](AnswerDelta& d) {
      answer.out.append(std::move(d.out));
      if (answer.logprobs.is_array())
        for (auto& l : d.logprobs) answer.logprobs.push_back(std::move(l));
      return true;
    });
    job->lease.release();
    if (!outcome.done) return send_openai_error(res, 500, outcome.error);
    return send_json(res, shapes.whole(id, model, created, answer, outcome.done->done_reason, usage_of(*outcome.done)));
  }
  start_sse_stream(res, [&ctx, job, id, created, model, include_usage, shapes](StreamWriter& out) {
    StreamState state;
    JobOutcome outcome = run_answer(ctx, *job, [&](AnswerDelta& d) {
      for (const auto& chunk : shapes.chunks(id, model, created, d, state))
        if (!out.write_event(chunk)) return false;
      return true;
    });
    job->lease.release();
    if (outcome.cancelled) return;
    if (!outcome.done) {
      out.write_event(openai::error_body(500, outcome.error));
      out.write_done();
      return;
    }
    out.write_event(
        shapes.final_chunk(id, model, created, openai::finish_reason(outcome.done->done_reason, state.called_tools)));
    if (include_usage)
      out.write_event(openai::usage_chunk(id, shapes.chunk_object, model, created, usage_of(*outcome.done)));
    out.write_done();
  });
}

ordered_json logprobs_or_null(const AnswerDelta& d) {
  return d.logprobs.empty() ? ordered_json() : d.logprobs;
}

// Chat: the reasoning, the content and each tool call in chunks of their own (as Ollama splits them).
std::vector<ordered_json> chat_chunks(std::string_view id, std::string_view model, int64_t created,
                                      const AnswerDelta& d, StreamState& state) {
  std::vector<ordered_json> chunks;
  ordered_json logprobs = logprobs_or_null(d);
  auto add = [&](const ordered_json& fields) {
    ordered_json delta = ordered_json::object();
    if (std::exchange(state.first, false)) delta["role"] = "assistant";
    delta.update(fields);
    chunks.push_back(openai::chat_chunk(id, model, created, delta, nullptr, std::exchange(logprobs, nullptr)));
  };
  if (!d.out.thinking.empty()) add({{"content", ""}, {"reasoning", d.out.thinking}});
  if (!d.out.content.empty()) add({{"content", d.out.content}});
  for (const auto& call : d.out.tool_calls) {
    add({{"content", ""}, {"tool_calls", ordered_json::array({openai::tool_call_json(call)})}});
    state.called_tools = true;
  }
  if (chunks.empty() && logprobs.is_array()) add({{"content", ""}});
  return chunks;
}

ordered_json chat_final_chunk(std::string_view id, std::string_view model, int64_t created, const std::string& finish) {
  return openai::chat_chunk(id, model, created, ordered_json::object(), finish);
}

std::vector<ordered_json> text_chunks(std::string_view id, std::string_view model, int64_t created,
                                      const AnswerDelta& d, StreamState&) {
  if (d.out.content.empty() && d.logprobs.empty()) return {};
  return {openai::text_chunk(id, model, created, d.out.content, nullptr, logprobs_or_null(d))};
}

ordered_json text_final_chunk(std::string_view id, std::string_view model, int64_t created, const std::string& finish) {
  return openai::text_chunk(id, model, created, "", finish);
}

const Shapes& chat_shapes() {
  static const Shapes shapes{"chatcmpl-", "chat.completion.chunk", openai::chat_completion, chat_chunks,
                             chat_final_chunk};
  return shapes;
}

const Shapes& completion_shapes() {
  static const Shapes shapes{"cmpl-", "text_completion", openai::text_completion, text_chunks, text_final_chunk};
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

// /v1/responses: the request becomes a native chat; the answer a response object or its events.
void handle_responses(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto converted = convert(req, res, responses::convert_request);
  if (!converted) return;
  if (converted->native["messages"].empty()) return send_openai_error(res, 400, "input must not be empty");
  auto prepared = prepare_chat(ctx, converted->native, start);
  if (auto* e = std::get_if<ApiError>(&prepared)) return send_openai_error(res, e->status, e->message);
  std::shared_ptr<Job> job = std::move(std::get<PreparedJob>(prepared).job);
  const std::string id = response_id("resp_");
  const int64_t created = unix_now();
  ordered_json echo = std::move(converted->echo);
  if (!converted->stream) {
    ParsedOutput answer;
    JobOutcome outcome = run_answer(ctx, *job, [&](AnswerDelta& d) {
      answer.append(std::move(d.out));
      return true;
    });
    job->lease.release();
    if (!outcome.done) return send_openai_error(res, 500, outcome.error);
    const std::string status = outcome.done->done_reason == "length" ? "incomplete" : "completed";
    const responses::Usage usage{outcome.done->prompt_eval_count, outcome.done->eval_count};
    ordered_json out = responses::response_object(echo, id, created, status, responses::output_items(id, answer),
                                                  responses::usage_json(usage));
    out["completed_at"] = unix_now();
    return send_json(res, out);
  }
  start_sse_stream(res, [&ctx, job, id, created, echo](StreamWriter& out) {
    responses::StreamEvents events(echo, id, created);
    auto write = [&out](const std::vector<responses::Event>& list) {
      for (const auto& e : list)
        if (!out.write_event(e.data, e.type)) return false;
      return true;
    };
    if (!write(events.start())) return;
    JobOutcome outcome = run_answer(ctx, *job, [&](AnswerDelta& d) { return write(events.add(d.out)); });
    job->lease.release();
    if (outcome.cancelled) return;
    if (!outcome.done) {
      out.write_event(ordered_json{{"type", "error"}, {"code", "server_error"}, {"message", outcome.error}}, "error");
      return;
    }
    write(events.finish(outcome.done->done_reason, {outcome.done->prompt_eval_count, outcome.done->eval_count}));
  });
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
  http.Post("/v1/responses",
            [&ctx](const httplib::Request& req, httplib::Response& res) { handle_responses(ctx, req, res); });
  http.Post("/v1/embeddings",
            [&ctx](const httplib::Request& req, httplib::Response& res) { handle_embeddings(ctx, req, res); });
  http.Get("/v1/models", [&ctx](const httplib::Request&, httplib::Response& res) { handle_models(ctx, res); });
  http.Get(R"(/v1/models/(.+))",
           [&ctx](const httplib::Request& req, httplib::Response& res) { handle_model(ctx, req, res); });
}

}  // namespace corral::server
