// The server's view of one loaded model: a runner child process (RunnerProcess) in production,
// a fake in the scheduler's tests. The scheduler owns runners; requests borrow them via a Lease.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sched/runner_protocol.h"

namespace corral::sched {

// What decides how a runner loads; requests whose specs are equal share one runner. A request for
// the same model_path with another spec makes the scheduler reload it.
struct LoadSpec {
  std::string model_name;            // for messages: "model runner for llama3:latest exited ..."
  std::filesystem::path model_path;  // the GGUF blob
  int64_t num_ctx = 4096;
  int64_t num_batch = 512;
  int32_t num_parallel = 1;
  int32_t num_gpu = -1;  // -1 auto, 0 CPU only, N at most N layers
  int32_t num_thread = 0;  // 0 = physical cores
  std::string kv_type = "f16";
  bool embedding = false;
  bool operator==(const LoadSpec&) const = default;
};

class Runner {
 public:
  virtual ~Runner() = default;  // stops the child (SIGTERM, then SIGKILL after 2 s) and reaps it

  virtual const LoadSpec& spec() const = 0;
  virtual pid_t pid() const = 0;
  virtual bool alive() const = 0;
  // "exited (signal 9)", "exited with status 1: <last error line>"; empty while alive.
  virtual std::string exit_description() const = 0;
  // Resident memory the runner uses for the model (weights + KV cache + workspace), for ps.
  virtual uint64_t memory_bytes() const = 0;

  // Streams pieces to on_piece; on_piece returning false cancels the sequence (the connection is
  // closed; the runner drops it before its next decode step). When the child dies mid-stream the
  // error reads "model runner for <name> exited (signal 9) while generating".
  virtual Result<CompletionDone> complete(const CompletionRequest& request,
                                          const std::function<bool(const CompletionPiece&)>& on_piece) = 0;
  virtual Result<EmbeddingResult> embed(const EmbeddingRequest& request) = 0;
  virtual Result<std::vector<int32_t>> tokenize(std::string_view text) = 0;
  virtual Result<std::string> detokenize(std::span<const int32_t> tokens) = 0;
};

}  // namespace corral::sched
