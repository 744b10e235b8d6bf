// GET /api/health (JSON: status, version, uptime, loaded models, queue depth) and GET /metrics
// (Prometheus text). Neither exists in Ollama; both are corral extras.
#include <nlohmann/json.hpp>

#include "server/http_util.h"
#include "server/metrics.h"
#include "server/routes.h"

namespace corral::server {

void register_health_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/api/health", [&ctx](const httplib::Request&, httplib::Response& res) {
    GaugeSnapshot g = ctx.metrics.gauges();
    send_json(res, nlohmann::ordered_json{{"status", "ok"},
                                          {"version", ctx.version},
                                          {"uptime_seconds", ctx.uptime_seconds()},
                                          {"models_loaded", g.models_loaded},
                                          {"queue_depth", g.queue_depth},
                                          {"scheduler", ctx.scheduler != nullptr}});
  });
}

void register_metrics_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/metrics", [&ctx](const httplib::Request&, httplib::Response& res) {
    res.set_content(ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace corral::server
