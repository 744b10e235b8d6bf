// Native responses for /api/generate and /api/chat; see native_response.h.
#include "server/native_response.h"

#include <httplib.h>

#include "server/http_util.h"

namespace corral::server {

using nlohmann::ordered_json;

namespace {

ordered_json final_object(const Job& job, const JobOutcome& outcome, NativeObject object, const std::string& text) {
  ordered_json out = object(job.target.requested, text, true);
  out["done_reason"] = outcome.done->done_reason;
  if (job.request.return_context) out["context"] = outcome.done->context;
  add_timings(out, *outcome.done, outcome.total_ns, job.load_ns);
  return out;
}

void respond_native(ServerContext& ctx, httplib::Response& res, std::shared_ptr<Job> job, bool stream,
                    NativeObject object) {
  if (!stream) {
    std::string text;
    ordered_json logprobs = ordered_json::array();
    JobOutcome outcome = run_job(ctx, *job, [&](const sched::CompletionPiece& p) {
      text += p.content;
      if (p.logprobs.is_array())
        for (const auto& l : p.logprobs) logprobs.push_back(l);
      return true;
    });
    job->lease.release();
    if (!outcome.done) return send_error(res, 500, outcome.error);
    ordered_json out = final_object(*job, outcome, object, text);
    if (job->request.logprobs) out["logprobs"] = std::move(logprobs);
    return send_json(res, out);
  }
  start_ndjson_stream(res, [&ctx, job, object](StreamWriter& out) {
    JobOutcome outcome = run_job(ctx, *job, [&](const sched::CompletionPiece& p) {
      ordered_json line = object(job->target.requested, p.content, false);
      if (p.logprobs.is_array()) line["logprobs"] = p.logprobs;
      return out.write_line(line);
    });
    job->lease.release();  // the slot is free before the last line goes out
    if (outcome.cancelled) return;
    if (!outcome.done) {
      out.write_line(ordered_json{{"error", outcome.error}});
      return;
    }
    out.write_line(final_object(*job, outcome, object, ""));
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
    ordered_json out = object(p.job->target.requested, "", true);
    out["done_reason"] = *p.done_reason;
    return send_json(res, out);
  }
  respond_native(ctx, res, std::move(p.job), p.stream, object);
}

}  // namespace corral::server
