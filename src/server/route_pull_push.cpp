// POST /api/pull and /api/push: {"model" (or "name"), "insecure", "stream"}. Progress streams as
// Ollama's NDJSON objects ({"status"}, and "digest"/"total"/"completed" on transfers) ending with
// {"status":"success"}, or an {"error"} line; with stream false one object answers at the end.
#include <nlohmann/json.hpp>

#include <atomic>

#include "base/log.h"
#include "server/http_util.h"
#include "server/routes.h"
#include "store/registry.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

ordered_json event_json(const store::RegistryEvent& e) {
  ordered_json j = {{"status", e.status}};
  if (!e.digest.empty()) {
    j["digest"] = e.digest;
    j["total"] = e.total;
    j["completed"] = e.completed;
  }
  return j;
}

using Transfer = Status (*)(const store::Store&, const store::ModelName&, const store::RegistryOptions&,
                            const store::RegistryProgressFn&);

void transfer(ServerContext& ctx, Transfer run, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto name_text = model_field(*body);
  if (!name_text.ok()) return send_error(res, 400, name_text.error().to_string());
  auto name = store::ModelName::parse(*name_text);
  if (!name.ok()) return send_error(res, 400, name.error().to_string());
  auto stream = stream_field(*body);
  if (!stream.ok()) return send_error(res, 400, stream.error().to_string());
  auto insecure = body->find("insecure");
  if (insecure != body->end() && !insecure->is_boolean() && !insecure->is_null())
    return send_error(res, 400, "json: cannot unmarshal into Go struct field PullRequest.insecure of type bool");

  store::RegistryOptions options = store::RegistryOptions::from_env(ctx.env);
  options.insecure = insecure != body->end() && insecure->is_boolean() && insecure->get<bool>();
  options.user_agent = "corral/" + ctx.version;
  if (!*stream) {
    Status s = run(ctx.store, *name, options, {});
    if (!s.ok()) return send_error(res, 500, s.error().to_string());
    return send_json(res, ordered_json{{"status", "success"}});
  }
  start_ndjson_stream(res, [&ctx, run, name = *name, options](StreamWriter& out) mutable {
    std::atomic<bool> gone{false};
    options.cancel = &gone;
    Status s = run(ctx.store, name, options, [&](const store::RegistryEvent& e) {
      if (!out.write_line(event_json(e))) gone = true;
    });
    if (!s.ok()) {
      LOG_INFO("{} {}: {}", run == &store::pull_model ? "pull" : "push", name.display_shortest(),
               s.error().to_string());
      out.write_line(ordered_json{{"error", s.error().to_string()}});
    }
  });
}

}  // namespace

void register_pull_push_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/api/pull", [&ctx](const httplib::Request& req, httplib::Response& res) {
    transfer(ctx, &store::pull_model, req, res);
  });
  http.Post("/api/push", [&ctx](const httplib::Request& req, httplib::Response& res) {
    transfer(ctx, &store::push_model, req, res);
  });
}

}  // namespace corral::server
