// The shared inference path; see inference.h.
#include "server/inference.h"

#include <algorithm>

#include "base/log.h"
#include "sampling/grammar.h"
#include "sampling/json_schema.h"
#include "server/jobs.h"
#include "server/metrics.h"

namespace corral::server {
namespace {

using nlohmann::ordered_json;

int64_t ns_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count();
}

// num_ctx: the request's or model's, else CONTEXT_LENGTH, else 4096 (Ollama's tier without a
// GPU); at least 4 and at most the training context.
int64_t effective_num_ctx(const ServerContext& ctx, const ModelOptions& o, const ModelFacts& facts) {
  int64_t n = 4096;
  if (o.num_ctx) {
    n = *o.num_ctx;
  } else if (auto env = ctx.env.get_int("CONTEXT_LENGTH", 0); env.ok() && *env > 0) {
    n = *env;
  }
  if (facts.n_ctx_train > 0) n = std::min(n, facts.n_ctx_train);
  return std::max<int64_t>(n, 4);
}

sched::LoadSpec load_spec(const ServerContext& ctx, const Target& t, bool embedding) {
  sched::LoadSpec spec;
  spec.model_name = t.model.display_name;
  spec.model_path = t.model.model_path;
  spec.num_ctx = effective_num_ctx(ctx, t.options, *t.facts);
  spec.num_batch = std::max<int64_t>(t.options.num_batch, 1);
  spec.num_parallel = ctx.scheduler != nullptr ? ctx.scheduler->config().num_parallel : 1;
  if (t.facts->is_embedding_model()) spec.num_parallel = 1;  // as Ollama forces for embedding models
  spec.num_gpu = t.options.num_gpu;
  spec.num_thread = t.options.num_thread;
  spec.kv_type = ctx.env.get_string("KV_CACHE_TYPE", "f16");
  spec.embedding = embedding && t.facts->is_embedding_model();
  return spec;
}

}  // namespace

ApiResult<std::optional<sched::KeepAlive>> request_keep_alive(const ordered_json& body) {
  if (!body.contains("keep_alive")) return std::optional<sched::KeepAlive>{};
  auto parsed = sched::parse_keep_alive(body["keep_alive"]);
  if (!parsed.ok()) return ApiError{400, parsed.error().to_string()};
  return *parsed;
}

ApiResult<Target> resolve_target(ServerContext& ctx, const ordered_json& body, bool embedding) {
  std::string requested;
  for (const char* key : {"model", "name"})
    if (body.contains(key) && body[key].is_string() && !body[key].get<std::string>().empty()) {
      requested = body[key].get<std::string>();
      break;
    }
  if (requested.empty()) return ApiError{400, "model is required"};
  ModelLookup lookup = resolve_model(ctx.store, requested);
  if (!lookup.ok()) return ApiError{lookup.status, lookup.error};
  Target t;
  t.requested = requested;
  t.model = std::move(*lookup.ref);
  if (t.model.model_path.empty()) return ApiError{400, fmt::format("model \"{}\" has no model layer", requested)};
  auto facts = ctx.facts.get(t.model.model_path);
  if (!facts.ok()) return ApiError{500, fmt::format("reading the model: {}", facts.error().to_string())};
  t.facts = *facts;
  auto options = merge_options(t.model.params, body.contains("options") ? body["options"] : ordered_json());
  if (!options.ok()) return ApiError{400, options.error().to_string()};
  t.options = std::move(options).value();
  t.go_template = t.model.template_text;
  t.spec = load_spec(ctx, t, embedding);
  return t;
}

ApiResult<sched::Lease> acquire_runner(ServerContext& ctx, const Target& target,
                                       std::optional<sched::KeepAlive> keep_alive) {
  if (ctx.scheduler == nullptr) return ApiError{500, "this server has no scheduler"};
  sched::AcquireResult lease = ctx.scheduler->acquire(target.spec, [&ctx] { return ctx.stopping.load(); });
  if (!lease.ok()) {
    switch (lease.kind()) {
      case sched::AcquireError::kQueueFull: return ApiError{503, std::string(sched::kQueueFullMessage)};
      case sched::AcquireError::kCancelled: return ApiError{499, lease.error().to_string()};
      case sched::AcquireError::kShutdown: return ApiError{503, lease.error().to_string()};
      default: return ApiError{500, lease.error().to_string()};
    }
  }
  sched::Lease owned = std::move(lease).value();
  owned.set_keep_alive(keep_alive);
  return owned;
}

void unload_runner(ServerContext& ctx, const Target& target) {
  if (ctx.scheduler == nullptr) return;
  if (auto s = ctx.scheduler->unload(target.spec.model_path); !s.ok())
    LOG_WARN("unloading {}: {}", target.requested, s.error().to_string());
}

ApiResult<PreparedJob> start_job(ServerContext& ctx, const nlohmann::ordered_json& body, const Target& t,
                                 bool has_input, std::chrono::steady_clock::time_point start) {
  auto keep_alive = request_keep_alive(body);
  if (auto* e = std::get_if<ApiError>(&keep_alive)) return *e;
  auto ka = std::get<0>(keep_alive);

  PreparedJob prepared;
  prepared.stream = body.value("stream", true);
  prepared.job = std::make_shared<Job>();
  Job& job = *prepared.job;
  job.start = start;
  if (!has_input && ka && ka->count() == 0) {
    unload_runner(ctx, t);
    prepared.done_reason = "unload";
    return prepared;
  }
  auto lease = acquire_runner(ctx, t, ka);
  if (auto* e = std::get_if<ApiError>(&lease)) return *e;
  job.lease = std::move(std::get<sched::Lease>(lease));
  job.load_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  if (!has_input) prepared.done_reason = "load";
  return prepared;
}

JobOutcome run_job(ServerContext& ctx, Job& job, const std::function<bool(const sched::CompletionPiece&)>& emit) {
  JobOutcome out;
  sched::Runner& runner = job.lease.runner();
  auto done = runner.complete(job.request, [&](const sched::CompletionPiece& piece) {
    if (emit(piece)) return true;
    out.cancelled = true;
    return false;
  });
  out.total_ns = ns_since(job.start);
  if (out.cancelled) {
    ctx.metrics.add_cancelled();
    LOG_INFO("{}: the client went away; its sequence was cancelled", job.target.requested);
    return out;
  }
  if (!done.ok()) {
    if (!runner.alive()) job.lease.mark_failed();
    out.error = done.error().to_string();
    LOG_WARN("{}: {}", job.target.requested, out.error);
    return out;
  }
  ctx.metrics.record_generation(job.target.requested, done->prompt_eval_count, done->prompt_eval_duration_ns,
                                done->eval_count, done->eval_duration_ns);
  out.done = std::move(done).value();
  return out;
}

void add_timings(ordered_json& out, const sched::CompletionDone& done, int64_t total_ns, int64_t load_ns) {
  out["total_duration"] = total_ns;
  out["load_duration"] = load_ns;
  out["prompt_eval_count"] = done.prompt_eval_count;
  out["prompt_eval_duration"] = done.prompt_eval_duration_ns;
  out["eval_count"] = done.eval_count;
  out["eval_duration"] = done.eval_duration_ns;
}

ApiResult<std::string> format_grammar(const ordered_json& body) {
  const auto it = body.find("format");
  if (it == body.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) return std::string();
  std::string grammar;
  if (it->is_string() && it->get<std::string>() == "json") {
    grammar = sampling::json_object_grammar();
  } else if (it->is_object()) {
    Result<std::string> converted = sampling::json_schema_to_grammar(*it);
    if (!converted.ok()) return ApiError{400, converted.error().to_string()};
    grammar = std::move(converted).value();
  } else {
    return ApiError{400, "invalid format: expected \"json\" or a JSON schema"};
  }
  // The runner parses it again; a schema whose grammar cannot work (a $ref that only refers to
  // itself) is the client's error.
  if (auto parsed = sampling::parse_grammar(grammar); !parsed.ok())
    return ApiError{400, "the JSON schema cannot be used as a format: " + parsed.error().to_string()};
  return grammar;
}

std::string answer_grammar(std::string format_grammar, const OutputSyntax& syntax) {
  if (format_grammar.empty() || !syntax.thinking || !syntax.start_in_thinking || syntax.think_close.empty())
    return format_grammar;
  return sampling::grammar_after_thinking(format_grammar, syntax.think_close);
}

std::optional<ApiError> check_unsupported(const ordered_json& body, const Target& target) {
  auto has_images = [](const ordered_json& j) {
    return j.is_object() && j.contains("images") && j["images"].is_array() && !j["images"].empty();
  };
  bool images = has_images(body);
  if (body.contains("messages") && body["messages"].is_array())
    for (const auto& m : body["messages"]) images = images || has_images(m);
  if (images) {
    if (target.model.projector_paths.empty())
      return ApiError{400, fmt::format("\"{}\" does not support vision", target.requested)};
    return ApiError{400, "image input is not supported yet by corral"};
  }
  if (body.contains("top_logprobs") && !body["top_logprobs"].is_null()) {
    const auto& n = body["top_logprobs"];
    if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() > 20)
      return ApiError{400, "top_logprobs must be between 0 and 20"};
  }
  return std::nullopt;
}

sched::CompletionRequest completion_request(const ordered_json& body, const Target& target) {
  sched::CompletionRequest r;
  r.options = target.options.sampling;
  r.num_keep = target.options.num_keep;
  r.shift = body.value("shift", true);
  r.logprobs = body.value("logprobs", false);
  if (body.contains("top_logprobs") && body["top_logprobs"].is_number_integer())
    r.options.top_logprobs = body["top_logprobs"].get<int32_t>();
  return r;
}

}  // namespace corral::server
