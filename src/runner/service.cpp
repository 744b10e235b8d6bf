// The runner's generation thread and request bookkeeping (see service.h).
#include "runner/service.h"

#include <chrono>
#include <cstdio>

#include "base/log.h"
#include "runner/page_in.h"
#include "sampling/logprobs.h"
#include "sampling/stop.h"
#include "tokenizer/stream_decoder.h"

namespace corral::runner {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::ordered_json;

int64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

ordered_json bytes_json(const std::string& s) {
  ordered_json b = ordered_json::array();
  for (char c : s) b.push_back(static_cast<uint8_t>(c));
  return b;
}

ordered_json logprob_json(const Tokenizer& tok, std::span<const float> logits, int32_t token, int32_t top_n) {
  const sampling::TokenLogprob lp = sampling::token_logprob(logits, token, top_n);
  const std::string text = tok.piece(token, true);
  ordered_json j{{"token", text}, {"logprob", lp.logprob}, {"bytes", bytes_json(text)}};
  if (top_n > 0) {
    ordered_json top = ordered_json::array();
    for (const auto& [id, logprob] : lp.top) {
      const std::string t = tok.piece(id, true);
      top.push_back(ordered_json{{"token", t}, {"logprob", logprob}, {"bytes", bytes_json(t)}});
    }
    j["top_logprobs"] = std::move(top);
  }
  return j;
}

}  // namespace

void Channel::push(std::string line) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  cv_.notify_all();
}

void Channel::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::optional<std::string> Channel::pop() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return closed_ || !lines_.empty(); });
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

// One completion in a Generator slot: its stream state and counters.
struct Service::Active {
  Active(std::shared_ptr<CompletionJob> j, const Tokenizer& tok)
      : job(std::move(j)), decoder(tok), stops(job->request.options.stop) {}

  std::shared_ptr<CompletionJob> job;
  StreamDecoder decoder;
  sampling::StopMatcher stops;
  ordered_json pending_logprobs = ordered_json::array();  // of tokens whose text is held back
  std::string reason;                                     // set when the request ends itself
  std::string error;                                      // set when it cannot go on (no token fits the grammar)
  int64_t generated = 0;
  Clock::time_point started, first_token;
  std::vector<int32_t> context;

  void send_piece(std::string text) {
    sched::CompletionPiece piece{std::move(text), nullptr};
    if (!pending_logprobs.empty()) piece.logprobs = std::exchange(pending_logprobs, ordered_json::array());
    job->channel->push(sched::to_json(piece).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
};

Service::Service(RunnerConfig config) : config_(std::move(config)) {}

Service::~Service() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Service::start_loading() {
  worker_ = std::thread([this] { run(); });
}

void Service::run() {
  const Status st = load();
  {
    std::lock_guard lock(mutex_);
    if (!st.ok()) {
      state_ = "error";
      load_error_ = st.error().to_string();
    } else {
      state_ = "ok";
    }
  }
  if (!st.ok()) {
    // A plain "error ..." line: the server keeps those for the runner's exit message.
    std::fprintf(stderr, "error loading model: %s\n", st.error().to_string().c_str());
    fail_all(st.error().to_string());
    return;
  }
  LOG_INFO("model loaded: {} (KV cache {} bytes, workspace {} bytes)", config_.model.string(), engine_->kv_bytes(),
           engine_->workspace_bytes());
  generation_loop();
}

// Progress: the file parsed and the engine built (mapped weights, KV cache) is 5%; paging the
// weights in is the rest up to 95%; the tokenizer takes a moment after.
Status Service::load() {
  CORRAL_ASSIGN_OR_RETURN(engine_, engine::Engine::load(config_.model, config_.engine));
  progress_ = 0.05;
  page_in(engine_->file(), [this](double done) { progress_ = 0.05 + 0.9 * done; });
  CORRAL_ASSIGN_OR_RETURN(tokenizer_,
                          Tokenizer::from_metadata(engine_->file().metadata()).with_context("reading the tokenizer"));
  generator_ = std::make_unique<engine::Generator>(*engine_);
  active_.resize(static_cast<size_t>(config_.engine.num_parallel));
  return {};
}

sched::RunnerHealth Service::health() const {
  std::lock_guard lock(mutex_);
  return sched::RunnerHealth{state_, state_ == "ok" ? 1.0 : progress_.load(), load_error_};
}

sched::RunnerStatus Service::status() const {
  sched::RunnerStatus s;
  s.slots_busy = busy_.load();
  s.num_parallel = config_.engine.num_parallel;
  std::lock_guard lock(mutex_);
  if (state_ == "ok") {
    s.kv_bytes = engine_->kv_bytes();
    s.workspace_bytes = engine_->workspace_bytes();
  }
  return s;
}

Result<std::unique_ptr<sampling::TokenConstraint>> Service::make_constraint(std::string_view grammar) {
  CORRAL_ASSIGN_OR_RETURN(std::shared_ptr<const sampling::Grammar> g, sampling::parse_grammar(grammar));
  std::call_once(trie_once_, [this] {
    const auto t0 = Clock::now();
    trie_ = sampling::make_token_trie(*tokenizer_);
    LOG_INFO("token trie: {} tokens, {} nodes in {:.1f} ms", trie_->vocab_size(), trie_->node_count(),
             static_cast<double>(ns_between(t0, Clock::now())) / 1e6);
  });
  return std::unique_ptr<sampling::TokenConstraint>(std::make_unique<sampling::GrammarConstraint>(std::move(g), trie_));
}

void Service::submit(CompletionJob job) {
  {
    std::lock_guard lock(mutex_);
    if (state_ != "error" && !stopping_) {
      queue_.emplace_back(std::make_shared<CompletionJob>(std::move(job)));
      cv_.notify_all();
      return;
    }
  }
  job.channel->push(ordered_json{{"error", "the model failed to load"}}.dump());
  job.channel->close();
}

Result<sched::EmbeddingResult> Service::embed(std::vector<std::vector<int32_t>> inputs) {
  auto job = std::make_shared<EmbeddingJob>();
  job->inputs = std::move(inputs);
  {
    std::lock_guard lock(mutex_);
    if (state_ == "error" || stopping_) return Error("the model failed to load");
    queue_.emplace_back(job);
  }
  cv_.notify_all();
  std::unique_lock lock(job->mutex);
  job->cv.wait(lock, [&] { return job->result.has_value(); });
  return std::move(*job->result);
}

void Service::generation_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [&] {
      return stopping_ || generator_->busy() || (!queue_.empty() && generator_->free_slot().has_value());
    });
    if (stopping_) break;
    admit(lock);
    if (!generator_->busy()) continue;
    lock.unlock();
    if (const Status st = generator_->step(); !st.ok()) {
      LOG_WARN("error while generating: {}", st.error().to_string());
      fail_all(st.error().to_string());
    }
    collect_finished();
    lock.lock();
  }
  lock.unlock();
  fail_all("the runner is shutting down");
}

void Service::admit(std::unique_lock<std::mutex>& lock) {
  while (!queue_.empty()) {
    const std::optional<int32_t> slot = generator_->free_slot();
    if (!slot) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    if (auto* c = std::get_if<std::shared_ptr<CompletionJob>>(&job)) {
      start_completion(std::move(*c));
      continue;
    }
    auto e = std::get<std::shared_ptr<EmbeddingJob>>(std::move(job));
    lock.unlock();
    run_embedding(*e, *slot);
    lock.lock();
  }
}

void Service::start_completion(std::shared_ptr<CompletionJob> job) {
  auto active = std::make_unique<Active>(job, *tokenizer_);
  Active* a = active.get();
  a->started = Clock::now();
  if (job->request.return_context) a->context = job->prompt;
  engine::Request req;
  req.prompt = job->prompt;
  req.options = job->request.options;
  req.num_keep = job->num_keep;
  req.cancel = &job->channel->cancel;
  req.constraint = std::move(job->constraint);
  req.on_error = [a](const Error& e) { a->error = e.to_string(); };
  const bool want_logprobs = job->request.logprobs || job->request.options.top_logprobs > 0;
  req.on_token = [this, a, want_logprobs](int32_t token, std::span<const float> logits) {
    if (a->generated++ == 0) a->first_token = Clock::now();
    if (tokenizer_->is_eog(token)) {
      a->reason = "stop";
      return false;
    }
    if (a->job->request.return_context) a->context.push_back(token);
    if (want_logprobs)
      a->pending_logprobs.push_back(logprob_json(*tokenizer_, logits, token, a->job->request.options.top_logprobs));
    std::string text = a->stops.push(a->decoder.push(token));
    if (!text.empty()) a->send_piece(std::move(text));
    if (a->stops.stopped()) {
      a->reason = "stop";
      return false;
    }
    if (!a->job->request.shift && static_cast<int64_t>(a->job->prompt.size()) + a->generated >= num_ctx()) {
      a->reason = "length";
      return false;
    }
    return !a->job->channel->cancel.load();
  };
  Result<int32_t> slot = generator_->add(std::move(req));
  if (!slot.ok()) {
    job->channel->push(ordered_json{{"error", slot.error().to_string()}}.dump());
    job->channel->close();
    return;
  }
  ++busy_;
  active_[*slot] = std::move(active);
}

void Service::run_embedding(EmbeddingJob& job, int32_t slot) {
  ++busy_;
  sched::EmbeddingResult out;
  Result<sched::EmbeddingResult> result = out;
  for (const auto& tokens : job.inputs) {
    Result<std::vector<float>> e = engine_->embed(slot, tokens);
    if (!e.ok()) {
      result = std::move(e).error();
      break;
    }
    result->embeddings.push_back(std::move(e).value());
    result->prompt_eval_count += static_cast<int64_t>(tokens.size());
  }
  --busy_;
  {
    std::lock_guard lock(job.mutex);
    job.result = std::move(result);
  }
  job.cv.notify_all();
}

void Service::collect_finished() {
  for (size_t s = 0; s < active_.size(); ++s) {
    if (!active_[s] || generator_->active(static_cast<int32_t>(s))) continue;
    std::unique_ptr<Active> a = std::move(active_[s]);
    --busy_;
    Channel& ch = *a->job->channel;
    if (ch.cancel.load() && a->reason.empty()) {  // the client is gone
      ch.close();
      continue;
    }
    if (!a->error.empty()) {
      ch.push(ordered_json{{"error", a->error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      ch.close();
      continue;
    }
    if (!a->stops.stopped()) {
      std::string rest = a->stops.push(a->decoder.flush());
      if (!a->stops.stopped()) rest += a->stops.flush();
      if (!rest.empty()) a->send_piece(std::move(rest));
    }
    const auto now = Clock::now();
    sched::CompletionDone done;
    done.done_reason = a->reason.empty() ? "length" : a->reason;
    done.prompt_eval_count = static_cast<int64_t>(a->job->prompt.size());
    const auto first = a->generated > 0 ? a->first_token : now;
    done.prompt_eval_duration_ns = ns_between(a->started, first);
    done.eval_count = a->generated;
    done.eval_duration_ns = ns_between(first, now);
    done.context = std::move(a->context);
    ch.push(sched::to_json(done).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    ch.close();
  }
}

void Service::fail_all(const std::string& message) {
  if (generator_) generator_->drop_all();
  for (auto& a : active_) {
    if (!a) continue;
    a->job->channel->push(ordered_json{{"error", message}}.dump());
    a->job->channel->close();
    a.reset();
    --busy_;
  }
  std::deque<Job> queued;
  {
    std::lock_guard lock(mutex_);
    queued.swap(queue_);
  }
  for (Job& job : queued) {
    if (auto* c = std::get_if<std::shared_ptr<CompletionJob>>(&job)) {
      (*c)->channel->push(ordered_json{{"error", message}}.dump());
      (*c)->channel->close();
    } else {
      auto& e = *std::get<std::shared_ptr<EmbeddingJob>>(job);
      {
        std::lock_guard lock(e.mutex);
        e.result = Error(message);
      }
      e.cv.notify_all();
    }
  }
}

}  // namespace corral::runner
