// The runner lifecycle: which runner serves a request, when runners load, reload, expire and are
// evicted, and the bounded queue of requests waiting for one (Ollama's scheduler, spec §5.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "sched/devices.h"
#include "sched/keep_alive.h"
#include "sched/runner.h"

namespace corral::sched {

// Settings from CORRAL_/OLLAMA_ variables; defaults are Ollama's.
struct SchedulerConfig {
  int max_loaded = 3;    // MAX_LOADED_MODELS (0 or unset = 3 × max(#GPUs, 1))
  int max_queue = 512;   // MAX_QUEUE: requests allowed to wait at once
  int num_parallel = 1;  // NUM_PARALLEL (0 = 1): the server's default LoadSpec::num_parallel
  KeepAlive default_keep_alive = kDefaultKeepAlive;  // KEEP_ALIVE (negative = forever)
  std::chrono::nanoseconds load_timeout =
      std::chrono::minutes(5);                  // LOAD_TIMEOUT (≤ 0 = none: max()), for RunnerLaunch
  std::chrono::milliseconds poll_interval{50};  // how often a waiting request polls cancelled()

  // Invalid values are errors naming the variable (`OLLAMA_MAX_QUEUE="0": must be a positive integer`).
  static Result<SchedulerConfig> from_env(const Env& env, size_t gpu_count = 0);
};

// Where a load goes and how big it is, from the estimate and placement for the devices present.
struct LoadPlan {
  uint64_t size = 0;       // bytes on all devices (weights + KV cache + compute), /api/ps "size"
  uint64_t size_vram = 0;  // of which on GPUs, /api/ps "size_vram"
  int64_t layers = 0, layers_on_gpu = 0;
  int64_t num_ctx = 0;  // as used (capped at the training context)
  bool fits_in_ram = true;
  std::string summary;  // one line for the log: where the layers go and why
};
// "100% CPU", "100% GPU", "48%/52% CPU/GPU" (Ollama's ps PROCESSOR column).
std::string processor_string(uint64_t size, uint64_t size_vram);

// Computes the plan for a spec (opens the GGUF: it is mmapped, so this is cheap). When it fails the
// load goes ahead with an empty plan (size 0) whose summary says why.
using Planner = std::function<Result<LoadPlan>(const LoadSpec&)>;
// The real planner: rediscovers the devices (free memory changes) on every load.
Planner device_planner(Env env);

using RunnerFactory = std::function<Result<std::unique_ptr<Runner>>(const LoadSpec&)>;

namespace detail {
struct Core;
struct Entry;
}  // namespace detail

// One slot of one runner, held while a request uses it; the destructor (or release()) gives it
// back. Movable, not copyable. May outlive the Scheduler (the runner is then stopped at release).
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  bool valid() const { return entry_ != nullptr; }
  Runner& runner() const;
  const LoadSpec& spec() const;
  // The runner's keep_alive from release on (sticky, like Ollama: later requests without one keep
  // it). nullopt leaves it as it is.
  void set_keep_alive(std::optional<KeepAlive> keep_alive);
  // The runner misbehaved or died: remove it at release; the next request starts a fresh one.
  void mark_failed();
  void release();

 private:
  friend struct detail::Core;
  Lease(std::shared_ptr<detail::Core> core, std::shared_ptr<detail::Entry> entry);

  std::shared_ptr<detail::Core> core_;
  std::shared_ptr<detail::Entry> entry_;
  std::optional<KeepAlive> keep_alive_;
  bool failed_ = false;
};

// Why acquire failed; the server maps these to HTTP statuses.
enum class AcquireError {
  kNone,
  kQueueFull,   // 503 "server busy, please try again.  maximum pending requests exceeded"
  kCancelled,   // the client went away while waiting (499)
  kLoadFailed,  // the runner failed to start (500, error text from the factory)
  kShutdown,    // the scheduler is being destroyed (503)
};

// Result<Lease> plus the error kind: works with ok()/value()/error() and CORRAL_ASSIGN_OR_RETURN.
class [[nodiscard]] AcquireResult {
 public:
  AcquireResult(Lease lease) : result_(std::move(lease)) {}  // NOLINT: implicit like Result
  AcquireResult(AcquireError kind, Error error) : result_(std::move(error)), kind_(kind) {}

  bool ok() const { return result_.ok(); }
  explicit operator bool() const { return ok(); }
  Lease& value() & { return result_.value(); }
  Lease&& value() && { return std::move(result_).value(); }
  const Error& error() const& { return result_.error(); }
  Error&& error() && { return std::move(result_).error(); }
  AcquireError kind() const { return kind_; }

 private:
  Result<Lease> result_;
  AcquireError kind_ = AcquireError::kNone;
};

inline constexpr std::string_view kQueueFullMessage =
    "server busy, please try again.  maximum pending requests exceeded";
inline constexpr std::string_view kCancelledMessage = "request cancelled while waiting for a model runner";

// For /api/ps and /metrics.
struct LoadedRunner {
  LoadSpec spec;
  pid_t pid = 0;
  int busy = 0;               // leased slots (≤ spec.num_parallel)
  uint64_t memory_bytes = 0;  // what the runner reports
  LoadPlan plan;              // size, size_vram
  std::string processor;      // processor_string(plan.size, plan.size_vram)
  KeepAlive keep_alive{};
  bool forever = false;  // never expires (then expires_at is meaningless)
  // Idle: when the idle timer fires. Busy: now + keep_alive (the timer starts at release).
  std::chrono::system_clock::time_point expires_at;
  std::chrono::system_clock::time_point loaded_at;
};

// Rules (docs/architecture.md, "Runner lifecycle"):
// - a ready, alive runner whose spec equals the request's serves it while it has a free slot;
//   otherwise requests wait, first come first served per model path;
// - the same model_path with another spec: wait until that runner is idle, unload it, load anew;
// - nothing loaded: the requesting thread loads it through the factory, outside the mutex; other
//   requests for that spec wait for that load; a failed load fails all of them;
// - max_loaded runners (loading and stopping ones count): evict the idle runner that expires
//   soonest (forever last); none idle → wait;
// - release starts the idle timer (keep_alive; 0 = unload now; negative = never); a reaper thread
//   stops expired and evicted runners (stopping one can take seconds, so never under the mutex).
class Scheduler {
 public:
  // planner: empty = device_planner(Env()).
  Scheduler(SchedulerConfig config, RunnerFactory factory, Planner planner = {});
  // Fails waiting requests (kShutdown), waits for loads in progress to finish (their runners are
  // stopped), stops idle runners; leased ones stop at their release.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // A slot of a runner with exactly this spec. cancelled() is polled while waiting (every
  // config.poll_interval); a load in progress is not interrupted by it (it finishes and the runner
  // stays loaded for the next request). Errors carry an AcquireError kind.
  AcquireResult acquire(const LoadSpec& spec, const std::function<bool()>& cancelled = {});

  // Unloads the runner of this model now if idle, else when its last lease goes (its keep_alive
  // becomes 0, as Ollama's expireRunner). Nothing loaded is not an error.
  Status unload(const std::filesystem::path& model_path);

  std::vector<LoadedRunner> loaded() const;  // ready runners, in load order
  size_t queue_depth() const;                // requests waiting (for a slot, a load or an eviction)
  const SchedulerConfig& config() const;

 private:
  std::shared_ptr<detail::Core> core_;
};

}  // namespace corral::sched
