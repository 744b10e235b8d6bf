// GET /api/ps: the loaded models with Ollama's fields, plus corral's placement for each (where
// its layers run and why, the processor split, busy slots, the runner's pid).
#include <httplib.h>

#include "sched/scheduler.h"
#include "server/http_util.h"
#include "server/model_details.h"
#include "server/model_ref.h"
#include "server/routes.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

ordered_json loaded_model(const ServerContext& ctx, const sched::LoadedRunner& r) {
  ordered_json m = ordered_json::object();
  m["name"] = r.spec.model_name;
  m["model"] = r.spec.model_name;
  m["size"] = r.plan.size;
  ModelLookup lookup = resolve_model(ctx.store, r.spec.model_name);
  m["digest"] = lookup.ok() ? lookup.ref->digest : "";
  m["details"] = lookup.ok() ? model_details(*lookup.ref) : ordered_json::object();
  // Forever shows as the latest time the clock can hold, as Ollama shows a far-future time.
  m["expires_at"] = format_rfc3339(r.forever ? std::chrono::system_clock::time_point::max() : r.expires_at);
  m["size_vram"] = r.plan.size_vram;
  m["context_length"] = r.spec.num_ctx;
  m["corral"] = {{"processor", r.processor},
                 {"layers", r.plan.layers},
                 {"layers_on_gpu", r.plan.layers_on_gpu},
                 {"placement", r.plan.summary},
                 {"num_parallel", r.spec.num_parallel},
                 {"busy_slots", r.busy},
                 {"memory_bytes", r.memory_bytes},
                 {"pid", r.pid}};
  return m;
}

void handle_ps(ServerContext& ctx, httplib::Response& res) {
  ordered_json models = ordered_json::array();
  if (ctx.scheduler != nullptr)
    for (const auto& r : ctx.scheduler->loaded()) models.push_back(loaded_model(ctx, r));
  send_json(res, ordered_json{{"models", std::move(models)}});
}

}  // namespace

void register_ps_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/api/ps", [&ctx](const httplib::Request&, httplib::Response& res) { handle_ps(ctx, res); });
}

}  // namespace corral::server
