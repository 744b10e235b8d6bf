// POST /api/copy {source, destination} and DELETE /api/delete {model} (legacy `name`): 200 with
// an empty body, 404 for a missing model, 400 for invalid names, as Ollama.
#include <fmt/format.h>

#include "base/log.h"
#include "server/http_util.h"
#include "server/routes.h"
#include "store/ops.h"

namespace corral::server {
namespace {

void copy(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto source = string_field(*body, "source");
  if (!source.ok()) return send_error(res, 400, source.error().to_string());
  auto destination = string_field(*body, "destination");
  if (!destination.ok()) return send_error(res, 400, destination.error().to_string());
  auto src = store::ModelName::parse(*source);
  if (!src.ok()) return send_error(res, 400, fmt::format("source \"{}\" is invalid", *source));
  auto dst = store::ModelName::parse(*destination);
  if (!dst.ok()) return send_error(res, 400, fmt::format("destination \"{}\" is invalid", *destination));
  if (auto existing = ctx.store.find(*dst); existing && !(*existing == *dst))
    return send_error(res, 400, fmt::format("a model with that name already exists: {}", existing->display_shortest()));
  if (!ctx.store.find(*src)) return send_error(res, 404, fmt::format("model \"{}\" not found", *source));
  if (auto s = store::copy_model(ctx.store, *src, *dst); !s.ok()) return send_error(res, 500, s.error().to_string());
  LOG_INFO("copied {} to {}", src->display_shortest(), dst->display_shortest());
  res.status = 200;
}

void remove(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto text = model_field(*body);
  if (!text.ok()) return send_error(res, 400, text.error().to_string());
  auto name = store::ModelName::parse(*text);
  if (!name.ok()) return send_error(res, 400, fmt::format("name \"{}\" is invalid", *text));
  if (!ctx.store.find(*name)) return send_error(res, 404, fmt::format("model '{}' not found", *text));
  auto removed = store::remove_model(ctx.store, *name);
  if (!removed.ok()) {
    if (!ctx.store.find(*name)) return send_error(res, 404, fmt::format("model '{}' not found", *text));
    return send_error(res, 500, removed.error().to_string());
  }
  LOG_INFO("deleted {} ({} blobs freed)", name->display_shortest(), removed->size());
  res.status = 200;
}

}  // namespace

void register_copy_delete_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/api/copy", [&ctx](const httplib::Request& req, httplib::Response& res) { copy(ctx, req, res); });
  http.Delete("/api/delete", [&ctx](const httplib::Request& req, httplib::Response& res) { remove(ctx, req, res); });
}

}  // namespace corral::server
