// GET/HEAD /api/tags: the models in the store, newest first, with their details from the config
// blob (no GGUF is opened). Models with problems are skipped and logged.
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "server/http_util.h"
#include "server/model_details.h"
#include "server/routes.h"
#include "store/ops.h"

namespace corral::server {

void register_tags_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/api/tags", [&ctx](const httplib::Request&, httplib::Response& res) {
    nlohmann::ordered_json models = nlohmann::ordered_json::array();
    for (const store::ModelListing& m : store::list_models(ctx.store)) {
      std::string name = m.name.display_shortest();
      if (!m.problem.empty()) {
        LOG_WARN("/api/tags: skipping {}: {}", name, m.problem);
        continue;
      }
      auto config = read_model_config(ctx.store, m.manifest_path);
      if (!config.ok()) {
        LOG_WARN("/api/tags: skipping {}: {}", name, config.error().to_string());
        continue;
      }
      nlohmann::ordered_json entry;
      entry["name"] = name;
      entry["model"] = name;
      if (!config->remote_model.empty()) entry["remote_model"] = config->remote_model;
      if (!config->remote_host.empty()) entry["remote_host"] = config->remote_host;
      entry["modified_at"] = format_rfc3339(m.modified);
      entry["size"] = m.size;
      entry["digest"] = m.id;
      entry["details"] = details_json(*config);
      models.push_back(std::move(entry));
    }
    send_json(res, nlohmann::ordered_json{{"models", std::move(models)}});
  });
}

}  // namespace corral::server
