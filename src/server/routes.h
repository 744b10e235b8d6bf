// Every route of the server, registered in one place (routes.cpp). Each endpoint lives in its own
// file with a `register_<x>_routes(httplib::Server&, ServerContext&)`.
#pragma once

#include <httplib.h>

#include <span>
#include <string_view>

#include "server/context.h"

namespace corral::server {

void register_all_routes(httplib::Server& http, ServerContext& ctx);

// Path patterns (std::regex syntax, as httplib matches them) of every route, for 405 answers to
// a known path with another method and for the metrics' route label. Add a row with a route.
std::span<const std::string_view> known_route_patterns();

// One line per endpoint file.
void register_basic_routes(httplib::Server& http, ServerContext& ctx);        // /, /api/version
void register_health_routes(httplib::Server& http, ServerContext& ctx);       // /api/health
void register_metrics_routes(httplib::Server& http, ServerContext& ctx);      // /metrics
void register_tags_routes(httplib::Server& http, ServerContext& ctx);         // /api/tags
void register_show_routes(httplib::Server& http, ServerContext& ctx);         // /api/show
void register_create_routes(httplib::Server& http, ServerContext& ctx);       // /api/create
void register_blob_routes(httplib::Server& http, ServerContext& ctx);         // /api/blobs/:digest
void register_copy_delete_routes(httplib::Server& http, ServerContext& ctx);  // /api/copy, /api/delete
void register_pull_push_routes(httplib::Server& http, ServerContext& ctx);    // /api/pull, /api/push
void register_generate_routes(httplib::Server& http, ServerContext& ctx);     // /api/generate
void register_chat_routes(httplib::Server& http, ServerContext& ctx);         // /api/chat
void register_embed_routes(httplib::Server& http, ServerContext& ctx);        // /api/embed, /api/embeddings
void register_ps_routes(httplib::Server& http, ServerContext& ctx);           // /api/ps
void register_openai_routes(httplib::Server& http, ServerContext& ctx);       // /v1/*

}  // namespace corral::server
