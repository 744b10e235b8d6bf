// Writes a prepared job's result in Ollama's native shape: one object (stream:false) or NDJSON
// lines, the last one with done_reason, the timing fields and (for generate) the context.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "server/inference.h"
#include "server/jobs.h"
#include "server/output_parser.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace corral::server {

// The route's object ({model, created_at, response|message, done}) carrying a part of the answer
// (content, thinking, tool calls).
using NativeObject = nlohmann::ordered_json (*)(const std::string& model, const ParsedOutput& out, bool done);
using NativePrepare = ApiResult<PreparedJob> (*)(ServerContext& ctx, const nlohmann::ordered_json& body,
                                                 std::chrono::steady_clock::time_point start);

// The whole handler of /api/generate or /api/chat: parse, prepare (errors keep their status),
// answer load/unload-only requests, then run the job into one object or an NDJSON stream.
void serve_native(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, NativePrepare prepare,
                  NativeObject object);

}  // namespace corral::server
