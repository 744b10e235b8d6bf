// The embedding path shared by /api/embed, /api/embeddings and /v1/embeddings: resolve the model,
// get a runner slot, embed every input (pooled and L2-normalised by the runner), and apply
// `dimensions` (truncate, then normalise again).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "server/inference.h"

namespace corral::server {

struct EmbedOutcome {
  std::string model;  // as requested
  std::vector<std::vector<float>> embeddings;
  int64_t prompt_eval_count = 0;
  int64_t total_ns = 0, load_ns = 0;
};

// inputs: the strings to embed (may be empty: the model is only loaded).
ApiResult<EmbedOutcome> run_embed(ServerContext& ctx, const nlohmann::ordered_json& body,
                                  const std::vector<std::string>& inputs, std::chrono::steady_clock::time_point start);

// `input`: a string or an array of strings (absent = none).
ApiResult<std::vector<std::string>> embed_inputs(const nlohmann::ordered_json& body, const char* key);

}  // namespace corral::server
