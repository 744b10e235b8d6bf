// GET/HEAD /api/tags: the models in the store, newest first, with their details from the config
// blob (no GGUF is opened). Models with problems are left out of "models" (clients would try to
// use them) and listed, with what is wrong, in a top-level "corral": {"broken": [...]} object that
// is present only when some model is broken; `corral list` shows them.
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
    nlohmann::ordered_json broken = nlohmann::ordered_json::array();
    auto skip = [&broken](const store::ModelListing& m, const std::string& name, const std::string& problem) {
      // A debug line only: the answer names the model and its problem, which `corral list` shows
      // (a warning would also land on the terminal of every `list` run in-process).
      LOG_DEBUG("/api/tags: skipping {}: {}", name, problem);
      broken.push_back({{"name", name},
                        {"modified_at", format_rfc3339(m.modified)},
                        {"size", m.size},
                        {"digest", m.id},
                        {"problem", problem}});
    };
    for (const store::ModelListing& m : store::list_models(ctx.store)) {
      std::string name = m.name.display_shortest();
      if (!m.problem.empty()) {
        skip(m, name, m.problem);
        continue;
      }
      auto config = read_model_config(ctx.store, m.manifest_path);
      if (!config.ok()) {
        skip(m, name, config.error().to_string());
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
    nlohmann::ordered_json out{{"models", std::move(models)}};
    if (!broken.empty()) out["corral"] = {{"broken", std::move(broken)}};
    send_json(res, out);
  });
}

}  // namespace corral::server
