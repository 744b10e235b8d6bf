#include "base/thread_pool.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace corral {
namespace {
// Set while a thread executes chunks, so nested parallel_for calls run inline instead of
// deadlocking on the pool they are already inside.
thread_local bool t_inside_pool = false;
}  // namespace

ThreadPool::ThreadPool(size_t n_threads) {
  if (n_threads == 0) n_threads = physical_core_count();
  workers_.reserve(n_threads - 1);
  for (size_t i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

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
  {
    std::lock_guard lock(mutex_);
    job_.begin = begin;
    job_.end = end;
    job_.grain = grain;
    job_.n_chunks = n_chunks;
    job_.fn = fn;
    job_.ctx = ctx;
    job_.next_chunk.store(0, std::memory_order_relaxed);
    job_.done_chunks.store(0, std::memory_order_relaxed);
    ++generation_;
  }
  wake_.notify_all();
  work_on_current_job();
  // Wait until every chunk is done and no worker still holds a reference to this job.
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return active_workers_ == 0 && job_.done_chunks.load() == job_.n_chunks; });
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

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      ++active_workers_;
    }
    work_on_current_job();
    {
      std::lock_guard lock(mutex_);
      --active_workers_;
    }
    idle_.notify_all();
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
