// POST /api/embed (batch, normalised) and POST /api/embeddings (the legacy single embedding).
#include <httplib.h>

#include "engine/embedding.h"
#include "server/embed.h"
#include "server/http_util.h"
#include "server/metrics.h"
#include "server/routes.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

int64_t ns_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

void handle_embed(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto inputs = embed_inputs(*body, "input");
  if (auto* e = std::get_if<ApiError>(&inputs)) return send_error(res, e->status, e->message);
  auto outcome = run_embed(ctx, *body, std::get<0>(inputs), start);
  if (auto* e = std::get_if<ApiError>(&outcome)) return send_error(res, e->status, e->message);
  const EmbedOutcome& o = std::get<EmbedOutcome>(outcome);
  ordered_json out = {{"model", o.model},
                      {"embeddings", o.embeddings},
                      {"total_duration", o.total_ns},
                      {"load_duration", o.load_ns},
                      {"prompt_eval_count", o.prompt_eval_count}};
  send_json(res, out);
}

void handle_embeddings(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto inputs = embed_inputs(*body, "prompt");
  if (auto* e = std::get_if<ApiError>(&inputs)) return send_error(res, e->status, e->message);
  if (std::get<0>(inputs).size() > 1) return send_error(res, 400, "prompt must be a string");
  auto outcome = run_embed(ctx, *body, std::get<0>(inputs), start);
  if (auto* e = std::get_if<ApiError>(&outcome)) return send_error(res, e->status, e->message);
  const EmbedOutcome& o = std::get<EmbedOutcome>(outcome);
  ordered_json embedding = ordered_json::array();
  if (!o.embeddings.empty())
    for (float x : o.embeddings[0]) embedding.push_back(static_cast<double>(x));
  send_json(res, ordered_json{{"embedding", embedding}});
}

}  // namespace

ApiResult<std::vector<std::string>> embed_inputs(const ordered_json& body, const char* key) {
  std::vector<std::string> inputs;
  if (!body.contains(key) || body[key].is_null()) return inputs;
  const auto& v = body[key];
  if (v.is_string()) {
    if (!v.get<std::string>().empty()) inputs.push_back(v.get<std::string>());
    return inputs;
  }
  if (!v.is_array())
    return ApiError{400, fmt::format("invalid {} type: expected a string or an array of strings", key)};
  for (const auto& e : v) {
    if (!e.is_string())
      return ApiError{400, fmt::format("invalid {} type: expected a string or an array of strings", key)};
    inputs.push_back(e.get<std::string>());
  }
  return inputs;
}

ApiResult<EmbedOutcome> run_embed(ServerContext& ctx, const ordered_json& body, const std::vector<std::string>& inputs,
                                  std::chrono::steady_clock::time_point start) {
  int64_t dimensions = 0;
  if (body.contains("dimensions") && !body["dimensions"].is_null()) {
    if (!body["dimensions"].is_number_integer() || body["dimensions"].get<int64_t>() <= 0)
      return ApiError{400, "dimensions must be a positive integer"};
    dimensions = body["dimensions"].get<int64_t>();
  }
  auto target = resolve_target(ctx, body, true);
  if (auto* e = std::get_if<ApiError>(&target)) return *e;
  Target& t = std::get<Target>(target);
  auto keep_alive = request_keep_alive(body);
  if (auto* e = std::get_if<ApiError>(&keep_alive)) return *e;
  auto lease = acquire_runner(ctx, t, std::get<0>(keep_alive));
  if (auto* e = std::get_if<ApiError>(&lease)) return *e;
  sched::Lease& slot = std::get<sched::Lease>(lease);
  EmbedOutcome out;
  out.model = t.requested;
  const auto loaded = std::chrono::steady_clock::now();
  out.load_ns = ns_between(start, loaded);
  if (!inputs.empty()) {
    sched::EmbeddingRequest request;
    request.inputs = inputs;
    request.truncate = body.value("truncate", true);
    auto result = slot.runner().embed(request);
    if (!result.ok()) {
      if (!slot.runner().alive()) slot.mark_failed();
      std::string message = result.error().to_string();
      // The runner refuses an input longer than the context when truncate is false.
      int status = message.find("exceeds the context length") != std::string::npos ? 400 : 500;
      return ApiError{status, message};
    }
    out.embeddings = std::move(result->embeddings);
    out.prompt_eval_count = result->prompt_eval_count;
    if (dimensions > 0)
      for (auto& v : out.embeddings)
        if (static_cast<size_t>(dimensions) < v.size()) {
          v.resize(static_cast<size_t>(dimensions));
          engine::l2_normalize(v);
        }
    ctx.metrics.record_generation(t.requested, out.prompt_eval_count,
                                  ns_between(loaded, std::chrono::steady_clock::now()), 0, 0);
  }
  out.total_ns = ns_between(start, std::chrono::steady_clock::now());
  return out;
}

void register_embed_routes(httplib::Server& server, ServerContext& ctx) {
  server.Post("/api/embed",
              [&ctx](const httplib::Request& req, httplib::Response& res) { handle_embed(ctx, req, res); });
  server.Post("/api/embeddings",
              [&ctx](const httplib::Request& req, httplib::Response& res) { handle_embeddings(ctx, req, res); });
}

}  // namespace corral::server
