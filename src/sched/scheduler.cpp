// The scheduler: one mutex guards the runner table and the FIFO of waiting requests; dispatch()
// hands out slots, starts loads and picks evictions whenever something changes; loads run on the
// requesting thread and runner shutdowns on the reaper thread, both outside the mutex.
#include "sched/scheduler.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <tuple>

#include "base/check.h"
#include "base/log.h"
#include "base/units.h"
#include "gguf/file.h"
#include "sched/estimate.h"
#include "sched/placement.h"

namespace corral::sched {
namespace detail {

using Clock = std::chrono::steady_clock;

struct Entry {
  enum class State { kLoading, kReady, kStopping };
  LoadSpec spec;
  State state = State::kLoading;
  std::unique_ptr<Runner> runner;
  int busy = 0;
  bool failed = false;  // drop at release (marked by a lease, or found dead)
  KeepAlive keep_alive{};
  std::optional<Clock::time_point> deadline;  // set while idle with a finite keep_alive
  LoadPlan plan;
  std::chrono::system_clock::time_point loaded_at;
  uint64_t seq = 0;
  std::string stop_reason;

  int slots() const { return std::max(1, spec.num_parallel); }
};

struct Waiter {
  enum class State { kWaiting, kGranted, kLoad, kFailed };
  const LoadSpec* spec = nullptr;
  State state = State::kWaiting;
  std::shared_ptr<Entry> entry;
  AcquireError kind = AcquireError::kNone;
  std::optional<Error> error;
};

struct Core : std::enable_shared_from_this<Core> {
  SchedulerConfig config;
  RunnerFactory factory;
  Planner planner;

  mutable std::mutex mu;
  std::condition_variable waiters_cv;           // a waiter's state may have changed
  std::condition_variable reaper_cv;            // a runner must stop, or an idle timer changed
  std::vector<std::shared_ptr<Entry>> entries;  // load order; loading and stopping ones included
  std::list<Waiter*> waiters;                   // FIFO
  std::vector<std::shared_ptr<Entry>> to_stop;  // stopping entries not yet handled
  size_t pending = 0;                           // requests inside acquire() without a slot yet
  size_t loading = 0;                           // factory calls in progress
  std::condition_variable loads_cv;             // `loading` dropped
  uint64_t next_seq = 0;
  bool shutdown = false;
  bool reaper_running = true;
  std::thread reaper_thread;

  AcquireResult acquire(const LoadSpec& spec, const std::function<bool()>& cancelled);
  AcquireResult load(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry);
  void release(const std::shared_ptr<Entry>& entry, std::optional<KeepAlive> keep_alive, bool failed);
  void reap();
  void stop_all();

  void dispatch();
  bool decide(Waiter& w, size_t& capacity_waiters);
  std::shared_ptr<Entry> live_entry(const std::filesystem::path& path) const;
  bool stopping_for(const std::filesystem::path& path) const;
  std::shared_ptr<Entry> grantable(const LoadSpec& spec) const;
  std::shared_ptr<Entry> eviction_candidate() const;
  void go_idle(const std::shared_ptr<Entry>& e);
  void start_stop(const std::shared_ptr<Entry>& e, std::string reason);
  void stop_inline(std::unique_lock<std::mutex>& lock);
  void erase(const std::shared_ptr<Entry>& e);
  Lease lease(const std::shared_ptr<Entry>& e) { return Lease(shared_from_this(), e); }
};

std::shared_ptr<Entry> Core::live_entry(const std::filesystem::path& path) const {
  for (const auto& e : entries)
    if (e->state != Entry::State::kStopping && e->spec.model_path == path) return e;
  return nullptr;
}

bool Core::stopping_for(const std::filesystem::path& path) const {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const auto& e) { return e->state == Entry::State::kStopping && e->spec.model_path == path; });
}

// A ready, healthy runner with this exact spec and a free slot.
std::shared_ptr<Entry> Core::grantable(const LoadSpec& spec) const {
  std::shared_ptr<Entry> e = live_entry(spec.model_path);
  if (!e || e->state != Entry::State::kReady || e->failed || !(e->spec == spec)) return nullptr;
  if (e->busy >= e->slots() || !e->runner->alive()) return nullptr;
  return e;
}

// The idle runner to evict: a dead one first, then the one whose timer fires soonest (forever last),
// then the oldest.
std::shared_ptr<Entry> Core::eviction_candidate() const {
  std::shared_ptr<Entry> best;
  auto key = [](const Entry& e) {
    return std::make_tuple(e.runner->alive() ? 1 : 0, e.deadline ? 0 : 1, e.deadline.value_or(Clock::time_point{}),
                           e.seq);
  };
  for (const auto& e : entries) {
    if (e->state != Entry::State::kReady || e->busy > 0) continue;
    if (!best || key(*e) < key(*best)) best = e;
  }
  return best;
}

void Core::start_stop(const std::shared_ptr<Entry>& e, std::string reason) {
  e->state = Entry::State::kStopping;
  e->deadline.reset();
  e->stop_reason = std::move(reason);
  to_stop.push_back(e);
  reaper_cv.notify_all();
}

void Core::erase(const std::shared_ptr<Entry>& e) {
  std::erase(entries, e);
}

// Stops what is in to_stop on this thread (after the reaper has exited, at shutdown).
void Core::stop_inline(std::unique_lock<std::mutex>& lock) {
  while (!reaper_running && !to_stop.empty()) {
    std::shared_ptr<Entry> e = std::move(to_stop.back());
    to_stop.pop_back();
    std::unique_ptr<Runner> runner = std::move(e->runner);
    lock.unlock();
    runner.reset();
    lock.lock();
    erase(e);
  }
}

void Core::go_idle(const std::shared_ptr<Entry>& e) {
  if (shutdown) return start_stop(e, "server shutting down");
  if (e->failed) return start_stop(e, "the runner failed");
  if (!e->runner->alive()) return start_stop(e, "the runner " + e->runner->exit_description());
  if (e->keep_alive.count() == 0) return start_stop(e, "keep_alive 0");
  if (is_forever(e->keep_alive)) {
    e->deadline.reset();
  } else {
    e->deadline = Clock::now() + e->keep_alive;
    reaper_cv.notify_all();
  }
}

// Decides for one waiter; false = it keeps waiting. capacity_waiters counts earlier waiters that
// wait for a free place in the table, so that each eviction serves one of them.
bool Core::decide(Waiter& w, size_t& capacity_waiters) {
  const LoadSpec& spec = *w.spec;
  if (stopping_for(spec.model_path)) return false;  // never run two processes of one model
  if (std::shared_ptr<Entry> e = live_entry(spec.model_path)) {
    if (e->state == Entry::State::kLoading) return false;
    const bool same = e->spec == spec;
    if (same && !e->failed && e->runner->alive()) {
      if (e->busy >= e->slots()) return false;
      ++e->busy;
      e->deadline.reset();
      w.state = Waiter::State::kGranted;
      w.entry = e;
      return true;
    }
    // Another spec, or a failed/dead runner: replace it once its leases are gone.
    if (same && !e->runner->alive()) e->failed = true;
    if (e->busy == 0) {
      start_stop(e, same ? "the runner " +
                               (e->failed && e->runner->alive() ? std::string("failed") : e->runner->exit_description())
                         : "a request needs other load options");
    }
    return false;
  }
  const size_t max_loaded = static_cast<size_t>(std::max(1, config.max_loaded));
  if (entries.size() < max_loaded) {
    auto e = std::make_shared<Entry>();
    e->spec = spec;
    e->busy = 1;  // the loading request's slot
    e->keep_alive = config.default_keep_alive;
    e->seq = next_seq++;
    entries.push_back(e);
    w.state = Waiter::State::kLoad;
    w.entry = std::move(e);
    return true;
  }
  const size_t stopping = static_cast<size_t>(
      std::count_if(entries.begin(), entries.end(), [](const auto& e) { return e->state == Entry::State::kStopping; }));
  if (stopping <= capacity_waiters) {
    if (std::shared_ptr<Entry> victim = eviction_candidate()) {
      start_stop(victim,
                 fmt::format("evicted to make room for {} (max loaded models {})", spec.model_name, max_loaded));
    }
  }
  ++capacity_waiters;
  return false;
}

void Core::dispatch() {
  if (shutdown) return;
  std::vector<const std::filesystem::path*> blocked;  // FIFO per model: later requests wait behind
  size_t capacity_waiters = 0;
  bool changed = false;
  for (auto it = waiters.begin(); it != waiters.end();) {
    Waiter& w = **it;
    const std::filesystem::path& path = w.spec->model_path;
    const bool is_blocked = std::any_of(blocked.begin(), blocked.end(), [&](const auto* p) { return *p == path; });
    if (!is_blocked && decide(w, capacity_waiters)) {
      it = waiters.erase(it);
      changed = true;
      continue;
    }
    if (!is_blocked) blocked.push_back(&path);
    ++it;
  }
  if (changed) waiters_cv.notify_all();
}

AcquireResult Core::acquire(const LoadSpec& spec, const std::function<bool()>& cancelled) {
  std::unique_lock lock(mu);
  if (shutdown) return {AcquireError::kShutdown, Error("the server is shutting down")};
  const bool queued_for_model = std::any_of(waiters.begin(), waiters.end(),
                                            [&](const Waiter* w) { return w->spec->model_path == spec.model_path; });
  if (!queued_for_model) {
    if (std::shared_ptr<Entry> e = grantable(spec)) {
      ++e->busy;
      e->deadline.reset();
      return lease(e);
    }
  }
  if (pending >= static_cast<size_t>(std::max(0, config.max_queue))) {
    return {AcquireError::kQueueFull, Error(std::string(kQueueFullMessage))};
  }
  Waiter w;
  w.spec = &spec;
  waiters.push_back(&w);
  ++pending;
  dispatch();
  while (true) {
    switch (w.state) {
      case Waiter::State::kGranted: --pending; return lease(w.entry);
      case Waiter::State::kFailed: --pending; return {w.kind, std::move(*w.error)};
      case Waiter::State::kLoad: return load(lock, w.entry);
      case Waiter::State::kWaiting: break;
    }
    if (cancelled) {
      lock.unlock();
      const bool stop = cancelled();
      lock.lock();
      if (stop && w.state == Waiter::State::kWaiting) {
        std::erase(waiters, &w);
        --pending;
        dispatch();  // it may have blocked later requests for its model
        return {AcquireError::kCancelled, Error(std::string(kCancelledMessage))};
      }
      if (w.state == Waiter::State::kWaiting) waiters_cv.wait_for(lock, config.poll_interval);
    } else {
      waiters_cv.wait(lock);
    }
  }
}

AcquireResult Core::load(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry) {
  const LoadSpec spec = entry->spec;
  ++loading;
  lock.unlock();
  LoadPlan plan;
  if (planner) {
    Result<LoadPlan> p = planner(spec);
    if (p.ok())
      plan = std::move(*p);
    else
      plan.summary = "no memory plan: " + p.error().to_string();
  }
  LOG_INFO("loading model={} path={} num_ctx={} num_parallel={} num_batch={} kv_type={}: {}", spec.model_name,
           spec.model_path.string(), spec.num_ctx, spec.num_parallel, spec.num_batch, spec.kv_type, plan.summary);
  if (!plan.fits_in_ram) {
    LOG_WARN("model={}: the plan does not fit in free system memory; loading anyway (the weights are mmapped)",
             spec.model_name);
  }
  const auto start = Clock::now();
  Result<std::unique_ptr<Runner>> made = factory(spec);
  if (made.ok() && !*made) made = Error("the runner factory returned no runner");
  lock.lock();
  --pending;
  struct LoadDone {  // at return, after a runner loaded during shutdown was stopped
    Core& core;
    ~LoadDone() {
      --core.loading;
      core.loads_cv.notify_all();
    }
  } done{*this};
  if (!made.ok()) {
    Error error = std::move(made).error();
    LOG_ERROR("model={}: load failed: {}", spec.model_name, error.to_string());
    erase(entry);
    for (auto it = waiters.begin(); it != waiters.end();) {
      if (!(*(*it)->spec == spec)) {
        ++it;
        continue;
      }
      (*it)->state = Waiter::State::kFailed;
      (*it)->kind = AcquireError::kLoadFailed;
      (*it)->error = error;
      it = waiters.erase(it);
    }
    dispatch();
    waiters_cv.notify_all();
    return {AcquireError::kLoadFailed, std::move(error)};
  }
  entry->runner = std::move(*made);
  entry->plan = std::move(plan);
  entry->loaded_at = std::chrono::system_clock::now();
  entry->state = Entry::State::kReady;
  LOG_INFO("model={} loaded pid={} in {}", spec.model_name, entry->runner->pid(),
           format_duration(Clock::now() - start));
  if (shutdown) {
    entry->busy = 0;
    start_stop(entry, "server shutting down");
    stop_inline(lock);
    return {AcquireError::kShutdown, Error("the server is shutting down")};
  }
  dispatch();  // requests that waited for this load get the other slots
  return lease(entry);
}

void Core::release(const std::shared_ptr<Entry>& entry, std::optional<KeepAlive> keep_alive, bool failed) {
  std::unique_lock lock(mu);
  if (keep_alive) entry->keep_alive = *keep_alive;
  if (failed) entry->failed = true;
  CORRAL_CHECK(entry->busy > 0, "lease released twice");
  if (--entry->busy == 0 && entry->state == Entry::State::kReady) go_idle(entry);
  dispatch();
  stop_inline(lock);
}

// Stops runners handed over by start_stop() and expires idle ones; sleeps until the next deadline.
void Core::reap() {
  std::unique_lock lock(mu);
  while (true) {
    if (!to_stop.empty()) {
      std::shared_ptr<Entry> e = std::move(to_stop.back());
      to_stop.pop_back();
      std::unique_ptr<Runner> runner = std::move(e->runner);
      lock.unlock();
      if (runner) LOG_INFO("unloading model={} pid={}: {}", e->spec.model_name, runner->pid(), e->stop_reason);
      runner.reset();
      lock.lock();
      erase(e);
      dispatch();
      waiters_cv.notify_all();
      continue;
    }
    if (shutdown) break;
    const auto now = Clock::now();
    std::optional<Clock::time_point> next;
    for (const auto& e : entries) {
      if (e->state != Entry::State::kReady || e->busy > 0 || !e->deadline) continue;
      if (*e->deadline <= now) {
        start_stop(e, fmt::format("idle for keep_alive {}", format_keep_alive(e->keep_alive)));
      } else if (!next || *e->deadline < *next) {
        next = e->deadline;
      }
    }
    if (!to_stop.empty()) continue;
    if (next)
      reaper_cv.wait_until(lock, *next);
    else
      reaper_cv.wait(lock);
  }
  reaper_running = false;
}

void Core::stop_all() {
  std::unique_lock lock(mu);
  shutdown = true;
  for (Waiter* w : waiters) {
    w->state = Waiter::State::kFailed;
    w->kind = AcquireError::kShutdown;
    w->error = Error("the server is shutting down");
  }
  waiters.clear();
  for (const auto& e : entries)
    if (e->state == Entry::State::kReady && e->busy == 0) start_stop(e, "server shutting down");
  waiters_cv.notify_all();
  reaper_cv.notify_all();
}

}  // namespace detail

// ---- Lease ----

Lease::Lease(std::shared_ptr<detail::Core> core, std::shared_ptr<detail::Entry> entry)
    : core_(std::move(core)), entry_(std::move(entry)) {}

Lease::Lease(Lease&& other) noexcept
    : core_(std::move(other.core_)),
      entry_(std::move(other.entry_)),
      keep_alive_(other.keep_alive_),
      failed_(other.failed_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    entry_ = std::move(other.entry_);
    keep_alive_ = other.keep_alive_;
    failed_ = other.failed_;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

Runner& Lease::runner() const {
  CORRAL_CHECK(entry_ != nullptr, "runner() on an empty lease");
  return *entry_->runner;
}

const LoadSpec& Lease::spec() const {
  CORRAL_CHECK(entry_ != nullptr, "spec() on an empty lease");
  return entry_->spec;
}

void Lease::set_keep_alive(std::optional<KeepAlive> keep_alive) {
  if (keep_alive) keep_alive_ = keep_alive;
}

void Lease::mark_failed() {
  failed_ = true;
}

void Lease::release() {
  if (!entry_) return;
  core_->release(entry_, keep_alive_, failed_);
  entry_.reset();
  core_.reset();
}

// ---- Scheduler ----

Scheduler::Scheduler(SchedulerConfig config, RunnerFactory factory, Planner planner)
    : core_(std::make_shared<detail::Core>()) {
  core_->config = std::move(config);
  core_->factory = std::move(factory);
  core_->planner = planner ? std::move(planner) : device_planner(Env());
  core_->reaper_thread = std::thread([core = core_.get()] { core->reap(); });
}

Scheduler::~Scheduler() {
  core_->stop_all();
  {
    // The factory and planner may refer to objects that die with the caller: wait for loads.
    std::unique_lock lock(core_->mu);
    core_->loads_cv.wait(lock, [&] { return core_->loading == 0; });
  }
  core_->reaper_thread.join();
}

AcquireResult Scheduler::acquire(const LoadSpec& spec, const std::function<bool()>& cancelled) {
  std::shared_ptr<detail::Core> core = core_;  // keeps the state alive for the whole call
  return core->acquire(spec, cancelled);
}

Status Scheduler::unload(const std::filesystem::path& model_path) {
  std::unique_lock lock(core_->mu);
  std::shared_ptr<detail::Entry> e = core_->live_entry(model_path);
  if (!e) return {};
  e->keep_alive = KeepAlive(0);  // Ollama's expireRunner: the next release unloads it
  if (e->state == detail::Entry::State::kReady && e->busy == 0) {
    core_->start_stop(e, "unload requested");
    core_->dispatch();
  }
  return {};
}

std::vector<LoadedRunner> Scheduler::loaded() const {
  std::unique_lock lock(core_->mu);
  const auto steady_now = detail::Clock::now();
  const auto system_now = std::chrono::system_clock::now();
  std::vector<LoadedRunner> out;
  for (const auto& e : core_->entries) {
    if (e->state != detail::Entry::State::kReady) continue;
    LoadedRunner r;
    r.spec = e->spec;
    r.pid = e->runner->pid();
    r.busy = e->busy;
    r.memory_bytes = e->runner->memory_bytes();
    r.plan = e->plan;
    r.processor = processor_string(e->plan.size, e->plan.size_vram);
    r.keep_alive = e->keep_alive;
    r.forever = is_forever(e->keep_alive);
    if (!r.forever) {
      const auto left = e->deadline ? *e->deadline - steady_now : detail::Clock::duration(e->keep_alive);
      r.expires_at = system_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
    }
    r.loaded_at = e->loaded_at;
    out.push_back(std::move(r));
  }
  return out;
}

size_t Scheduler::queue_depth() const {
  std::unique_lock lock(core_->mu);
  return core_->pending;
}

const SchedulerConfig& Scheduler::config() const {
  return core_->config;
}

// ---- configuration and planning ----

Result<SchedulerConfig> SchedulerConfig::from_env(const Env& env, size_t gpu_count) {
  SchedulerConfig c;
  CORRAL_ASSIGN_OR_RETURN(c.default_keep_alive, keep_alive_from_env(env));
  auto positive = [&](std::string_view key, long long fallback, bool zero_is_default) -> Result<int> {
    CORRAL_ASSIGN_OR_RETURN(long long v, env.get_int(key, fallback));
    if (v == 0 && zero_is_default) v = fallback;
    if (v <= 0 || v > 1000000) {
      return Error::format("{}={:?}: must be a positive integer", env.get(key)->name, env.get(key)->value);
    }
    return static_cast<int>(v);
  };
  CORRAL_ASSIGN_OR_RETURN(
      c.max_loaded, positive("MAX_LOADED_MODELS", 3 * static_cast<long long>(std::max<size_t>(gpu_count, 1)), true));
  CORRAL_ASSIGN_OR_RETURN(c.max_queue, positive("MAX_QUEUE", 512, false));
  CORRAL_ASSIGN_OR_RETURN(c.num_parallel, positive("NUM_PARALLEL", 1, true));
  if (const std::optional<EnvValue> v = env.get("LOAD_TIMEOUT")) {
    Result<std::chrono::nanoseconds> d = parse_duration(v->value);
    if (!d.ok()) return Error::format("{}={:?}: {}", v->name, v->value, d.error().message());
    c.load_timeout = d->count() <= 0 ? std::chrono::nanoseconds::max() : *d;
  }
  return c;
}

std::string processor_string(uint64_t size, uint64_t size_vram) {
  if (size_vram == 0) return "100% CPU";
  if (size_vram == size) return "100% GPU";
  if (size_vram > size || size == 0) return "Unknown";
  const double cpu = std::round(static_cast<double>(size - size_vram) / static_cast<double>(size) * 100.0);
  return fmt::format("{}%/{}% CPU/GPU", static_cast<int>(cpu), 100 - static_cast<int>(cpu));
}

Planner device_planner(Env env) {
  return [env = std::move(env)](const LoadSpec& spec) -> Result<LoadPlan> {
    CORRAL_ASSIGN_OR_RETURN(const GgufFile file, GgufFile::open(spec.model_path));
    CORRAL_ASSIGN_OR_RETURN(const ModelShape shape, read_model_shape(file));
    EstimateOptions options;
    options.num_ctx = spec.num_ctx;
    options.num_parallel = std::max(1, spec.num_parallel);
    options.num_batch = spec.num_batch;
    CORRAL_ASSIGN_OR_RETURN(options.kv_type, parse_kv_type(spec.kv_type));
    const Estimate est = estimate(shape, options);
    const Inventory inventory = discover_devices(env);
    PlacementOptions placement_options;
    placement_options.num_gpu = spec.num_gpu;
    const Placement placement = place(est, inventory.cpu, inventory.gpus, placement_options);
    LoadPlan plan;
    for (size_t d = 0; d < placement.devices.size(); ++d) {
      const DevicePlan& dp = placement.devices[d];
      const uint64_t bytes = dp.weights + dp.kv + dp.compute;
      plan.size += bytes;
      if (d > 0) plan.size_vram += bytes;
    }
    plan.layers = static_cast<int64_t>(est.layers.size());
    plan.layers_on_gpu = placement.layers_on_gpu;
    plan.num_ctx = est.options.num_ctx;
    plan.fits_in_ram = placement.fits_in_ram;
    std::string why;
    for (const std::string& note : placement.notes) why += (why.empty() ? "" : "; ") + note;
    plan.summary = fmt::format("{}/{} layers on GPU, {} total ({}){}{}", plan.layers_on_gpu, plan.layers,
                               human_bytes_binary(plan.size), processor_string(plan.size, plan.size_vram),
                               est.ctx_capped ? fmt::format(", num_ctx capped at {}", plan.num_ctx) : "",
                               why.empty() ? "" : ": " + why);
    return plan;
  };
}

}  // namespace corral::sched
