// The state of one runner child: the model loading in the background, then one generation thread
// that owns the Engine and drives engine::Generator (continuous batching over num_parallel slots).
// HTTP handler threads (routes.cpp) validate and tokenize requests, hand them over through a FIFO
// queue and read the streamed lines back from a per-request Channel.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "engine/generator.h"
#include "sampling/constraint.h"
#include "sched/runner_protocol.h"
#include "tokenizer/tokenizer.h"

namespace corral::runner {

struct RunnerConfig {
  std::filesystem::path model;
  engine::EngineOptions engine;
  bool embedding = false;
};

// Lines of one streamed answer, from the generation thread to the handler thread that writes
// them. `cancel` goes the other way: the client is gone, drop the sequence.
class Channel {
 public:
  void push(std::string line);
  void close();
  // Waits for the next line; nullopt once closed and drained.
  std::optional<std::string> pop();
  std::atomic<bool> cancel{false};

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

// A completion ready to run: tokens checked against the context, options final.
struct CompletionJob {
  std::vector<int32_t> prompt;
  sched::CompletionRequest request;
  int32_t num_keep = 0;
  std::unique_ptr<sampling::TokenConstraint> constraint;  // from request.grammar, or null
  std::shared_ptr<Channel> channel;
};

// Embeddings to compute, one per input (already truncated); the result or the error comes back
// through `done`.
struct EmbeddingJob {
  std::vector<std::vector<int32_t>> inputs;
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<Result<sched::EmbeddingResult>> result;
};

class Service {
 public:
  explicit Service(RunnerConfig config);
  ~Service();  // stops the generation thread
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Loads the model on a background thread; health() reports the progress.
  void start_loading();
  sched::RunnerHealth health() const;
  sched::RunnerStatus status() const;
  const RunnerConfig& config() const { return config_; }

  // Valid once health().status == "ok".
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  int64_t num_ctx() const { return config_.engine.num_ctx; }

  // The constraint a request's GBNF grammar imposes (an error for a grammar that does not parse).
  // The model's token trie is built on the first call and shared by all.
  Result<std::unique_ptr<sampling::TokenConstraint>> make_constraint(std::string_view grammar);

  void submit(CompletionJob job);
  Result<sched::EmbeddingResult> embed(std::vector<std::vector<int32_t>> inputs);

 private:
  struct Active;  // a completion in a Generator slot
  using Job = std::variant<std::shared_ptr<CompletionJob>, std::shared_ptr<EmbeddingJob>>;

  // The worker thread: load, then serve until stopped.
  void run();
  Status load();
  void generation_loop();
  // Moves queued jobs into free slots, FIFO; false when the front job must wait.
  void admit(std::unique_lock<std::mutex>& lock);
  void start_completion(std::shared_ptr<CompletionJob> job);
  void run_embedding(EmbeddingJob& job, int32_t slot);
  // After a step: completions whose slot is free again are finished (final line, channel closed).
  void collect_finished();
  void fail_all(const std::string& message);

  RunnerConfig config_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<engine::Generator> generator_;
  std::once_flag trie_once_;
  std::shared_ptr<const sampling::TokenTrie> trie_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string state_ = "loading";  // "loading" | "ok" | "error"
  std::string load_error_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> busy_{0};
  std::atomic<double> progress_{0.0};  // of the load, for /health

  std::vector<std::unique_ptr<Active>> active_;  // by slot; generation thread only
  std::thread worker_;
};

}  // namespace corral::runner
