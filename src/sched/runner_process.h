// The real Runner: a `corral runner` child process (fork/exec of the server's own executable)
// spoken to over loopback HTTP. Owns the child: its stdout/stderr reader thread (stderr lines go
// to the log as "runner[<pid>]: ..."), a watcher thread that reaps it, and its termination.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sched/runner.h"

namespace corral::sched {

struct RunnerLaunch {
  std::filesystem::path executable;                      // the server passes /proc/self/exe
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) the server's environment
  std::chrono::nanoseconds load_timeout =
      std::chrono::minutes(5);  // CORRAL_LOAD_TIMEOUT: a load stalled this long fails
};

class RunnerProcess final : public Runner {
 public:
  // Starts the child and waits until its /health says ok. Errors: "model runner for X failed to
  // load: <the runner's error or its exit>", "... timed out ...".
  static Result<std::unique_ptr<Runner>> start(const RunnerLaunch& launch, const LoadSpec& spec,
                                               std::function<void(double progress)> on_progress);
  ~RunnerProcess() override;

  const LoadSpec& spec() const override { return spec_; }
  pid_t pid() const override { return pid_; }
  bool alive() const override;
  std::string exit_description() const override;
  uint64_t memory_bytes() const override { return memory_bytes_; }
  int port() const { return port_; }

  Result<CompletionDone> complete(const CompletionRequest& request,
                                  const std::function<bool(const CompletionPiece&)>& on_piece) override;
  Result<EmbeddingResult> embed(const EmbeddingRequest& request) override;
  Result<std::vector<int32_t>> tokenize(std::string_view text) override;
  Result<std::string> detokenize(std::span<const int32_t> tokens) override;

  RunnerProcess(const RunnerProcess&) = delete;
  RunnerProcess& operator=(const RunnerProcess&) = delete;

 private:
  explicit RunnerProcess(LoadSpec spec) : spec_(std::move(spec)) {}

  Status spawn(const RunnerLaunch& launch);
  Status wait_for_port(std::chrono::nanoseconds timeout);
  Status wait_until_loaded(std::chrono::nanoseconds stall_timeout, const std::function<void(double)>& on_progress);
  void read_output(int out_fd, int err_fd);
  void watch();
  // Waits up to `timeout` for the child to exit; true when it has.
  bool wait_exit(std::chrono::milliseconds timeout) const;
  // An error for a request that failed in transport: names the exit when the child died.
  Error transport_error(const std::string& what, const std::string& during) const;
  Result<nlohmann::ordered_json> post_json(const std::string& path, const nlohmann::ordered_json& body,
                                           const std::string& during) const;
  std::string last_errors() const;

  LoadSpec spec_;
  pid_t pid_ = -1;
  int port_ = 0;
  uint64_t memory_bytes_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool port_seen_ = false;
  bool exited_ = false;
  int wait_status_ = 0;
  std::deque<std::string> error_lines_;  // last lines starting with "error"/"Error" (up to 8 KiB)
  size_t error_bytes_ = 0;

  std::thread reader_;
  std::thread watcher_;
};

}  // namespace corral::sched
