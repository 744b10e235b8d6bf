// The scheduler against fake runners: reuse, slots, queue limit, keep_alive, eviction, reloads,
// dead runners, load failures, cancellation, shutdown, and a concurrent stress run with invariants.
// Every wait is bounded (kWait); the suite takes a few seconds.
#include "sched/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "testing/testing.h"

namespace corral::sched {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 5s;  // upper bound for anything the scheduler must do "soon"

// What the fake runners and factory observed.
struct World {
  std::mutex mu;
  std::atomic<int> loads{0};     // factory calls
  std::atomic<int> live{0};      // runners constructed and not destroyed
  std::atomic<int> max_live{0};  // highest `live` seen
  std::atomic<int> destroyed{0};
  std::atomic<int> load_delay_ms{0};
  std::atomic<bool> fail_loads{false};
  std::atomic<pid_t> next_pid{1000};
  std::map<pid_t, std::atomic<bool>*> alive;  // by pid, for kill()

  void kill(pid_t pid) {
    std::lock_guard lock(mu);
    auto it = alive.find(pid);
    ASSERT_NE(it, alive.end());
    it->second->store(false);
  }
};

class FakeRunner : public Runner {
 public:
  FakeRunner(LoadSpec spec, World& world) : spec_(std::move(spec)), world_(world), pid_(world.next_pid++) {
    std::lock_guard lock(world_.mu);
    world_.alive[pid_] = &alive_;
    const int live = ++world_.live;
    int seen = world_.max_live.load();
    while (live > seen && !world_.max_live.compare_exchange_weak(seen, live)) {
    }
  }
  ~FakeRunner() override {
    std::lock_guard lock(world_.mu);
    world_.alive.erase(pid_);
    --world_.live;
    ++world_.destroyed;
  }
  const LoadSpec& spec() const override { return spec_; }
  pid_t pid() const override { return pid_; }
  bool alive() const override { return alive_; }
  std::string exit_description() const override { return alive_ ? "" : "exited (signal 9)"; }
  uint64_t memory_bytes() const override { return 1234; }
  Result<CompletionDone> complete(const CompletionRequest&,
                                  const std::function<bool(const CompletionPiece&)>&) override {
    return Error("fake");
  }
  Result<EmbeddingResult> embed(const EmbeddingRequest&) override { return Error("fake"); }
  Result<std::vector<int32_t>> tokenize(std::string_view) override { return Error("fake"); }
  Result<std::string> detokenize(std::span<const int32_t>) override { return Error("fake"); }

  std::atomic<int> in_use{0};  // leases the test holds on it

 private:
  LoadSpec spec_;
  World& world_;
  pid_t pid_;
  std::atomic<bool> alive_{true};
};

RunnerFactory fake_factory(World& world) {
  return [&world](const LoadSpec& spec) -> Result<std::unique_ptr<Runner>> {
    ++world.loads;
    if (int ms = world.load_delay_ms.load(); ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (world.fail_loads) return Error::format("model runner for {} failed to load: out of cheese", spec.model_name);
    return std::unique_ptr<Runner>(std::make_unique<FakeRunner>(spec, world));
  };
}

Planner fake_planner() {
  return [](const LoadSpec& spec) -> Result<LoadPlan> {
    LoadPlan plan;
    plan.size = 1000;
    plan.layers = 4;
    plan.num_ctx = spec.num_ctx;
    plan.summary = "0/4 layers on GPU (fake)";
    return plan;
  };
}

LoadSpec model(const std::string& name, int32_t num_parallel = 1, int64_t num_ctx = 4096) {
  LoadSpec s;
  s.model_name = name;
  s.model_path = "/blobs/" + name;
  s.num_parallel = num_parallel;
  s.num_ctx = num_ctx;
  return s;
}

SchedulerConfig config(int max_loaded = 3, int max_queue = 16, KeepAlive keep_alive = 1h) {
  SchedulerConfig c;
  c.max_loaded = max_loaded;
  c.max_queue = max_queue;
  c.default_keep_alive = keep_alive;
  c.poll_interval = 5ms;
  return c;
}

// Polls cond until it holds or kWait passes.
template <typename Cond>
bool eventually(Cond cond) {
  const auto end = std::chrono::steady_clock::now() + kWait;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

Lease must_acquire(Scheduler& s, const LoadSpec& spec) {
  AcquireResult r = s.acquire(spec);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r).value() : Lease();
}

TEST(SchedulerTest, WarmRunnerIsReused) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  pid_t first = 0;
  {
    Lease lease = must_acquire(s, model("a"));
    ASSERT_TRUE(lease.valid());
    first = lease.runner().pid();
    EXPECT_EQ(lease.spec().model_name, "a");
  }
  Lease again = must_acquire(s, model("a"));
  EXPECT_EQ(again.runner().pid(), first);
  EXPECT_EQ(world.loads, 1);
  const std::vector<LoadedRunner> loaded = s.loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].pid, first);
  EXPECT_EQ(loaded[0].busy, 1);
  EXPECT_EQ(loaded[0].memory_bytes, 1234u);
  EXPECT_EQ(loaded[0].plan.size, 1000u);
  EXPECT_EQ(loaded[0].processor, "100% CPU");
  EXPECT_FALSE(loaded[0].forever);
  EXPECT_GT(loaded[0].expires_at, std::chrono::system_clock::now() + 50min);
  EXPECT_EQ(s.queue_depth(), 0u);
}

TEST(SchedulerTest, ThirdRequestWaitsForOneOfTwoSlots) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  Lease one = must_acquire(s, model("a", 2));
  Lease two = must_acquire(s, model("a", 2));
  EXPECT_EQ(one.runner().pid(), two.runner().pid());
  auto third = std::async(std::launch::async, [&] { return s.acquire(model("a", 2)); });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));
  EXPECT_EQ(third.wait_for(50ms), std::future_status::timeout);  // still waiting
  one.release();
  ASSERT_EQ(third.wait_for(kWait), std::future_status::ready);
  AcquireResult r = third.get();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value().runner().pid(), two.runner().pid());
  EXPECT_EQ(world.loads, 1);
  EXPECT_EQ(s.queue_depth(), 0u);
}

TEST(SchedulerTest, QueueFullIsImmediate) {
  World world;
  Scheduler s(config(3, /*max_queue=*/1), fake_factory(world), fake_planner());
  must_acquire(s, model("b")).release();
  Lease held = must_acquire(s, model("a"));
  auto waiting = std::async(std::launch::async, [&] { return s.acquire(model("a")); });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  AcquireResult full = s.acquire(model("a"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.kind(), AcquireError::kQueueFull);
  EXPECT_EQ(full.error().to_string(), "server busy, please try again.  maximum pending requests exceeded");
  // A request that needs no waiting is served even with the queue full.
  EXPECT_TRUE(s.acquire(model("b")).ok());
  held.release();
  ASSERT_EQ(waiting.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(waiting.get().ok());
}

TEST(SchedulerTest, KeepAliveZeroUnloadsAfterRelease) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  {
    Lease lease = must_acquire(s, model("a"));
    lease.set_keep_alive(0s);
    EXPECT_EQ(s.loaded().size(), 1u);  // not before the release
  }
  EXPECT_TRUE(eventually([&] { return s.loaded().empty() && world.live == 0; }));
  EXPECT_EQ(world.destroyed, 1);
}

TEST(SchedulerTest, ShortKeepAliveExpires) {
  World world;
  Scheduler s(config(3, 16, 300ms), fake_factory(world), fake_planner());
  const auto released = std::chrono::steady_clock::now();
  must_acquire(s, model("a")).release();
  const std::vector<LoadedRunner> loaded = s.loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].keep_alive, 300ms);
  EXPECT_EQ(loaded[0].busy, 0);
  EXPECT_LT(loaded[0].expires_at, std::chrono::system_clock::now() + 301ms);
  EXPECT_TRUE(eventually([&] { return world.live == 0; }));
  EXPECT_GE(std::chrono::steady_clock::now() - released, 300ms);  // not before the timer
  EXPECT_TRUE(s.loaded().empty());
}

TEST(SchedulerTest, NegativeKeepAliveNeverExpires) {
  World world;
  Scheduler s(config(3, 16, 20ms), fake_factory(world), fake_planner());
  {
    Lease lease = must_acquire(s, model("a"));
    lease.set_keep_alive(kKeepAliveForever);
  }
  std::this_thread::sleep_for(200ms);  // ten times the default keep_alive
  const std::vector<LoadedRunner> loaded = s.loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_TRUE(loaded[0].forever);
  EXPECT_EQ(world.live, 1);
}

TEST(SchedulerTest, KeepAliveIsSticky) {
  World world;
  Scheduler s(config(3, 16, 1h), fake_factory(world), fake_planner());
  {
    Lease lease = must_acquire(s, model("a"));
    lease.set_keep_alive(kKeepAliveForever);
  }
  {
    Lease lease = must_acquire(s, model("a"));
    lease.set_keep_alive(std::nullopt);  // "no keep_alive in the request": keeps forever
  }
  ASSERT_EQ(s.loaded().size(), 1u);
  EXPECT_TRUE(s.loaded()[0].forever);
  {
    Lease lease = must_acquire(s, model("a"));
    lease.set_keep_alive(150ms);
  }
  must_acquire(s, model("a")).release();  // without keep_alive: still 150 ms
  ASSERT_EQ(s.loaded().size(), 1u);
  EXPECT_EQ(s.loaded()[0].keep_alive, 150ms);
  EXPECT_TRUE(eventually([&] { return world.live == 0; }));
  EXPECT_EQ(world.loads, 1);
}

TEST(SchedulerTest, MaxLoadedEvictsTheIdleRunner) {
  World world;
  Scheduler s(config(/*max_loaded=*/1), fake_factory(world), fake_planner());
  must_acquire(s, model("a")).release();
  Lease b = must_acquire(s, model("b"));
  EXPECT_EQ(world.loads, 2);
  EXPECT_EQ(world.max_live, 1);
  ASSERT_EQ(s.loaded().size(), 1u);
  EXPECT_EQ(s.loaded()[0].spec.model_name, "b");
  // With b busy, a request for a waits until b is released, then evicts it.
  auto a = std::async(std::launch::async, [&] { return s.acquire(model("a")); });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));
  EXPECT_EQ(a.wait_for(50ms), std::future_status::timeout);
  b.release();
  ASSERT_EQ(a.wait_for(kWait), std::future_status::ready);
  AcquireResult r = a.get();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value().spec().model_name, "a");
  EXPECT_EQ(world.loads, 3);
  EXPECT_EQ(world.max_live, 1);
}

TEST(SchedulerTest, EvictsTheRunnerThatExpiresSoonest) {
  World world;
  Scheduler s(config(/*max_loaded=*/2), fake_factory(world), fake_planner());
  {
    Lease a = must_acquire(s, model("a"));
    a.set_keep_alive(kKeepAliveForever);
  }
  {
    Lease b = must_acquire(s, model("b"));
    b.set_keep_alive(10min);
  }
  Lease c = must_acquire(s, model("c"));
  std::vector<std::string> names;
  for (const LoadedRunner& r : s.loaded()) names.push_back(r.spec.model_name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c"}));  // b would have expired first; forever last
}

TEST(SchedulerTest, SpecChangeReloads) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  Lease small = must_acquire(s, model("a", 1, 4096));
  auto big = std::async(std::launch::async, [&] { return s.acquire(model("a", 1, 8192)); });
  EXPECT_EQ(big.wait_for(100ms), std::future_status::timeout);  // waits until the runner is idle
  const pid_t old_pid = small.runner().pid();
  small.release();
  ASSERT_EQ(big.wait_for(kWait), std::future_status::ready);
  AcquireResult r = big.get();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_NE(r.value().runner().pid(), old_pid);
  EXPECT_EQ(r.value().spec().num_ctx, 8192);
  EXPECT_EQ(world.loads, 2);
  EXPECT_EQ(world.max_live, 1);  // the old one stopped before the new one started
  ASSERT_EQ(s.loaded().size(), 1u);
  EXPECT_EQ(s.loaded()[0].spec.num_ctx, 8192);
}

TEST(SchedulerTest, SpecChangeIsNotOvertakenByLaterRequests) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  Lease held = must_acquire(s, model("a", 1, 4096));
  std::atomic<int> order{0};
  int big_done = 0, small_done = 0;
  auto big = std::async(std::launch::async, [&] {
    Lease lease = must_acquire(s, model("a", 1, 8192));
    big_done = ++order;
    std::this_thread::sleep_for(20ms);
  });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));
  auto small = std::async(std::launch::async, [&] {
    Lease lease = must_acquire(s, model("a", 1, 4096));  // the loaded spec, but it came later
    small_done = ++order;
  });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 2; }));
  held.release();
  ASSERT_EQ(big.wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(small.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(big_done, 1);
  EXPECT_EQ(small_done, 2);
  EXPECT_EQ(world.loads, 3);  // 4096, 8192, 4096 again
  EXPECT_EQ(world.max_live, 1);
}

TEST(SchedulerTest, ConcurrentRequestsShareOneLoad) {
  World world;
  world.load_delay_ms = 200;
  Scheduler s(config(), fake_factory(world), fake_planner());
  auto first = std::async(std::launch::async, [&] { return s.acquire(model("a", 2)); });
  auto second = std::async(std::launch::async, [&] { return s.acquire(model("a", 2)); });
  ASSERT_EQ(first.wait_for(kWait), std::future_status::ready);
  ASSERT_EQ(second.wait_for(kWait), std::future_status::ready);
  AcquireResult one = first.get(), two = second.get();
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one.value().runner().pid(), two.value().runner().pid());
  EXPECT_EQ(world.loads, 1);
  EXPECT_EQ(s.loaded()[0].busy, 2);
}

TEST(SchedulerTest, DeadRunnerIsReplaced) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  pid_t first = 0;
  {
    Lease lease = must_acquire(s, model("a"));
    first = lease.runner().pid();
  }
  world.kill(first);
  Lease lease = must_acquire(s, model("a"));
  EXPECT_NE(lease.runner().pid(), first);
  EXPECT_EQ(world.loads, 2);
  EXPECT_TRUE(eventually([&] { return world.live == 1; }));
}

TEST(SchedulerTest, RunnerDyingWhileLeasedIsDroppedAtRelease) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  Lease lease = must_acquire(s, model("a"));
  const pid_t first = lease.runner().pid();
  world.kill(first);
  lease.release();
  EXPECT_TRUE(eventually([&] { return world.live == 0; }));
  Lease next = must_acquire(s, model("a"));
  EXPECT_NE(next.runner().pid(), first);
}

TEST(SchedulerTest, MarkFailedReplacesTheRunner) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  pid_t first = 0;
  {
    Lease lease = must_acquire(s, model("a"));
    first = lease.runner().pid();
    lease.mark_failed();
  }
  Lease lease = must_acquire(s, model("a"));
  EXPECT_NE(lease.runner().pid(), first);
  EXPECT_EQ(world.loads, 2);
  EXPECT_EQ(world.max_live, 1);
}

TEST(SchedulerTest, LoadFailureReachesEveryWaiter) {
  World world;
  world.load_delay_ms = 300;
  world.fail_loads = true;
  Scheduler s(config(), fake_factory(world), fake_planner());
  std::vector<std::future<AcquireResult>> requests;
  for (int i = 0; i < 4; ++i) requests.push_back(std::async(std::launch::async, [&] { return s.acquire(model("a")); }));
  for (auto& r : requests) {
    ASSERT_EQ(r.wait_for(kWait), std::future_status::ready);
    AcquireResult result = r.get();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.kind(), AcquireError::kLoadFailed);
    EXPECT_EQ(result.error().to_string(), "model runner for a failed to load: out of cheese");
  }
  EXPECT_EQ(world.loads, 1);  // one load, shared by all four
  EXPECT_TRUE(s.loaded().empty());
  EXPECT_EQ(s.queue_depth(), 0u);
  // The next request tries again.
  world.fail_loads = false;
  world.load_delay_ms = 0;
  EXPECT_TRUE(s.acquire(model("a")).ok());
  EXPECT_EQ(world.loads, 2);
}

TEST(SchedulerTest, OtherModelsFlowWhileOneLoads) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  must_acquire(s, model("a")).release();
  world.load_delay_ms = 600;
  auto slow = std::async(std::launch::async, [&] { return s.acquire(model("b")); });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));  // b is loading
  const auto start = std::chrono::steady_clock::now();
  Lease a = must_acquire(s, model("a"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);  // not stuck behind b's load
  ASSERT_EQ(slow.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(slow.get().ok());
}

TEST(SchedulerTest, CancelledWhileWaiting) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  Lease held = must_acquire(s, model("a"));
  std::atomic<bool> cancel{false};
  auto waiting = std::async(std::launch::async, [&] { return s.acquire(model("a"), [&] { return cancel.load(); }); });
  ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));
  cancel = true;
  ASSERT_EQ(waiting.wait_for(kWait), std::future_status::ready);
  AcquireResult r = waiting.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.kind(), AcquireError::kCancelled);
  EXPECT_EQ(s.queue_depth(), 0u);
  held.release();
  EXPECT_EQ(s.loaded()[0].busy, 0);  // the cancelled request took no slot
}

TEST(SchedulerTest, UnloadNowOrAtRelease) {
  World world;
  Scheduler s(config(), fake_factory(world), fake_planner());
  must_acquire(s, model("a")).release();
  ASSERT_TRUE(s.unload("/blobs/a").ok());
  EXPECT_TRUE(eventually([&] { return world.live == 0 && s.loaded().empty(); }));
  EXPECT_TRUE(s.unload("/blobs/nothing").ok());

  Lease lease = must_acquire(s, model("b"));
  ASSERT_TRUE(s.unload("/blobs/b").ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(s.loaded().size(), 1u);  // busy: stays until released
  lease.release();
  EXPECT_TRUE(eventually([&] { return world.live == 0; }));
}

TEST(SchedulerTest, UnloadWhileLoadingStopsAfterTheLoadersRelease) {
  World world;
  world.load_delay_ms = 200;
  Scheduler s(config(), fake_factory(world), fake_planner());
  auto loading = std::async(std::launch::async, [&] { return s.acquire(model("a")); });
  ASSERT_TRUE(eventually([&] { return world.loads == 1; }));
  ASSERT_TRUE(s.unload("/blobs/a").ok());
  ASSERT_EQ(loading.wait_for(kWait), std::future_status::ready);
  AcquireResult r = loading.get();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(s.loaded().size(), 1u);
  r.value().release();
  EXPECT_TRUE(eventually([&] { return world.live == 0 && s.loaded().empty(); }));
}

TEST(SchedulerTest, ShutdownFailsWaitersAndStopsRunners) {
  World world;
  std::future<AcquireResult> waiting;
  Lease held;
  {
    Scheduler s(config(), fake_factory(world), fake_planner());
    must_acquire(s, model("idle")).release();
    held = must_acquire(s, model("a"));
    waiting = std::async(std::launch::async, [&] { return s.acquire(model("a")); });
    ASSERT_TRUE(eventually([&] { return s.queue_depth() == 1; }));
  }
  ASSERT_EQ(waiting.wait_for(kWait), std::future_status::ready);
  AcquireResult r = waiting.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.kind(), AcquireError::kShutdown);
  EXPECT_EQ(world.live, 1);  // the idle one stopped; the leased one lives until its release
  held.release();
  EXPECT_EQ(world.live, 0);
}

TEST(SchedulerTest, ShutdownWaitsForLoadsInProgress) {
  World world;
  world.load_delay_ms = 300;
  std::future<AcquireResult> loading;
  {
    Scheduler s(config(), fake_factory(world), fake_planner());
    loading = std::async(std::launch::async, [&] { return s.acquire(model("a")); });
    ASSERT_TRUE(eventually([&] { return world.loads == 1; }));
  }
  EXPECT_EQ(world.live, 0);  // the runner that finished loading was stopped, not handed out
  ASSERT_EQ(loading.wait_for(kWait), std::future_status::ready);
  AcquireResult r = loading.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.kind(), AcquireError::kShutdown);
}

// 16 threads acquire random models (some 2 slots) under max_loaded 2, with random keep_alives,
// failures and deaths; checks the invariants while they run.
TEST(SchedulerTest, ConcurrentStress) {
  World world;
  world.load_delay_ms = 2;
  constexpr int kMaxLoaded = 2;
  Scheduler s(config(kMaxLoaded, 64, 20ms), fake_factory(world), fake_planner());
  const std::vector<LoadSpec> specs = {model("a", 1), model("b", 2), model("c", 1), model("d", 2), model("a", 2)};
  std::atomic<int> violations{0}, served{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t) * 7919u + 1);
      for (int i = 0; i < 40; ++i) {
        const LoadSpec& spec = specs[rng() % specs.size()];
        AcquireResult r = s.acquire(spec);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        Lease lease = std::move(r).value();
        auto& runner = dynamic_cast<FakeRunner&>(lease.runner());
        if (++runner.in_use > spec.num_parallel) ++violations;
        if (!(runner.spec() == spec)) ++violations;
        if (world.live > kMaxLoaded) ++violations;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
        const unsigned roll = rng() % 20;
        if (roll == 0) lease.mark_failed();
        if (roll == 1) world.kill(runner.pid());
        if (roll == 2) lease.set_keep_alive(0s);
        if (roll == 3) lease.set_keep_alive(kKeepAliveForever);
        if (roll == 4) lease.set_keep_alive(5ms);
        --runner.in_use;
        ++served;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(violations, 0);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(served, 16 * 40);
  EXPECT_LE(world.max_live, kMaxLoaded);
  EXPECT_EQ(s.queue_depth(), 0u);
  EXPECT_LE(s.loaded().size(), static_cast<size_t>(kMaxLoaded));
  for (const LoadedRunner& r : s.loaded()) EXPECT_EQ(r.busy, 0);
}

// A small queue, random cancellations and unloads: requests may be refused (QueueFull) or give up
// (Cancelled), but the queue never exceeds its limit and everyone else is served.
TEST(SchedulerTest, ConcurrentStressWithSmallQueueAndCancellations) {
  World world;
  world.load_delay_ms = 3;
  constexpr int kMaxLoaded = 2, kMaxQueue = 4;
  Scheduler s(config(kMaxLoaded, kMaxQueue, 10ms), fake_factory(world), fake_planner());
  const std::vector<LoadSpec> specs = {model("a", 1), model("b", 2), model("c", 1)};
  std::atomic<int> violations{0}, served{0}, refused{0}, cancelled{0}, other{0};
  std::atomic<bool> running{true};
  std::thread monitor([&] {
    while (running) {
      if (s.queue_depth() > static_cast<size_t>(kMaxQueue)) ++violations;
      const std::vector<LoadedRunner> loaded = s.loaded();
      if (loaded.size() > static_cast<size_t>(kMaxLoaded)) ++violations;
      for (const LoadedRunner& r : loaded)
        if (r.busy > r.spec.num_parallel) ++violations;
      std::this_thread::sleep_for(200us);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t) * 104729u + 3);
      for (int i = 0; i < 30; ++i) {
        const LoadSpec& spec = specs[rng() % specs.size()];
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 30);
        AcquireResult r = s.acquire(spec, [&] { return std::chrono::steady_clock::now() > give_up; });
        if (!r.ok()) {
          if (r.kind() == AcquireError::kQueueFull)
            ++refused;
          else if (r.kind() == AcquireError::kCancelled)
            ++cancelled;
          else
            ++other;
          continue;
        }
        Lease lease = std::move(r).value();
        auto& runner = dynamic_cast<FakeRunner&>(lease.runner());
        if (++runner.in_use > spec.num_parallel) ++violations;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1000));
        if (rng() % 10 == 0) (void)s.unload(spec.model_path);
        --runner.in_use;
        ++served;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  running = false;
  monitor.join();
  EXPECT_EQ(violations, 0);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(served + refused + cancelled, 16 * 30);
  EXPECT_GT(served, 0);
  EXPECT_LE(world.max_live, kMaxLoaded);
  EXPECT_EQ(s.queue_depth(), 0u);
}

// The real planner on a fixture model: sizes from the estimate, everything on the CPU here.
TEST(DevicePlannerTest, PlansAFixtureModelOnTheCpu) {
  const std::filesystem::path path = testing::fixtures_dir() / "models" / "llama-small-llama3v4k-q4_k_m.gguf";
  CORRAL_REQUIRE_FIXTURE(path);
  LoadSpec spec = model("small");
  spec.model_path = path;
  spec.num_ctx = 2048;
  Planner planner = device_planner(Env([](const std::string&) { return std::optional<std::string>(); }));
  Result<LoadPlan> plan = planner(spec);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_GT(plan->size, std::filesystem::file_size(path) / 2);
  EXPECT_EQ(plan->size_vram, 0u);
  EXPECT_GT(plan->layers, 0);
  EXPECT_EQ(plan->layers_on_gpu, 0);
  EXPECT_EQ(plan->num_ctx, 2048);
  EXPECT_NE(plan->summary.find("layers on GPU"), std::string::npos) << plan->summary;
  EXPECT_EQ(processor_string(plan->size, plan->size_vram), "100% CPU");

  spec.model_path = "/nonexistent.gguf";
  EXPECT_FALSE(planner(spec).ok());
}

}  // namespace
}  // namespace corral::sched
