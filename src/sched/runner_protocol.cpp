// JSON forms of the runner protocol (runner_protocol.h). Every field read is type-checked: the
// runner is a separate process and its answers, like the server's requests, are input.
#include "sched/runner_protocol.h"

#include <string>

namespace corral::sched {
namespace {

using nlohmann::ordered_json;

// Reads an optional field of the expected JSON kind into out; absent or null leaves out as is.
template <typename T>
Status read_field(const ordered_json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  bool ok = false;
  if constexpr (std::is_same_v<T, bool>)
    ok = it->is_boolean();
  else if constexpr (std::is_same_v<T, std::string>)
    ok = it->is_string();
  else if constexpr (std::is_integral_v<T>)
    ok = it->is_number_integer() ||
         (it->is_number_float() && it->template get<double>() == static_cast<double>(it->template get<int64_t>()));
  else if constexpr (std::is_floating_point_v<T>)
    ok = it->is_number();
  if (!ok) return Error::format("field \"{}\" has the wrong type ({})", key, it->type_name());
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    out = static_cast<T>(it->template get<int64_t>());
  else
    out = it->template get<T>();
  return {};
}

Status read_tokens(const ordered_json& j, const char* key, std::vector<int32_t>& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) return Error::format("field \"{}\" must be an array of token ids", key);
  out.clear();
  out.reserve(it->size());
  for (const auto& v : *it) {
    if (!v.is_number_integer()) return Error::format("field \"{}\" must hold integers", key);
    const auto id = v.get<int64_t>();
    if (id < INT32_MIN || id > INT32_MAX) return Error::format("token id {} is out of range", id);
    out.push_back(static_cast<int32_t>(id));
  }
  return {};
}

Status require_object(const ordered_json& j, const char* what) {
  if (!j.is_object()) return Error::format("{} must be a JSON object", what);
  return {};
}

ordered_json options_json(const sampling::SamplingOptions& o) {
  return ordered_json{{"temperature", o.temperature},
                      {"top_k", o.top_k},
                      {"top_p", o.top_p},
                      {"min_p", o.min_p},
                      {"typical_p", o.typical_p},
                      {"repeat_last_n", o.repeat_last_n},
                      {"repeat_penalty", o.repeat_penalty},
                      {"presence_penalty", o.presence_penalty},
                      {"frequency_penalty", o.frequency_penalty},
                      {"seed", o.seed},
                      {"num_predict", o.num_predict},
                      {"stop", o.stop}};
}

Status read_options(const ordered_json& j, sampling::SamplingOptions& o) {
  CORRAL_TRY(require_object(j, "\"options\""));
  CORRAL_TRY(read_field(j, "temperature", o.temperature));
  CORRAL_TRY(read_field(j, "top_k", o.top_k));
  CORRAL_TRY(read_field(j, "top_p", o.top_p));
  CORRAL_TRY(read_field(j, "min_p", o.min_p));
  CORRAL_TRY(read_field(j, "typical_p", o.typical_p));
  CORRAL_TRY(read_field(j, "repeat_last_n", o.repeat_last_n));
  CORRAL_TRY(read_field(j, "repeat_penalty", o.repeat_penalty));
  CORRAL_TRY(read_field(j, "presence_penalty", o.presence_penalty));
  CORRAL_TRY(read_field(j, "frequency_penalty", o.frequency_penalty));
  CORRAL_TRY(read_field(j, "seed", o.seed));
  CORRAL_TRY(read_field(j, "num_predict", o.num_predict));
  if (const auto it = j.find("stop"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Error("field \"stop\" must be an array of strings");
    o.stop.clear();
    for (const auto& s : *it) {
      if (!s.is_string()) return Error("field \"stop\" must be an array of strings");
      o.stop.push_back(s.get<std::string>());
    }
  }
  return {};
}

}  // namespace

ordered_json to_json(const CompletionRequest& r) {
  ordered_json j;
  if (r.tokens)
    j["tokens"] = *r.tokens;
  else
    j["prompt"] = r.prompt;
  j["options"] = options_json(r.options);
  j["num_keep"] = r.num_keep;
  j["shift"] = r.shift;
  j["top_logprobs"] = r.options.top_logprobs;
  j["logprobs"] = r.logprobs;
  j["return_context"] = r.return_context;
  if (!r.grammar.empty()) j["grammar"] = r.grammar;
  return j;
}

Result<CompletionRequest> completion_request_from_json(const ordered_json& j) {
  CORRAL_TRY(require_object(j, "the completion request"));
  CompletionRequest r;
  CORRAL_TRY(read_field(j, "prompt", r.prompt));
  if (const auto it = j.find("tokens"); it != j.end() && !it->is_null()) {
    r.tokens.emplace();
    CORRAL_TRY(read_tokens(j, "tokens", *r.tokens));
  }
  if (const auto it = j.find("options"); it != j.end() && !it->is_null()) CORRAL_TRY(read_options(*it, r.options));
  CORRAL_TRY(read_field(j, "num_keep", r.num_keep));
  CORRAL_TRY(read_field(j, "shift", r.shift));
  CORRAL_TRY(read_field(j, "top_logprobs", r.options.top_logprobs));
  CORRAL_TRY(read_field(j, "logprobs", r.logprobs));
  CORRAL_TRY(read_field(j, "return_context", r.return_context));
  CORRAL_TRY(read_field(j, "grammar", r.grammar));
  if (r.options.top_logprobs < 0) return Error("top_logprobs must not be negative");
  return r;
}

ordered_json to_json(const CompletionPiece& p) {
  ordered_json j{{"content", p.content}};
  if (!p.logprobs.is_null()) j["logprobs"] = p.logprobs;
  return j;
}

ordered_json to_json(const CompletionDone& d) {
  ordered_json j{{"done", true},
                 {"done_reason", d.done_reason},
                 {"prompt_eval_count", d.prompt_eval_count},
                 {"prompt_eval_duration", d.prompt_eval_duration_ns},
                 {"eval_count", d.eval_count},
                 {"eval_duration", d.eval_duration_ns}};
  if (!d.context.empty()) j["context"] = d.context;
  return j;
}

ordered_json to_json(const EmbeddingRequest& r) {
  return ordered_json{{"inputs", r.inputs}, {"truncate", r.truncate}};
}

Result<EmbeddingRequest> embedding_request_from_json(const ordered_json& j) {
  CORRAL_TRY(require_object(j, "the embedding request"));
  EmbeddingRequest r;
  const auto it = j.find("inputs");
  if (it == j.end() || !it->is_array()) return Error("field \"inputs\" must be an array of strings");
  for (const auto& s : *it) {
    if (!s.is_string()) return Error("field \"inputs\" must be an array of strings");
    r.inputs.push_back(s.get<std::string>());
  }
  CORRAL_TRY(read_field(j, "truncate", r.truncate));
  return r;
}

ordered_json to_json(const EmbeddingResult& r) {
  return ordered_json{{"embeddings", r.embeddings}, {"prompt_eval_count", r.prompt_eval_count}};
}

Result<EmbeddingResult> embedding_result_from_json(const ordered_json& j) {
  CORRAL_TRY(require_object(j, "the embedding result"));
  EmbeddingResult r;
  const auto it = j.find("embeddings");
  if (it == j.end() || !it->is_array()) return Error("field \"embeddings\" must be an array");
  for (const auto& row : *it) {
    if (!row.is_array()) return Error("each embedding must be an array of numbers");
    std::vector<float>& out = r.embeddings.emplace_back();
    out.reserve(row.size());
    for (const auto& v : row) {
      if (!v.is_number()) return Error("each embedding must be an array of numbers");
      out.push_back(v.get<float>());
    }
  }
  CORRAL_TRY(read_field(j, "prompt_eval_count", r.prompt_eval_count));
  return r;
}

ordered_json to_json(const RunnerHealth& h) {
  ordered_json j{{"status", h.status}};
  if (h.status == "loading") j["progress"] = h.progress;
  if (h.status == "error") j["error"] = h.error;
  return j;
}

Result<RunnerHealth> runner_health_from_json(const ordered_json& j) {
  CORRAL_TRY(require_object(j, "the health answer"));
  RunnerHealth h;
  CORRAL_TRY(read_field(j, "status", h.status));
  if (h.status != "loading" && h.status != "ok" && h.status != "error")
    return Error::format("unknown runner status \"{}\"", h.status);
  CORRAL_TRY(read_field(j, "progress", h.progress));
  CORRAL_TRY(read_field(j, "error", h.error));
  return h;
}

ordered_json to_json(const RunnerStatus& s) {
  return ordered_json{{"slots_busy", s.slots_busy},
                      {"num_parallel", s.num_parallel},
                      {"kv_bytes", s.kv_bytes},
                      {"workspace_bytes", s.workspace_bytes}};
}

Result<RunnerStatus> runner_status_from_json(const ordered_json& j) {
  CORRAL_TRY(require_object(j, "the status answer"));
  RunnerStatus s;
  CORRAL_TRY(read_field(j, "slots_busy", s.slots_busy));
  CORRAL_TRY(read_field(j, "num_parallel", s.num_parallel));
  CORRAL_TRY(read_field(j, "kv_bytes", s.kv_bytes));
  CORRAL_TRY(read_field(j, "workspace_bytes", s.workspace_bytes));
  return s;
}

Result<CompletionLine> parse_completion_line(std::string_view line) {
  ordered_json j = ordered_json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::format("bad line from the runner: {:.200}", line);
  CompletionLine out;
  if (const auto it = j.find("error"); it != j.end()) {
    if (!it->is_string()) return Error("field \"error\" must be a string");
    out.error = it->get<std::string>();
    return out;
  }
  bool done = false;
  CORRAL_TRY(read_field(j, "done", done));
  if (done) {
    CompletionDone d;
    CORRAL_TRY(read_field(j, "done_reason", d.done_reason));
    CORRAL_TRY(read_field(j, "prompt_eval_count", d.prompt_eval_count));
    CORRAL_TRY(read_field(j, "prompt_eval_duration", d.prompt_eval_duration_ns));
    CORRAL_TRY(read_field(j, "eval_count", d.eval_count));
    CORRAL_TRY(read_field(j, "eval_duration", d.eval_duration_ns));
    CORRAL_TRY(read_tokens(j, "context", d.context));
    out.done = std::move(d);
    return out;
  }
  CompletionPiece p;
  const auto it = j.find("content");
  if (it == j.end() || !it->is_string()) return Error("a stream line lacks \"content\"");
  p.content = it->get<std::string>();
  if (const auto lp = j.find("logprobs"); lp != j.end() && !lp->is_null()) {
    if (!lp->is_array()) return Error("field \"logprobs\" must be an array");
    p.logprobs = *lp;
  }
  out.piece = std::move(p);
  return out;
}

}  // namespace corral::sched
