// A persistent pool of worker threads. parallel_for splits [begin, end) into chunks of `grain`
// items; the calling thread works too, so a pool of size N uses N threads in total. Calls from
// different threads are serialised; a parallel_for issued from inside a worker runs inline.
// A decode step issues ~100 short parallel_fors back to back, so an idle worker spins for a
// moment before it sleeps: waking a sleeping thread costs tens of microseconds in a VM.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace corral {

class ThreadPool {
 public:
  // Total threads including the caller; 0 means physical_core_count().
  explicit ThreadPool(size_t n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }

  // fn(chunk_begin, chunk_end) for consecutive chunks covering [begin, end). Chunks are handed out
  // dynamically, so uneven work balances itself. Returns when every chunk is done.
  template <typename Fn>
  void parallel_for(size_t begin, size_t end, size_t grain, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run(
        begin, end, grain, [](void* ctx, size_t b, size_t e) { (*static_cast<F*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using ChunkFn = void (*)(void* ctx, size_t begin, size_t end);

  // Written only by the caller of run(), while no worker is inside it (active_workers_ == 0),
  // and published to the workers by the release store of generation_.
  struct Job {
    size_t begin = 0, end = 0, grain = 1, n_chunks = 0;
    ChunkFn fn = nullptr;
    void* ctx = nullptr;
    std::atomic<size_t> next_chunk{0};
    std::atomic<size_t> done_chunks{0};
  };

  void run(size_t begin, size_t end, size_t grain, ChunkFn fn, void* ctx);
  void work_on_current_job();
  void worker_loop();
  // Waits (spinning, then sleeping) until generation_ differs from `seen`; false when stopping.
  bool wait_for_job(uint64_t seen);
  void wait_until_workers_leave();

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time

  std::atomic<uint64_t> generation_{0};
  std::atomic<size_t> active_workers_{0};  // workers that may be reading job_
  std::atomic<bool> stopping_{false};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<size_t> sleepers_{0};
  Job job_;
};

// Physical cores (hyper-threads of one core counted once); at least 1.
size_t physical_core_count();

}  // namespace corral
