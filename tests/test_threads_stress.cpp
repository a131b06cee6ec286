// Threads with their own heaps: each runs the stress driver (allocating,
// linking, finalizers, weakrefs, collections, failure injection) on a heap of
// its own, exchanging nothing. Run under TSan: `cmake --preset tsan` (see
// tests/ci_reliability.sh). Heaps are also created and destroyed concurrently
// (the process-wide heap registry).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "stress/driver.hpp"

namespace {

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

TEST(ThreadsStress, DriversOnTheirOwnHeaps) {
  const int threads = static_cast<int>(env_u64("RCGC_STRESS_THREADS", 4));
  const std::uint64_t ops = env_u64("RCGC_STRESS_THREAD_OPS", 4000);
  std::vector<rcgc_stress::Result> results(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([t, ops, &results] {
      rcgc_stress::Config cfg;
      cfg.seed = 9000 + static_cast<std::uint64_t>(t);
      cfg.ops = ops;
      cfg.automatic = t % 2 == 0;
      cfg.max_reachable = 80;
      results[static_cast<std::size_t>(t)] = rcgc_stress::run(cfg);
    });
  }
  for (auto& th : pool) th.join();
  rcgc_stress::Counts total;
  for (int t = 0; t < threads; ++t) {
    auto& r = results[static_cast<std::size_t>(t)];
    EXPECT_TRUE(r.ok) << "thread " << t << ": " << r.failure;
    EXPECT_EQ(r.counts.ops, ops) << "thread " << t;
    total.add(r.counts);
  }
  std::printf("[threads] %d threads: %s\n", threads, total.str().c_str());
  EXPECT_GT(total.collections[0] + total.collections[2], 0u);
}

// Many short-lived heaps per thread: ids are registered and released
// concurrently; each heap collects its own cycles.
TEST(ThreadsStress, HeapsCreatedAndDestroyedConcurrently) {
  std::atomic<long> collected{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        rcgc::Heap h;
        auto scope = h.enter();
        rcgc::gc::set_threshold(10 + round % 20);
        for (int i = 0; i < 20; ++i) {
          auto a = rcgc::make<rcgc::Str>("x");
          (void)a;
        }
        struct Pair : rcgc::Object {
          rcgc::Ref<rcgc::Object> other;
          void traverse(rcgc::Visitor& v) const override { v(other); }
        };
        for (int i = 0; i < 30; ++i) {
          auto a = rcgc::make<Pair>();
          auto b = rcgc::make<Pair>();
          a->other = b;
          b->other = a;
        }
        collected += static_cast<long>(rcgc::gc::collect());
        if (h.live_objects() != 0) ++errors;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(errors.load(), 0);
  // Automatic collections take some; the rest are found by the explicit one.
  EXPECT_GT(collected.load(), 0);
}

}  // namespace
