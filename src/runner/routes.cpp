// The runner's HTTP endpoints: requests are validated and tokenized here, on httplib's handler
// threads; generation and embeddings run on the Service's generation thread.
#include <signal.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/log.h"
#include "runner/runner.h"

namespace corral::runner {
namespace {

using nlohmann::ordered_json;

constexpr size_t kHandlerThreads = 16;
constexpr int kErrorPolls = 3;  // /health answers with the load error before the runner exits
constexpr auto kErrorLinger = std::chrono::seconds(2);

void send_json(httplib::Response& res, const ordered_json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, ordered_json{{"error", message}}, status);
}

// Parses the body as a JSON object; on failure answers 400 and returns nullopt.
std::optional<ordered_json> parse_body(const httplib::Request& req, httplib::Response& res) {
  ordered_json j = ordered_json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    send_error(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return j;
}

bool require_loaded(const Service& svc, httplib::Response& res) {
  const sched::RunnerHealth h = svc.health();
  if (h.status == "ok") return true;
  send_error(res, 503, h.status == "error" ? "the model failed to load: " + h.error : "the model is still loading");
  return false;
}

Result<std::vector<int32_t>> tokenize_prompt(const Tokenizer& tok, const std::string& text) {
  return tok.encode(text, {.add_special = true, .parse_special = true});
}

// Ollama's prompt truncation: keep num_keep tokens (plus the BOS) and the tail, so that the prompt
// is num_ctx - max((num_ctx - keep) / 2, 1) tokens. Returns the kept head length.
int32_t truncate_prompt(const Tokenizer& tok, std::vector<int32_t>& prompt, int64_t num_ctx, int32_t num_keep) {
  int64_t keep = std::max<int32_t>(num_keep, 0);
  if (tok.config().add_bos && prompt.front() == tok.config().bos) ++keep;
  if (static_cast<int64_t>(prompt.size()) < num_ctx)
    return static_cast<int32_t>(std::min<int64_t>(keep, prompt.size()));
  const int64_t target = num_ctx - std::max<int64_t>((num_ctx - keep) / 2, 1);
  keep = std::clamp<int64_t>(keep, 0, target);
  std::vector<int32_t> out(prompt.begin(), prompt.begin() + keep);
  out.insert(out.end(), prompt.end() - (target - keep), prompt.end());
  LOG_INFO("prompt of {} tokens truncated to {} (num_ctx {}, keep {})", prompt.size(), out.size(), num_ctx, keep);
  prompt = std::move(out);
  return static_cast<int32_t>(keep);
}

void handle_completion(Service& svc, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  Result<sched::CompletionRequest> parsed = sched::completion_request_from_json(*body);
  if (!parsed.ok()) return send_error(res, 400, parsed.error().to_string());
  if (!require_loaded(svc, res)) return;
  const Tokenizer& tok = svc.tokenizer();
  CompletionJob job;
  job.request = std::move(parsed).value();
  if (job.request.tokens) {
    job.prompt = *job.request.tokens;
    for (int32_t id : job.prompt)
      if (!tok.vocab().contains(id))
        return send_error(res, 400, fmt::format("token id {} is not in the vocabulary", id));
  } else {
    if (job.request.prompt.empty()) return send_error(res, 400, "empty prompt");  // not just a BOS
    Result<std::vector<int32_t>> ids = tokenize_prompt(tok, job.request.prompt);
    if (!ids.ok()) return send_error(res, 400, ids.error().to_string());
    job.prompt = std::move(ids).value();
  }
  if (job.prompt.empty()) return send_error(res, 400, "empty prompt");
  const int64_t num_ctx = svc.num_ctx();
  if (static_cast<int64_t>(job.prompt.size()) >= num_ctx && !job.request.shift)
    return send_error(
        res, 400,
        fmt::format("the prompt ({} tokens) does not fit the context (num_ctx {})", job.prompt.size(), num_ctx));
  job.num_keep = truncate_prompt(tok, job.prompt, num_ctx, job.request.num_keep);
  if (!job.request.grammar.empty()) {
    Result<std::unique_ptr<sampling::TokenConstraint>> constraint = svc.make_constraint(job.request.grammar);
    if (!constraint.ok()) return send_error(res, 400, constraint.error().to_string());
    job.constraint = std::move(constraint).value();
  }
  if (job.request.options.num_predict < 0) job.request.options.num_predict = static_cast<int32_t>(10 * num_ctx);
  auto channel = std::make_shared<Channel>();
  job.channel = channel;
  svc.submit(std::move(job));
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [channel](size_t, httplib::DataSink& sink) {
        std::optional<std::string> line = channel->pop();
        if (!line) {
          sink.done();
          return true;
        }
        line->push_back('\n');
        if (!sink.write(line->data(), line->size())) {
          channel->cancel = true;
          return false;
        }
        return true;
      },
      [channel](bool success) {
        if (!success) channel->cancel = true;
      });
}

void handle_embedding(Service& svc, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  Result<sched::EmbeddingRequest> parsed = sched::embedding_request_from_json(*body);
  if (!parsed.ok()) return send_error(res, 400, parsed.error().to_string());
  if (!require_loaded(svc, res)) return;
  std::vector<std::vector<int32_t>> inputs;
  for (const std::string& text : parsed->inputs) {
    Result<std::vector<int32_t>> ids = tokenize_prompt(svc.tokenizer(), text);
    if (!ids.ok()) return send_error(res, 400, ids.error().to_string());
    if (ids->empty()) return send_error(res, 400, "cannot embed an empty input");
    if (static_cast<int64_t>(ids->size()) > svc.num_ctx()) {
      if (!parsed->truncate) return send_error(res, 400, "the input length exceeds the context length");
      ids->resize(static_cast<size_t>(svc.num_ctx()));
    }
    inputs.push_back(std::move(ids).value());
  }
  Result<sched::EmbeddingResult> out = svc.embed(std::move(inputs));
  if (!out.ok()) return send_error(res, 500, out.error().to_string());
  send_json(res, sched::to_json(*out));
}

void handle_tokenize(Service& svc, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  const auto content = body->find("content");
  if (content == body->end() || !content->is_string())
    return send_error(res, 400, "field \"content\" must be a string");
  bool special = true;
  if (const auto s = body->find("special"); s != body->end() && !s->is_null()) {
    if (!s->is_boolean()) return send_error(res, 400, "field \"special\" must be a boolean");
    special = s->get<bool>();
  }
  if (!require_loaded(svc, res)) return;
  Result<std::vector<int32_t>> ids =
      svc.tokenizer().encode(content->get<std::string>(), {.add_special = false, .parse_special = special});
  if (!ids.ok()) return send_error(res, 400, ids.error().to_string());
  send_json(res, ordered_json{{"tokens", *ids}});
}

void handle_detokenize(Service& svc, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  const auto tokens = body->find("tokens");
  if (tokens == body->end() || !tokens->is_array()) return send_error(res, 400, "field \"tokens\" must be an array");
  if (!require_loaded(svc, res)) return;
  std::vector<int32_t> ids;
  for (const auto& t : *tokens) {
    if (!t.is_number_integer() || !svc.tokenizer().vocab().contains(t.get<int64_t>()))
      return send_error(res, 400, fmt::format("{} is not a token id of this model", t.dump()));
    ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  send_json(res, ordered_json{{"content", svc.tokenizer().decode(ids)}});
}

}  // namespace

int run_runner(const RunnerConfig& config) {
  signal(SIGPIPE, SIG_IGN);  // a client gone mid-stream is a failed write, not a dead runner
  Service svc(config);
  httplib::Server server;
  // httplib owns the queue it gets from this factory (its API takes a raw pointer).
  server.new_task_queue = [] { return new httplib::ThreadPool(kHandlerThreads); };
  std::atomic<int> error_polls{0};
  server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    const sched::RunnerHealth h = svc.health();
    if (h.status == "error") ++error_polls;
    send_json(res, sched::to_json(h));
  });
  server.Get("/status",
             [&](const httplib::Request&, httplib::Response& res) { send_json(res, to_json(svc.status())); });
  server.Post("/completion",
              [&](const httplib::Request& req, httplib::Response& res) { handle_completion(svc, req, res); });
  server.Post("/embedding",
              [&](const httplib::Request& req, httplib::Response& res) { handle_embedding(svc, req, res); });
  server.Post("/tokenize",
              [&](const httplib::Request& req, httplib::Response& res) { handle_tokenize(svc, req, res); });
  server.Post("/detokenize",
              [&](const httplib::Request& req, httplib::Response& res) { handle_detokenize(svc, req, res); });

  const int port = server.bind_to_any_port("127.0.0.1");
  if (port < 0) {
    std::fprintf(stderr, "error: cannot bind a port on 127.0.0.1\n");
    return 1;
  }
  std::printf("CORRAL_RUNNER_PORT %d\n", port);
  std::fflush(stdout);
  svc.start_loading();

  // After a failed load: answer a few health polls (or 2 s), then stop with exit status 1.
  std::atomic<bool> failed{false}, done{false};
  std::thread watchdog([&] {
    while (!done.load()) {
      if (svc.health().status == "error") {
        const auto until = std::chrono::steady_clock::now() + kErrorLinger;
        while (error_polls.load() < kErrorPolls && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        failed = true;
        server.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  server.listen_after_bind();
  done = true;
  watchdog.join();
  return failed.load() ? 1 : 0;
}

}  // namespace corral::runner
