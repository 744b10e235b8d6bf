// Native responses for /api/generate and /api/chat; see native_response.h.
#include "server/native_response.h"

#include <httplib.h>

#include "server/answer.h"
#include "server/http_util.h"

namespace corral::server {

using nlohmann::ordered_json;

namespace {

ordered_json final_object(const Job& job, const JobOutcome& outcome, NativeObject object, const ParsedOutput& out) {
  ordered_json j = object(job.target.requested, out, true);
  j["done_reason"] = outcome.done->done_reason;
  if (job.request.return_context) j["context"] = outcome.done->context;
  add_timings(j, *outcome.done, outcome.total_ns, job.load_ns);
  return j;
}

void respond_native(ServerContext& ctx, httplib::Response& res, std::shared_ptr<Job> job, bool stream,
                    NativeObject object) {
  if (!stream) {
    ParsedOutput all;
    ordered_json logprobs = ordered_json::array();
    JobOutcome outcome = run_answer(ctx, *job, [&](AnswerDelta& d) {
      all.append(std::move(d.out));
      for (auto& l : d.logprobs) logprobs.push_back(std::move(l));
      return true;
    });
    job->lease.release();
    if (!outcome.done) return send_error(res, 500, outcome.error);
    ordered_json out = final_object(*job, outcome, object, all);
    if (job->request.logprobs) out["logprobs"] = std::move(logprobs);
    return send_json(res, out);
  }
  start_ndjson_stream(res, [&ctx, job, object](StreamWriter& out) {
    ordered_json late_logprobs;  // of tokens whose text came out only at the end
    JobOutcome outcome = run_answer(ctx, *job, [&](AnswerDelta& d) {
      if (d.out.empty()) {
        late_logprobs = std::move(d.logprobs);
        return true;
      }
      ordered_json line = object(job->target.requested, d.out, false);
      if (!d.logprobs.empty()) line["logprobs"] = std::move(d.logprobs);
      return out.write_line(line);
    });
    job->lease.release();  // the slot is free before the last line goes out
    if (outcome.cancelled) return;
    if (!outcome.done) {
      out.write_line(ordered_json{{"error", outcome.error}});
      return;
    }
    ordered_json last = final_object(*job, outcome, object, ParsedOutput{});
    if (late_logprobs.is_array() && !late_logprobs.empty()) last["logprobs"] = std::move(late_logprobs);
    out.write_line(last);
  });
}

}  // namespace

void serve_native(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, NativePrepare prepare,
                  NativeObject object) {
  const auto start = std::chrono::steady_clock::now();
  auto body = parse_json_body(req);
  if (!body.ok()) return send_error(res, 400, body.error().to_string());
  auto prepared = prepare(ctx, *body, start);
  if (auto* e = std::get_if<ApiError>(&prepared)) return send_error(res, e->status, e->message);
  PreparedJob& p = std::get<PreparedJob>(prepared);
  if (p.done_reason) {  // load or unload only
    ordered_json out = object(p.job->target.requested, ParsedOutput{}, true);
    out["done_reason"] = *p.done_reason;
    return send_json(res, out);
  }
  respond_native(ctx, res, std::move(p.job), p.stream, object);
}

}  // namespace corral::server
