#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <vector>

namespace corral {
namespace {

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (size_t threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (size_t n : {0, 1, 7, 64, 1000, 4099}) {
      for (size_t grain : {1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(0, n, grain, [&](size_t b, size_t e) {
          ASSERT_LE(e - b, grain);
          for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(ThreadPool, OffsetRangeAndManyCalls) {
  ThreadPool pool(3);
  for (int round = 0; round < 2000; ++round) {
    std::atomic<size_t> sum{0};
    pool.parallel_for(100, 200, 7, [&](size_t b, size_t e) {
      size_t s = 0;
      for (size_t i = b; i < e; ++i) s += i;
      sum += s;
    });
    ASSERT_EQ(sum.load(), 14950u);
  }
}

TEST(ThreadPool, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.parallel_for(0, 8, 1, [&](size_t, size_t) {
    pool.parallel_for(0, 10, 1, [&](size_t b, size_t e) { inner += static_cast<int>(e - b); });
  });
  EXPECT_EQ(inner.load(), 80);
}

TEST(ThreadPool, PhysicalCores) {
  EXPECT_GE(physical_core_count(), 1u);
}

}  // namespace
}  // namespace corral
