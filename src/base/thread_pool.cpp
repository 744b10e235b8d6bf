#include "base/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace corral {
namespace {
// Set while a thread executes chunks, so nested parallel_for calls run inline instead of
// deadlocking on the pool they are already inside.
thread_local bool t_inside_pool = false;

// A worker that has just finished a job keeps polling this long before it sleeps: long enough to
// bridge the serial work between the parallel_fors of a decode step.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}
}  // namespace

ThreadPool::ThreadPool(size_t n_threads) {
  if (n_threads == 0) n_threads = physical_core_count();
  workers_.reserve(n_threads - 1);
  for (size_t i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  { std::lock_guard lock(sleep_mutex_); }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

// generation_ is odd while run() rewrites job_ and even once the job is published. A worker
// joins a job only if, after announcing itself in active_workers_, it still sees the even value
// it woke up for; run() rewrites job_ only after making the value odd and seeing no active
// worker. With sequentially consistent operations the two checks cannot both miss each other.
void ThreadPool::run(size_t begin, size_t end, size_t grain, ChunkFn fn, void* ctx) {
  if (end <= begin) return;
  grain = std::max<size_t>(grain, 1);
  const size_t n_chunks = (end - begin + grain - 1) / grain;
  if (workers_.empty() || n_chunks == 1 || t_inside_pool) {
    for (size_t b = begin; b < end;) {
      size_t e = end - b > grain ? b + grain : end;
      fn(ctx, b, e);
      b = e;
    }
    return;
  }
  std::lock_guard call_lock(call_mutex_);
  generation_.fetch_add(1);  // odd: job_ is being rewritten
  wait_until_workers_leave();
  job_.begin = begin;
  job_.end = end;
  job_.grain = grain;
  job_.n_chunks = n_chunks;
  job_.fn = fn;
  job_.ctx = ctx;
  job_.next_chunk.store(0, std::memory_order_relaxed);
  job_.done_chunks.store(0, std::memory_order_relaxed);
  generation_.fetch_add(1);  // even: published
  if (sleepers_.load() > 0) {
    { std::lock_guard lock(sleep_mutex_); }
    wake_.notify_all();
  }
  work_on_current_job();
  for (unsigned spins = 0; job_.done_chunks.load(std::memory_order_acquire) != n_chunks; ++spins) {
    if (spins < 4096)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

void ThreadPool::wait_until_workers_leave() {
  for (unsigned spins = 0; active_workers_.load() != 0; ++spins) {
    if (spins < 4096)
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

void ThreadPool::work_on_current_job() {
  t_inside_pool = true;
  for (;;) {
    size_t chunk = job_.next_chunk.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= job_.n_chunks) break;
    size_t b = job_.begin + chunk * job_.grain;
    size_t e = std::min(job_.end, b + job_.grain);
    job_.fn(job_.ctx, b, e);
    job_.done_chunks.fetch_add(1, std::memory_order_acq_rel);
  }
  t_inside_pool = false;
}

bool ThreadPool::wait_for_job(uint64_t seen) {
  auto published = [&] {
    const uint64_t g = generation_.load();
    return g != seen && g % 2 == 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  for (unsigned spins = 1;; ++spins) {
    if (stopping_.load()) return false;
    if (published()) return true;
    cpu_relax();
    if (spins % 256 == 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  std::unique_lock lock(sleep_mutex_);
  sleepers_.fetch_add(1);
  wake_.wait(lock, [&] { return stopping_.load() || published(); });
  sleepers_.fetch_sub(1);
  return !stopping_.load();
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    if (!wait_for_job(seen)) return;
    const uint64_t g = generation_.load();
    active_workers_.fetch_add(1);
    if (generation_.load() == g && g % 2 == 0) {
      seen = g;
      work_on_current_job();
    }
    active_workers_.fetch_sub(1);
  }
}

size_t physical_core_count() {
  std::set<std::pair<std::string, std::string>> cores;
  for (unsigned cpu = 0;; ++cpu) {
    std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream core_file(base + "core_id");
    std::ifstream package_file(base + "physical_package_id");
    if (!core_file || !package_file) break;
    std::string core, package;
    core_file >> core;
    package_file >> package;
    cores.emplace(package, core);
  }
  if (!cores.empty()) return cores.size();
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace corral
