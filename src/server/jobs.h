// The native chat and generate paths, shared with the OpenAI routes: validate the request, resolve
// the model, get a runner slot and render the prompt. The routes then run the job and write their
// own formats.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "server/inference.h"

namespace corral::server {

struct PreparedJob {
  std::shared_ptr<Job> job;
  bool stream = true;
  std::optional<std::string> done_reason;  // "load" / "unload": nothing to generate
};

// The step generate and chat share once a request is checked and its model resolved: the
// keep_alive; with no input (`has_input` false) an unload (keep_alive 0) or a load alone, which
// sets `done_reason`; otherwise a lease on a runner slot and the load time. `t` is not consumed.
ApiResult<PreparedJob> start_job(ServerContext& ctx, const nlohmann::ordered_json& body, const Target& t,
                                 bool has_input, std::chrono::steady_clock::time_point start);

ApiResult<PreparedJob> prepare_chat(ServerContext& ctx, const nlohmann::ordered_json& body,
                                    std::chrono::steady_clock::time_point start);
ApiResult<PreparedJob> prepare_generate(ServerContext& ctx, const nlohmann::ordered_json& body,
                                        std::chrono::steady_clock::time_point start);

}  // namespace corral::server
