// Writes a prepared job's result in Ollama's native shape: one object (stream:false) or NDJSON
// lines, the last one with done_reason, the timing fields and (for generate) the context.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "server/inference.h"

namespace httplib {
struct Response;
}

namespace corral::server {

// object(text, done): the route's object ({model, created_at, response|message, done}).
using NativeObject = std::function<nlohmann::ordered_json(const std::string& text, bool done)>;

void respond_native(ServerContext& ctx, httplib::Response& res, std::shared_ptr<Job> job, bool stream,
                    NativeObject object);

}  // namespace corral::server
