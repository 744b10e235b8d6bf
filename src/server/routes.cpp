// The one list of routes: registration of every endpoint file, and the path patterns they serve.
#include "server/routes.h"

namespace corral::server {

namespace {

constexpr std::string_view kPatterns[] = {
    "/",
    "/api/version",
    "/api/health",
    "/metrics",
    "/api/tags",
    "/api/show",
    "/api/create",
    "/api/blobs/([^/]+)",
    "/api/copy",
    "/api/delete",
    "/api/pull",
    "/api/push",
    "/api/generate",
    "/api/chat",
    "/api/embed",
    "/api/embeddings",
    "/api/ps",
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/responses",
    "/v1/embeddings",
    "/v1/models",
    "/v1/models/(.+)",
};

}  // namespace

std::span<const std::string_view> known_route_patterns() {
  return kPatterns;
}

void register_all_routes(httplib::Server& http, ServerContext& ctx) {
  register_basic_routes(http, ctx);
  register_health_routes(http, ctx);
  register_metrics_routes(http, ctx);
  register_tags_routes(http, ctx);
  register_show_routes(http, ctx);
  register_create_routes(http, ctx);
  register_blob_routes(http, ctx);
  register_copy_delete_routes(http, ctx);
  register_pull_push_routes(http, ctx);
  register_generate_routes(http, ctx);
  register_chat_routes(http, ctx);
  register_embed_routes(http, ctx);
  register_ps_routes(http, ctx);
  register_openai_routes(http, ctx);
}

}  // namespace corral::server
