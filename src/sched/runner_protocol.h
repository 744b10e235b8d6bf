// The messages between the server and a runner child (`corral runner`), which speak JSON over
// loopback HTTP: both sides use these structs and their JSON forms, so the protocol has one
// definition. The endpoints are described in docs/architecture.md ("Runners").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sampling/options.h"

namespace corral::sched {

// POST /completion
struct CompletionRequest {
  std::string prompt;                          // rendered text, tokenized by the runner...
  std::optional<std::vector<int32_t>> tokens;  // ...unless the tokens are given
  sampling::SamplingOptions options;
  int32_t num_keep = 4;
  bool shift = true;  // context shift (and prompt truncation) when the context fills
  bool logprobs = false;
  bool return_context = false;  // final line carries the context tokens (Ollama's /api/generate)
  std::string grammar;          // GBNF the output must follow (structured outputs); empty: none
};

// One NDJSON line of the stream: a piece of text (never half a UTF-8 character).
struct CompletionPiece {
  std::string content;
  nlohmann::ordered_json logprobs;  // null, or an array of {token, logprob, bytes, top_logprobs}
};

// The final line.
struct CompletionDone {
  std::string done_reason;  // "stop" | "length"
  int64_t prompt_eval_count = 0;
  int64_t prompt_eval_duration_ns = 0;
  int64_t eval_count = 0;
  int64_t eval_duration_ns = 0;
  std::vector<int32_t> context;  // when return_context
};

// POST /embedding
struct EmbeddingRequest {
  std::vector<std::string> inputs;
  bool truncate = true;
};
struct EmbeddingResult {
  std::vector<std::vector<float>> embeddings;  // pooled and L2-normalised
  int64_t prompt_eval_count = 0;
};

nlohmann::ordered_json to_json(const CompletionRequest& r);
Result<CompletionRequest> completion_request_from_json(const nlohmann::ordered_json& j);
nlohmann::ordered_json to_json(const CompletionPiece& p);
nlohmann::ordered_json to_json(const CompletionDone& d);
nlohmann::ordered_json to_json(const EmbeddingRequest& r);
Result<EmbeddingRequest> embedding_request_from_json(const nlohmann::ordered_json& j);
nlohmann::ordered_json to_json(const EmbeddingResult& r);
Result<EmbeddingResult> embedding_result_from_json(const nlohmann::ordered_json& j);

// GET /health: "loading" (with progress 0..1), "ok", or "error" (the load failed; error says why).
struct RunnerHealth {
  std::string status;
  double progress = 0.0;
  std::string error;
};
nlohmann::ordered_json to_json(const RunnerHealth& h);
Result<RunnerHealth> runner_health_from_json(const nlohmann::ordered_json& j);

// GET /status
struct RunnerStatus {
  int64_t slots_busy = 0;
  int64_t num_parallel = 0;
  uint64_t kv_bytes = 0;
  uint64_t workspace_bytes = 0;
};
nlohmann::ordered_json to_json(const RunnerStatus& s);
Result<RunnerStatus> runner_status_from_json(const nlohmann::ordered_json& j);

// One line of a /completion stream, parsed.
struct CompletionLine {
  std::optional<CompletionPiece> piece;
  std::optional<CompletionDone> done;
  std::optional<std::string> error;
};
Result<CompletionLine> parse_completion_line(std::string_view line);

}  // namespace corral::sched
