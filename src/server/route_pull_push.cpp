// POST /api/pull and /api/push: no registry client yet, so both answer the way Ollama answers a
// failure (500 with {"error"}), saying what to do instead.
#include "server/http_util.h"
#include "server/routes.h"

namespace corral::server {

void register_pull_push_routes(httplib::Server& http, ServerContext& /*ctx*/) {
  http.Post("/api/pull", [](const httplib::Request&, httplib::Response& res) {
    send_error(res, 500,
               "pull is not supported yet by corral; copy the model's manifest and blobs, or use corral import");
  });
  http.Post("/api/push", [](const httplib::Request&, httplib::Response& res) {
    send_error(res, 500,
               "push is not supported yet by corral; copy the model's manifest and blobs, or use corral export");
  });
}

}  // namespace corral::server
