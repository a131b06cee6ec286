// Small-object allocation benchmarks, one executable per allocator (peers
// such as jemalloc and tcmalloc replace malloc for the whole process, so
// each gets its own program). run_alloc.sh runs them side by side and
// prints the ratios. Sizes are 16..512 bytes; every block gets one word
// written, as a real object would be initialized.
//
//   pairs   allocate + free at once (random sizes, and a fixed 64 bytes)
//   batch   allocate 1000 blocks, then free them in order
//   churn   a live set of 128k blocks: free a random one, allocate another
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#if defined(RCGC_BENCH_RCGC)
#include "rcgc/mem.hpp"
static void* bench_alloc(std::size_t n) { return rcgc::mem::malloc(n); }
static void bench_free(void* p) { rcgc::mem::free(p); }
#elif defined(RCGC_BENCH_MIMALLOC)
#include <mimalloc.h>
static void* bench_alloc(std::size_t n) { return mi_malloc(n); }
static void bench_free(void* p) { mi_free(p); }
#else  // glibc, or jemalloc / tcmalloc linked in place of malloc
static void* bench_alloc(std::size_t n) { return std::malloc(n); }
static void bench_free(void* p) { std::free(p); }
#endif

namespace {

constexpr std::size_t kSizes = 1 << 16;  // precomputed random sizes
constexpr std::size_t kLive = 1 << 17;   // churn live set: 131072 blocks

const std::vector<std::uint32_t>& random_sizes() {
  static const std::vector<std::uint32_t> sizes = [] {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<std::uint32_t> d(16, 512);
    std::vector<std::uint32_t> v(kSizes);
    for (auto& s : v) s = d(rng);
    return v;
  }();
  return sizes;
}

const std::vector<std::uint32_t>& random_slots() {
  static const std::vector<std::uint32_t> slots = [] {
    std::mt19937 rng(54321);
    std::vector<std::uint32_t> v(1 << 20);
    for (auto& s : v) s = rng() & (kLive - 1);
    return v;
  }();
  return slots;
}

inline void* touch(void* p, std::uint64_t v) {
  *static_cast<std::uint64_t*>(p) = v;
  benchmark::DoNotOptimize(p);
  return p;
}

void BM_pairs_random(benchmark::State& state) {
  const auto& sizes = random_sizes();
  std::size_t i = 0;
  for (auto _ : state) {
    void* p = touch(bench_alloc(sizes[i & (kSizes - 1)]), i);
    ++i;
    bench_free(p);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_pairs_64(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) bench_free(touch(bench_alloc(64), ++i));
  state.SetItemsProcessed(state.iterations());
}

void BM_batch_1000(benchmark::State& state) {
  const auto& sizes = random_sizes();
  std::vector<void*> batch(1000);
  std::size_t k = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch.size(); ++i)
      batch[i] = touch(bench_alloc(sizes[k++ & (kSizes - 1)]), i);
    for (void* p : batch) bench_free(p);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

void BM_churn_128k(benchmark::State& state) {
  const auto& sizes = random_sizes();
  const auto& slots = random_slots();
  std::vector<void*> live(kLive);
  for (std::size_t i = 0; i < kLive; ++i) live[i] = touch(bench_alloc(sizes[i & (kSizes - 1)]), i);
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint32_t s = slots[i & (slots.size() - 1)];
    bench_free(live[s]);
    live[s] = touch(bench_alloc(sizes[(i * 7 + 3) & (kSizes - 1)]), i);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  for (void* p : live) bench_free(p);
}

}  // namespace

BENCHMARK(BM_pairs_random);
BENCHMARK(BM_pairs_64);
BENCHMARK(BM_batch_1000);
BENCHMARK(BM_churn_128k);
BENCHMARK_MAIN();
