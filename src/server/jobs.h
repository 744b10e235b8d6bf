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

ApiResult<PreparedJob> prepare_chat(ServerContext& ctx, const nlohmann::ordered_json& body,
                                    std::chrono::steady_clock::time_point start);
ApiResult<PreparedJob> prepare_generate(ServerContext& ctx, const nlohmann::ordered_json& body,
                                        std::chrono::steady_clock::time_point start);

}  // namespace corral::server
