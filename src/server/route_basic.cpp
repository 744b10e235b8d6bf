// GET/HEAD / ("Ollama is running", which clients probe) and GET/HEAD /api/version.
#include <nlohmann/json.hpp>

#include "server/http_util.h"
#include "server/routes.h"

namespace corral::server {

void register_basic_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Ollama is running", "text/plain; charset=utf-8");
  });
  http.Get("/api/version", [&ctx](const httplib::Request&, httplib::Response& res) {
    send_json(res, nlohmann::ordered_json{{"version", ctx.version}});
  });
}

}  // namespace corral::server
