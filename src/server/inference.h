// What every inference route shares: resolve the model and merge its options, get a runner slot
// from the scheduler, run one completion on it with the timings Ollama reports, and map failures
// to HTTP statuses. The routes only translate requests and responses.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "sched/runner.h"
#include "sched/scheduler.h"
#include "server/context.h"
#include "server/model_facts.h"
#include "server/model_ref.h"
#include "server/options.h"
#include "server/output_parser.h"

namespace corral::server {

// An error with the HTTP status it answers with.
struct ApiError {
  int status = 500;
  std::string message;
};

template <typename T>
using ApiResult = std::variant<T, ApiError>;

// A request's model, resolved, with its options merged and the runner spec they imply.
struct Target {
  std::string requested;  // the name as the client wrote it (echoed back, like Ollama)
  ModelRef model;
  std::shared_ptr<const ModelFacts> facts;
  ModelOptions options;
  sched::LoadSpec spec;
  std::optional<std::string> go_template;  // the model's TEMPLATE layer (or the request's)
};

// keep_alive from a request body: absent → nullopt (the runner keeps its duration).
ApiResult<std::optional<sched::KeepAlive>> request_keep_alive(const nlohmann::ordered_json& body);

// model name, store lookup (404 `model "x" not found, try pulling it first`), options (400).
ApiResult<Target> resolve_target(ServerContext& ctx, const nlohmann::ordered_json& body, bool embedding);

// A slot of a runner for the target; 503 when the queue is full, 500 when loading fails.
ApiResult<sched::Lease> acquire_runner(ServerContext& ctx, const Target& target,
                                       std::optional<sched::KeepAlive> keep_alive);

// Unloads the target's runner at once (an empty prompt with keep_alive 0).
void unload_runner(ServerContext& ctx, const Target& target);

// A completion in progress: the lease, the request for the runner, and the clock.
struct Job {
  Target target;
  sched::Lease lease;
  sched::CompletionRequest request;
  std::chrono::steady_clock::time_point start;
  int64_t load_ns = 0;
  OutputSyntax syntax;         // thinking and tool calls to split out of the answer
  bool drop_thinking = false;  // think:false, but the model thinks anyway: its thinking is not sent
};

struct JobOutcome {
  std::optional<sched::CompletionDone> done;  // set on success
  std::string error;                          // set on failure
  bool cancelled = false;                     // the client went away
  int64_t total_ns = 0;
};

// Runs the completion, handing each piece to emit (false = the client is gone: cancel). Marks the
// runner failed when it died, records metrics, and never throws.
JobOutcome run_job(ServerContext& ctx, Job& job, const std::function<bool(const sched::CompletionPiece&)>& emit);

// The timing fields of a final response (nanoseconds; Ollama omits zeros only for counts it lacks).
void add_timings(nlohmann::ordered_json& out, const sched::CompletionDone& done, int64_t total_ns, int64_t load_ns);

// Checks Ollama's request flags that corral does not serve yet or that are malformed:
// images on a model without vision, top_logprobs range. (think and tools are checked against the
// template in answer.h; format becomes a grammar in format_grammar.)
std::optional<ApiError> check_unsupported(const nlohmann::ordered_json& body, const Target& target);

// The GBNF grammar a request's `format` asks for (structured outputs): "" for none (absent, null,
// ""), Ollama's JSON grammar for "json", a JSON schema's grammar for an object; 400 for any other
// value and for a schema that is invalid or uses what the converter does not support (the message
// names the part).
ApiResult<std::string> format_grammar(const nlohmann::ordered_json& body);
// The grammar the answer follows: `format_grammar`'s, after the rest of the thinking when the
// prompt ends inside a thinking section (the template opened the tag), so that the format is the
// content and not the thinking. Empty stays empty.
std::string answer_grammar(std::string format_grammar, const OutputSyntax& syntax);

// Copies the sampling options and flags of a request into a runner request.
sched::CompletionRequest completion_request(const nlohmann::ordered_json& body, const Target& target);

}  // namespace corral::server
