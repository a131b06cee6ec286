// Tests of the allocator (src/alloc): correctness under every backend
// (RCGC_MALLOC), pool layout and arena reclamation under pymalloc.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <map>
#include <set>
#include <vector>

#include "alloc/address_map.hpp"
#include "alloc/allocator_impl.hpp"
#include "alloc/os.hpp"
#include "rcgc/detail/allocator.hpp"
#include "rcgc/detail/heap_state.hpp"
#include "rcgc/heap.hpp"
#include "rcgc/rcgc.hpp"
#include "rcgc/mem.hpp"

namespace {

using rcgc::detail::Allocator;
using rcgc::detail::kArenaSize;

bool pools() { return Allocator::pools_enabled() && !Allocator::debug_enabled(); }

#define REQUIRE_POOLS()                                                          \
  do {                                                                           \
    if (!pools()) GTEST_SKIP() << "pool layout test; backend is "                \
                               << Allocator::backend_name();                     \
  } while (0)

rcgc::detail::PoolStats pool_stats(const Allocator& a) {
  rcgc::detail::AllocStats s;
  a.impl()->collect_stats(s);
  return s.pools;
}

void fill(void* p, std::size_t n, unsigned seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed + i * 7);
}
bool filled(const void* p, std::size_t n, unsigned seed) {
  auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != static_cast<unsigned char>(seed + i * 7)) return false;
  return true;
}

TEST(Alloc, MallocEverySizeIsAlignedAndWritable) {
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t n = 0; n <= 2100; n += (n < 600 ? 1 : 37)) {
    void* p = rcgc::mem::malloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << n;
    fill(p, n, static_cast<unsigned>(n));
    blocks.emplace_back(p, n);
  }
  for (auto& [p, n] : blocks) EXPECT_TRUE(filled(p, n, static_cast<unsigned>(n))) << n;
  for (auto& [p, n] : blocks) rcgc::mem::free(p);
  rcgc::mem::free(nullptr);
  rcgc::mem::verify();
}

TEST(Alloc, ZeroSizeGivesDistinctBlocks) {
  void* a = rcgc::mem::malloc(0);
  void* b = rcgc::mem::malloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  rcgc::mem::free(a);
  rcgc::mem::free(b);
}

TEST(Alloc, CallocZeroesAndChecksOverflow) {
  auto* p = static_cast<unsigned char*>(rcgc::mem::malloc(24 * 10));
  std::memset(p, 0xAB, 240);
  rcgc::mem::free(p);
  auto* z = static_cast<unsigned char*>(rcgc::mem::calloc(10, 24));
  ASSERT_NE(z, nullptr);
  for (int i = 0; i < 240; ++i) ASSERT_EQ(z[i], 0) << i;
  rcgc::mem::free(z);
  EXPECT_EQ(rcgc::mem::calloc(SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(rcgc::mem::calloc(std::size_t{1} << 33, std::size_t{1} << 33), nullptr);
  Allocator a;
  EXPECT_THROW(a.allocate_zeroed(SIZE_MAX / 16, 17), std::bad_alloc);
}

TEST(Alloc, ReallocMovesAcross512AndKeepsBytes) {
  auto* p = static_cast<char*>(rcgc::mem::malloc(100));
  fill(p, 100, 3);
  p = static_cast<char*>(rcgc::mem::realloc(p, 500));
  ASSERT_TRUE(filled(p, 100, 3));
  fill(p, 500, 4);
  p = static_cast<char*>(rcgc::mem::realloc(p, 4000));  // to the system allocator
  ASSERT_TRUE(filled(p, 500, 4));
  if (pools()) {
    EXPECT_FALSE(Allocator::in_pools(p));
  }
  fill(p, 4000, 5);
  p = static_cast<char*>(rcgc::mem::realloc(p, 300));  // back into a pool
  ASSERT_TRUE(filled(p, 300, 5));
  if (pools()) {
    EXPECT_TRUE(Allocator::in_pools(p));
  }
  p = static_cast<char*>(rcgc::mem::realloc(p, 20));
  ASSERT_TRUE(filled(p, 20, 5));
  rcgc::mem::free(p);
  void* q = rcgc::mem::realloc(nullptr, 64);
  ASSERT_NE(q, nullptr);
  rcgc::mem::free(q);
}

TEST(Alloc, AllocatorApiRoundTrip) {
  Allocator a;
  void* p = a.allocate(48);
  fill(p, 48, 9);
  p = a.reallocate(p, 700);
  EXPECT_TRUE(filled(p, 48, 9));
  Allocator::deallocate(p);
  void* z = a.allocate_zeroed(3, 100);
  for (int i = 0; i < 300; ++i) ASSERT_EQ(static_cast<char*>(z)[i], 0);
  a.deallocate_owned(z);
  Allocator::deallocate(nullptr);
  a.verify();
}

TEST(Alloc, FailureInjectionThrowsAndRecovers) {
  Allocator a;
  a.fail_after(2);
  void* p1 = a.allocate(32);
  void* p2 = a.allocate(1000);
  EXPECT_THROW(a.allocate(32), std::bad_alloc);
  EXPECT_THROW(a.allocate(5000), std::bad_alloc);
  void* keep = p1;
  EXPECT_THROW(keep = a.reallocate(p1, 64), std::bad_alloc);
  EXPECT_EQ(keep, p1);  // left intact
  a.fail_after(-1);
  void* p3 = a.allocate(32);
  Allocator::deallocate(p1);
  Allocator::deallocate(p2);
  Allocator::deallocate(p3);
}

TEST(Alloc, RandomChurnKeepsContents) {
  std::mt19937 rng(42);
  struct Live { void* p; std::size_t n; unsigned seed; };
  std::vector<Live> live;
  for (int step = 0; step < 200000; ++step) {
    if (live.size() < 3000 && (live.empty() || rng() % 3 != 0)) {
      std::size_t n = rng() % 600;
      void* p = rcgc::mem::malloc(n);
      ASSERT_NE(p, nullptr);
      unsigned seed = static_cast<unsigned>(rng());
      fill(p, n, seed);
      live.push_back({p, n, seed});
    } else {
      std::size_t i = rng() % live.size();
      ASSERT_TRUE(filled(live[i].p, live[i].n, live[i].seed));
      rcgc::mem::free(live[i].p);
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (Live& l : live) rcgc::mem::free(l.p);
  rcgc::mem::verify();
}

TEST(Alloc, StatsTextAndJson) {
  void* p = rcgc::mem::malloc(100);
  std::string json = rcgc::mem::stats_json();
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_NE(json.find("\"backend\":\"" + std::string(Allocator::backend_name()) + "\""),
            std::string::npos);
  for (const char* key : {"size_classes", "arenas_allocated", "arenas_reclaimed",
                          "arenas_highwater", "arenas_current", "bytes_in_use",
                          "bytes_free_blocks", "bytes_pool_headers", "bytes_unused_pools"})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  int depth = 0;
  for (char c : json) {
    depth += (c == '{' || c == '[') - (c == '}' || c == ']');
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  std::FILE* f = std::tmpfile();
  rcgc::mem::print_stats(f);
  EXPECT_GT(std::ftell(f), 100);
  std::fclose(f);
  rcgc::mem::free(p);
}

// ---- pool layout (pymalloc only) -------------------------------------------

TEST(AllocPools, ExactClassCounts) {
  REQUIRE_POOLS();
  Allocator a;
  std::vector<void*> v;
  for (int i = 0; i < 1000; ++i) v.push_back(a.allocate(33));  // class 2, 48 bytes
  auto s = pool_stats(a);
  const std::size_t per_pool = rcgc::detail::kPoolSize / 48;
  EXPECT_EQ(s.classes[2].blocks_in_use, 1000u);
  EXPECT_EQ(s.classes[2].pools, (1000 + per_pool - 1) / per_pool);
  EXPECT_EQ(s.classes[2].blocks_in_use + s.classes[2].blocks_available,
            s.classes[2].pools * per_pool);
  EXPECT_EQ(s.bytes_in_use, 1000u * 48);
  EXPECT_EQ(s.arenas_current, 1u);
  for (void* p : v) Allocator::deallocate(p);
  s = pool_stats(a);
  EXPECT_EQ(s.classes[2].pools, 1u);  // retained: the last pool of its class
  EXPECT_EQ(s.classes[2].blocks_in_use, 0u);
  EXPECT_EQ(s.bytes_in_use, 0u);
  EXPECT_EQ(s.arenas_current, 1u);
}

// Tracked objects have pools of their own (a lane per size class): made in
// turn with untracked objects of the same block size, each kind lies packed
// in its pools, and the statistics count both lanes under the class.
struct LaneTracked : rcgc::Object {
  rcgc::Ref<rcgc::Object> ref;
  void traverse(rcgc::Visitor& visit) const override { visit(ref); }
};
struct LaneUntracked : rcgc::Object {
  char payload[48 - sizeof(rcgc::Object)] = {};
};

TEST(AllocPools, TrackedObjectsHaveTheirOwnPools) {
  REQUIRE_POOLS();
  rcgc::Heap h;
  rcgc::HeapScope scope = h.enter();
  rcgc::detail::Allocator& a = rcgc::detail::current_heap_state().alloc;
  std::vector<rcgc::Ref<rcgc::Object>> kept;
  std::vector<std::uintptr_t> tracked, untracked;
  for (int i = 0; i < 100; ++i) {
    kept.push_back(rcgc::make<LaneTracked>());
    tracked.push_back(reinterpret_cast<std::uintptr_t>(kept.back().get()));
    kept.push_back(rcgc::make<LaneUntracked>());
    untracked.push_back(reinterpret_cast<std::uintptr_t>(kept.back().get()));
  }
  EXPECT_EQ(rcgc::detail::size_class_of(sizeof(LaneTracked) + sizeof(rcgc::detail::GcHead)),
            rcgc::detail::size_class_of(sizeof(LaneUntracked)));
  const std::size_t block = rcgc::detail::class_block_size(
      rcgc::detail::size_class_of(sizeof(LaneUntracked)));
  for (std::size_t i = 1; i < tracked.size(); ++i) {
    EXPECT_EQ(tracked[i] - tracked[i - 1], block);
    EXPECT_EQ(untracked[i] - untracked[i - 1], block);
  }
  auto s = pool_stats(a);
  const std::size_t c = rcgc::detail::size_class_of(block);
  EXPECT_EQ(s.classes[c].pools, 2u);
  EXPECT_EQ(s.classes[c].blocks_in_use, 200u);
  kept.clear();
  EXPECT_EQ(pool_stats(a).classes[c].blocks_in_use, 0u);
}

// A free block of a tracked lane keeps its free-list link after the GcHead,
// in the object's header (kTrackedLinkOffset): the GcHead of an object that
// is never linked in a generation is written neither by its life nor by the
// allocator. A block of an untracked lane keeps its link at its start.
struct FixedHolder : rcgc::Object {  // a tracked type; this one is never linked
  const rcgc::Ref<rcgc::Object> item = nullptr;
  void traverse(rcgc::Visitor& visit) const override { visit(item); }
  bool references_fixed() const noexcept override { return true; }
};

TEST(AllocPools, TrackedLanesLinkFreeBlocksAfterTheGcHead) {
  REQUIRE_POOLS();
  rcgc::Heap h;
  rcgc::HeapScope scope = h.enter();
  constexpr std::size_t kHead = sizeof(rcgc::detail::GcHead);
  static_assert(rcgc::detail::kTrackedLinkOffset == kHead);
  unsigned char mark[kHead];
  std::memset(mark, 0xab, kHead);
  rcgc::Ref<FixedHolder> a = rcgc::make<FixedHolder>();
  ASSERT_FALSE(rcgc::gc::is_tracked(a));
  unsigned char* block = reinterpret_cast<unsigned char*>(a.get()) - kHead;
  std::memcpy(block, mark, kHead);  // the GcHead, unused by an unlinked object
  unsigned char header[8];
  std::memcpy(header, block + kHead, sizeof header);  // its vtable pointer
  a = nullptr;  // freed: the link goes into the object's header
  EXPECT_EQ(std::memcmp(block, mark, kHead), 0);
  EXPECT_NE(std::memcmp(block + kHead, header, sizeof header), 0);
  rcgc::Ref<FixedHolder> b = rcgc::make<FixedHolder>();  // the same block
  ASSERT_EQ(reinterpret_cast<unsigned char*>(b.get()) - kHead, block);
  EXPECT_EQ(std::memcmp(block, mark, kHead), 0);

  unsigned char* raw = static_cast<unsigned char*>(rcgc::mem::malloc(sizeof(FixedHolder) + kHead));
  std::memcpy(raw, mark, kHead);
  rcgc::mem::free(raw);
  EXPECT_NE(std::memcmp(raw, mark, kHead), 0);  // its link, at the start
}

// Each tracked lane has arenas of its own (alloc_config.hpp, arena kinds):
// the collector's walks of one kind of object stream through memory that
// holds only them. Untracked objects of every size share the rest.
struct Tracked96 : rcgc::Object {
  void traverse(rcgc::Visitor&) const override {}
  char payload[96 - 16 - sizeof(rcgc::Object)] = {};
};

std::uintptr_t arena_of_address(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) & ~(std::uintptr_t{rcgc::detail::kArenaSize} - 1);
}

TEST(AllocPools, TrackedLanesHaveArenasOfTheirOwn) {
  REQUIRE_POOLS();
  rcgc::Heap h;
  rcgc::HeapScope scope = h.enter();
  std::vector<rcgc::Ref<rcgc::Object>> kept;
  std::set<std::uintptr_t> arenas48, arenas96, arenas_untracked;
  for (int i = 0; i < 5000; ++i) {  // several pools of each
    kept.push_back(rcgc::make<LaneTracked>());
    arenas48.insert(arena_of_address(kept.back().get()));
    kept.push_back(rcgc::make<Tracked96>());
    arenas96.insert(arena_of_address(kept.back().get()));
    kept.push_back(rcgc::make<LaneUntracked>());
    arenas_untracked.insert(arena_of_address(kept.back().get()));
  }
  EXPECT_EQ(arenas48.size(), 1u);
  EXPECT_EQ(arenas96.size(), 1u);
  EXPECT_EQ(arenas_untracked.size(), 1u);
  std::set<std::uintptr_t> all(arenas48);
  all.insert(arenas96.begin(), arenas96.end());
  all.insert(arenas_untracked.begin(), arenas_untracked.end());
  EXPECT_EQ(all.size(), 3u);
}

// A lane whose arenas are full takes a pool another lane emptied (resident
// memory left idle, in an arena with half its pools or more emptied)
// before it maps a new arena.
TEST(AllocPools, IdlePoolsOfAnotherLaneAreBorrowed) {
  REQUIRE_POOLS();
  rcgc::Heap h;
  rcgc::HeapScope scope = h.enter();
  rcgc::detail::Allocator& a = rcgc::detail::current_heap_state().alloc;
  std::vector<rcgc::Ref<rcgc::Object>> made;
  // Two arenas' worth of 48-byte objects; one kept per arena, the rest freed.
  const std::size_t per_arena = rcgc::detail::kUsablePools * (rcgc::detail::kPoolSize / 48);
  for (std::size_t i = 0; i < 2 * per_arena; ++i) made.push_back(rcgc::make<LaneTracked>());
  std::map<std::uintptr_t, rcgc::Ref<rcgc::Object>> one_per_arena;
  for (auto& r : made) one_per_arena.emplace(arena_of_address(r.get()), r);
  made.clear();
  ASSERT_GE(one_per_arena.size(), 2u);
  const std::size_t arenas = pool_stats(a).arenas_current;
  // 96-byte objects fill what was freed: no new arena.
  std::vector<rcgc::Ref<rcgc::Object>> later;
  for (std::size_t i = 0; i < per_arena / 4; ++i) later.push_back(rcgc::make<Tracked96>());
  EXPECT_EQ(pool_stats(a).arenas_current, arenas);
  for (auto& r : later) EXPECT_EQ(one_per_arena.count(arena_of_address(r.get())), 1u);
}

TEST(AllocPools, AddressMapAnswersForAnyPointer) {
  REQUIRE_POOLS();
  Allocator a;
  void* small = a.allocate(64);
  void* large = a.allocate(4096);
  int local = 0;
  EXPECT_TRUE(Allocator::in_pools(small));
  EXPECT_FALSE(Allocator::in_pools(large));
  EXPECT_FALSE(Allocator::in_pools(&local));
  EXPECT_FALSE(Allocator::in_pools(nullptr));
  EXPECT_FALSE(Allocator::in_pools(reinterpret_cast<void*>(~std::uintptr_t{0})));
  EXPECT_FALSE(Allocator::in_pools(reinterpret_cast<void*>(std::uintptr_t{1} << 47)));
  EXPECT_FALSE(Allocator::in_pools(reinterpret_cast<void*>(0xffff800000001000ull)));
  EXPECT_FALSE(Allocator::in_pools(rcgc::detail::arena_of(small)));  // arena header
  EXPECT_TRUE(rcgc::detail::PoolAllocator::is_block_start(small));
  EXPECT_FALSE(rcgc::detail::PoolAllocator::is_block_start(static_cast<char*>(small) + 8));
  Allocator::deallocate(small);
  Allocator::deallocate(large);
}

TEST(AllocPools, FreeReturnsBlockToItsOwnHeap) {
  REQUIRE_POOLS();
  Allocator a, b;
  void* p = a.allocate(200);
  void* q = b.allocate(200);
  EXPECT_NE(rcgc::detail::arena_of(p), rcgc::detail::arena_of(q));
  EXPECT_EQ(pool_stats(a).bytes_in_use, 208u);
  rcgc::mem::free(b.allocate(16));  // any heap current: blocks go home
  Allocator::deallocate(p);
  EXPECT_EQ(pool_stats(a).bytes_in_use, 0u);
  EXPECT_EQ(pool_stats(b).bytes_in_use, 208u);
  Allocator::deallocate(q);
  EXPECT_EQ(pool_stats(b).bytes_in_use, 0u);
}

TEST(AllocPools, NewPoolsComeFromTheFullestArena) {
  REQUIRE_POOLS();
  Allocator a;
  // Fill three arenas (class 31: 32 blocks a pool).
  const std::size_t per_pool = 32;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 3 * 63 * per_pool; ++i) blocks.push_back(a.allocate(512));
  ASSERT_EQ(pool_stats(a).arenas_current, 3u);
  auto* first = rcgc::detail::arena_of(blocks.front());
  auto* last = rcgc::detail::arena_of(blocks.back());
  ASSERT_NE(first, last);
  // Empty 10 pools of the first arena and 40 of the last.
  std::vector<void*> keep;
  std::size_t freed_first = 0, freed_last = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto* ar = rcgc::detail::arena_of(blocks[i]);
    std::size_t pool_in_arena = (i / per_pool) % 63;
    if ((ar == first && pool_in_arena < 10) || (ar == last && pool_in_arena < 40)) {
      Allocator::deallocate(blocks[i]);
      (ar == first ? freed_first : freed_last)++;
    } else {
      keep.push_back(blocks[i]);
    }
  }
  ASSERT_EQ(freed_first, 10 * per_pool);
  ASSERT_EQ(freed_last, 40 * per_pool);
  // New pools (another class) are carved from the first arena: fewer free pools.
  for (int i = 0; i < 10; ++i) {
    void* p = a.allocate(16 + 16 * i);  // 10 classes: 10 new pools
    EXPECT_EQ(rcgc::detail::arena_of(p), first) << i;
    keep.push_back(p);
  }
  void* p = a.allocate(400);  // the first arena is full again: next fullest
  EXPECT_EQ(rcgc::detail::arena_of(p), last);
  keep.push_back(p);
  for (void* k : keep) Allocator::deallocate(k);
  auto s = pool_stats(a);
  EXPECT_EQ(s.arenas_current, 1u);  // the last, with its retained pools
  EXPECT_EQ(s.arenas_reclaimed, 2u);
  EXPECT_EQ(s.arenas_highwater, 3u);
}

TEST(AllocPools, OrphanedArenasDrainAfterTheirHeapDies) {
  REQUIRE_POOLS();
  std::vector<void*> v;
  {
    Allocator a;
    for (int i = 0; i < 5000; ++i) v.push_back(a.allocate(256));
  }
  void* arena = rcgc::detail::arena_of(v.front());
  EXPECT_TRUE(rcgc::detail::AddressMap::contains(arena));
  for (void* p : v) Allocator::deallocate(p);
  EXPECT_FALSE(rcgc::detail::AddressMap::contains(arena));
}

TEST(AllocPools, ArenasGoBackToTheOs) {
  REQUIRE_POOLS();
  Allocator a;
  constexpr std::size_t kTarget = std::size_t{200} << 20;
  std::vector<void*> v;
  v.reserve(kTarget / 256);
  std::size_t rss0 = rcgc::detail::os_resident_bytes();
  std::mt19937 rng(7);
  std::size_t bytes = 0;
  while (bytes < kTarget) {
    std::size_t n = 16 + rng() % 497;
    void* p = a.allocate(n);
    static_cast<char*>(p)[0] = 1;
    static_cast<char*>(p)[n - 1] = 1;
    v.push_back(p);
    bytes += n;
  }
  auto full = pool_stats(a);
  std::size_t rss_full = rcgc::detail::os_resident_bytes();
  EXPECT_GE(full.arenas_current, 200u);
  EXPECT_GE(rss_full - rss0, std::size_t{180} << 20);
  std::shuffle(v.begin(), v.end(), rng);
  for (void* p : v) Allocator::deallocate(p);
  auto empty = pool_stats(a);
  std::size_t rss_empty = rcgc::detail::os_resident_bytes();
  EXPECT_EQ(empty.bytes_in_use, 0u);
  EXPECT_LE(empty.arenas_current, 1u);
  EXPECT_EQ(empty.arenas_reclaimed + empty.arenas_current, full.arenas_allocated);
  EXPECT_EQ(empty.arenas_highwater, full.arenas_current);
  EXPECT_LE(rss_empty, rss0 + (std::size_t{8} << 20))
      << "rss before " << rss0 << " full " << rss_full << " after " << rss_empty;
}

TEST(AllocPools, ThreadsWithTheirOwnHeapsMapArenasConcurrently) {
  REQUIRE_POOLS();
  auto work = [](unsigned seed) {
    Allocator a;
    std::mt19937 rng(seed);
    for (int round = 0; round < 20; ++round) {
      std::vector<void*> v;
      for (int i = 0; i < 20000; ++i) v.push_back(a.allocate(16 + rng() % 497));
      for (void* p : v) {
        EXPECT_TRUE(rcgc::detail::AddressMap::contains(p));
        Allocator::deallocate(p);
      }
    }
  };
  std::thread t1(work, 1), t2(work, 2);
  t1.join();
  t2.join();
}

TEST(AllocOptions, ParsesEveryValidValue) {
  rcgc::detail::AllocOptions o;
  using rcgc::detail::Backend;
  ASSERT_TRUE(rcgc::detail::parse_malloc_option(nullptr, o));
  EXPECT_EQ(o.backend, Backend::pymalloc);
  EXPECT_FALSE(o.debug);
  ASSERT_TRUE(rcgc::detail::parse_malloc_option("debug", o));
  EXPECT_EQ(o.backend, Backend::pymalloc);
  EXPECT_TRUE(o.debug);
  EXPECT_STREQ(o.name, "pymalloc_debug");
  ASSERT_TRUE(rcgc::detail::parse_malloc_option("mimalloc_debug", o));
  EXPECT_EQ(o.backend, Backend::mimalloc);
  EXPECT_TRUE(o.debug);
  ASSERT_TRUE(rcgc::detail::parse_malloc_option("malloc", o));
  EXPECT_EQ(o.backend, Backend::malloc);
  EXPECT_FALSE(o.debug);
  EXPECT_FALSE(rcgc::detail::parse_malloc_option("jemalloc", o));
  EXPECT_FALSE(rcgc::detail::parse_malloc_option("PYMALLOC", o));
}

TEST(AllocOptionsDeathTest, UnknownValueStopsTheProgram) {
  EXPECT_EXIT(rcgc::detail::die_bad_malloc_option("bogus"), testing::ExitedWithCode(2),
              "RCGC_MALLOC=bogus is not a valid value; valid values are: pymalloc "
              "pymalloc_debug malloc malloc_debug mimalloc mimalloc_debug debug");
}

}  // namespace

// rcgc::mem::malloc reaches the current heap through one thread-local load
// (the default heap is cached there on a thread's first call): entering
// another heap, leaving it and failure injection must all still be seen.
TEST(AllocPools, MallocFollowsTheCurrentHeapOnEveryThread) {
  REQUIRE_POOLS();
  std::thread([] {
    rcgc::detail::Allocator& def = rcgc::detail::current_heap_state().alloc;
    void* d1 = rcgc::mem::malloc(48);
    std::size_t def_in_use = pool_stats(def).bytes_in_use;
    rcgc::Heap other;
    {
      rcgc::HeapScope scope = other.enter();
      rcgc::detail::Allocator& oth = rcgc::detail::current_heap_state().alloc;
      ASSERT_NE(&oth, &def);
      void* o1 = rcgc::mem::malloc(48);
      EXPECT_EQ(pool_stats(oth).bytes_in_use, 48u);
      EXPECT_EQ(pool_stats(def).bytes_in_use, def_in_use);
      oth.fail_after(0);  // switches the fast path off
      EXPECT_EQ(rcgc::mem::malloc(48), nullptr);
      oth.fail_after(-1);
      void* o2 = rcgc::mem::malloc(48);
      ASSERT_NE(o2, nullptr);
      EXPECT_EQ(pool_stats(oth).bytes_in_use, 96u);
      rcgc::mem::free(o1);
      rcgc::mem::free(o2);
    }
    void* d2 = rcgc::mem::malloc(48);  // back on the default heap
    EXPECT_EQ(pool_stats(def).bytes_in_use, def_in_use + 48);
    rcgc::mem::free(d1);
    rcgc::mem::free(d2);
  }).join();
}

// A heap that swings between sizes keeps its emptied arenas as spares (never
// more than it has in use) and maps nothing new for the next swing; when it
// shrinks for good they go back to the OS down to one.
TEST(AllocPools, SwingingHeapReusesSpareArenas) {
  REQUIRE_POOLS();
  Allocator a;
  auto fill = [&](std::size_t arenas) {
    std::vector<void*> v;
    while (pool_stats(a).arenas_current - pool_stats(a).arenas_spare < arenas)
      for (int i = 0; i < 1000; ++i) v.push_back(a.allocate(256));
    return v;
  };
  std::vector<void*> live = fill(8);
  std::size_t mapped_before_swings = pool_stats(a).arenas_allocated;
  std::size_t first_swing = 0;
  for (int swing = 0; swing < 5; ++swing) {
    std::vector<void*> tmp = fill(pool_stats(a).arenas_current - pool_stats(a).arenas_spare + 6);
    for (void* p : tmp) Allocator::deallocate(p);
    auto s = pool_stats(a);
    EXPECT_LE(s.arenas_spare, s.arenas_current - s.arenas_spare);
    EXPECT_GE(s.arenas_spare, 5u);
    if (swing == 0) first_swing = s.arenas_allocated;
    else EXPECT_EQ(s.arenas_allocated, first_swing) << "swing " << swing;
  }
  EXPECT_GT(first_swing, mapped_before_swings);
  for (void* p : live) Allocator::deallocate(p);
  auto s = pool_stats(a);
  EXPECT_LE(s.arenas_current, 1u);
  EXPECT_EQ(s.arenas_reclaimed + s.arenas_current, s.arenas_allocated);
}
