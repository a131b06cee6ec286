// Allocation failure: Allocator::fail_after(n) makes the (n+1)-th allocation
// from now (and every later one) throw std::bad_alloc. Each scenario is run
// once per n, from 0 until it completes without a failure; after each run
// the heap must pass Heap::verify(), every object the scenario made must be
// freed once its references are dropped, and the heap must be usable again.
//
// What a failure produces (docs/reliability.md):
//   * make<T>(), WeakRef/WeakProxy construction, rcgc::intern(): throw
//     std::bad_alloc; nothing was created, counts unchanged;
//   * a failure inside a finalizer, weakref callback or gc callback: the
//     std::bad_alloc goes to the unraisable hook, the collection continues;
//   * gc::collect() itself never allocates per object and never throws.
#include <stdexcept>

#include "fixture.hpp"

using namespace rcgc_test;
namespace gc = rcgc::gc;
using rcgc::Ref;

namespace {

int unraisable_bad_alloc = 0;
int unraisable_other = 0;

// A finalizer that allocates (and may fail doing so) and links what it made
// into itself (trash: freed with it).
struct AllocFin : Node {
  void finalize() override { other = rcgc::make<Node>(7); }
};

struct Counts {
  long failures = 0;   // runs that ended with std::bad_alloc
  long completed = 0;  // the n at which the scenario first completed
};

rcgc::detail::Allocator& allocator() { return rcgc::detail::current_heap_state().alloc; }

// Runs `scenario` under fail_after(n) for n = 0, 1, ... until it completes.
template <class F>
Counts sweep(F scenario, long limit = 5000) {
  Counts c;
  auto previous = rcgc::set_unraisable_hook([](std::exception_ptr e, const std::string&) {
    try {
      std::rethrow_exception(e);
    } catch (const std::bad_alloc&) {
      ++unraisable_bad_alloc;
    } catch (...) {
      ++unraisable_other;
    }
  });
  for (long n = 0; n < limit; ++n) {
    live_nodes = 0;
    auto heap = std::make_unique<rcgc::Heap>();
    bool threw = false;
    {
      auto scope = heap->enter();
      gc::set_threshold(3, 2, 2);  // automatic collections inside the scenario
      std::vector<Ref<Node>> keep;
      allocator().fail_after(n);
      try {
        scenario(keep);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
      allocator().fail_after(-1);
      heap->verify();
      // The heap works again: allocate, link, collect.
      Ref<Node> a = rcgc::make<Node>(), b = rcgc::make<Node>();
      a->next = b;
      b->next = a;
      a.reset();
      b.reset();
      keep.clear();
      gc::garbage().clear();
      gc::collect();
      heap->verify();
      EXPECT_EQ(live_nodes, 0) << "n=" << n << ": objects leaked after a failure";
      // Immortal objects (interned strings) live as long as their heap.
      EXPECT_EQ(heap->live_objects(), heap->state().immortals.size()) << "n=" << n;
    }
    heap.reset();
    EXPECT_EQ(live_nodes, 0) << "n=" << n;
    if (::testing::Test::HasFailure()) break;
    if (!threw) {
      c.completed = n;
      break;
    }
    ++c.failures;
  }
  rcgc::set_unraisable_hook(previous);
  return c;
}

// Allocates, links (cycles, lists, untracked leaves, weak references with
// callbacks), collects, drops.
void graph_scenario(std::vector<Ref<Node>>& keep) {
  Ref<List> list = rcgc::make<List>();
  for (int i = 0; i < 20; ++i) {
    Ref<Node> a = rcgc::make<Node>(i);
    Ref<Node> b = rcgc::make<Node>(i);
    a->next = b;
    b->next = a;                                  // a cycle
    b->other = rcgc::make<Blob>("leaf");          // untracked
    list->append(a);
    rcgc::WeakRef<Node> w(b, [] {});              // a weakref with a callback
    if (i % 3 == 0) keep.push_back(a);
    if (i % 5 == 0) gc::collect(i % 3);
  }
  list.reset();
  gc::collect();
}

TEST(AllocFailure, GraphScenarioEverySweepPoint) {
  Counts c = sweep(graph_scenario);
  std::printf("[alloc-failure] graph scenario: %ld injected failures, completes at n=%ld\n",
              c.failures, c.completed);
  EXPECT_GT(c.failures, 60);  // each make/weakref is a failure point
  EXPECT_GT(c.completed, 60);
}

// Finalizers that allocate while a collection runs: their failures go to the
// unraisable hook, and the collection still frees the cycles.
void finalizer_scenario(std::vector<Ref<Node>>& keep) {
  for (int i = 0; i < 10; ++i) {
    Ref<AllocFin> f = rcgc::make<AllocFin>();
    f->next = rcgc::make<Node>();
    f->next->next = f;
    if (i % 4 == 0) keep.push_back(f);
  }
  gc::collect();
}

TEST(AllocFailure, FinalizersThatAllocateDuringCollection) {
  unraisable_bad_alloc = unraisable_other = 0;
  Counts c = sweep(finalizer_scenario);
  std::printf("[alloc-failure] finalizer scenario: %ld injected failures (make), %d in "
              "finalizers (unraisable), completes at n=%ld\n",
              c.failures, unraisable_bad_alloc, c.completed);
  EXPECT_GT(c.failures, 10);
  EXPECT_GT(unraisable_bad_alloc, 0);
  EXPECT_EQ(unraisable_other, 0);
}

// Interning and immortal objects under failure.
TEST(AllocFailure, InternFailsCleanly) {
  Counts c = sweep([](std::vector<Ref<Node>>& keep) {
    for (int i = 0; i < 10; ++i) {
      Ref<rcgc::Str> s = rcgc::intern(std::to_string(i).insert(0, 1, 's'));
      Ref<Node> n = rcgc::make<Node>(i);
      n->other = s;
      keep.push_back(n);
    }
  });
  EXPECT_GT(c.failures, 10);
}

// The failure surfaces from make<T>() as std::bad_alloc and nothing is
// created: counts and gc::get_count() are as before.
TEST(AllocFailure, MakeThrowsAndCreatesNothing) {
  live_nodes = 0;
  rcgc::Heap heap;
  auto scope = heap.enter();
  gc::disable();
  Ref<Node> a = rcgc::make<Node>();
  auto count_before = gc::get_count();
  std::size_t live_before = heap.live_objects();
  allocator().fail_after(0);
  EXPECT_THROW((void)rcgc::make<Node>(), std::bad_alloc);
  EXPECT_THROW((void)rcgc::make<Blob>("x"), std::bad_alloc);
  EXPECT_THROW((rcgc::WeakRef<Node>(a, [] {})), std::bad_alloc);
  allocator().fail_after(-1);
  EXPECT_EQ(heap.live_objects(), live_before);
  EXPECT_EQ(rcgc::getweakrefcount(a), 0u);
  (void)count_before;
  EXPECT_EQ(live_nodes, 1);
  heap.verify();
  a.reset();
  EXPECT_EQ(live_nodes, 0);
}

// A failed tracked allocation must not count as an allocation in
// gc::get_count() (CPython counts only objects actually allocated).
TEST(AllocFailure, FailedMakeDoesNotCountAsAllocation) {
  rcgc::Heap heap;
  auto scope = heap.enter();
  gc::disable();
  Ref<Node> a = rcgc::make<Node>();
  auto before = gc::get_count();
  allocator().fail_after(0);
  EXPECT_THROW((void)rcgc::make<Node>(), std::bad_alloc);
  allocator().fail_after(-1);
  EXPECT_EQ(gc::get_count()[0], before[0]);
}

// Raw memory: rcgc::mem::malloc reports failure with nullptr (like C), it
// does not throw.
TEST(AllocFailure, RawMemoryReturnsNull) {
  rcgc::Heap heap;
  auto scope = heap.enter();
  allocator().fail_after(0);
  void* p = nullptr;
  EXPECT_NO_THROW(p = rcgc::mem::malloc(64));
  EXPECT_EQ(p, nullptr);
  allocator().fail_after(-1);
  p = rcgc::mem::malloc(64);
  EXPECT_NE(p, nullptr);
  rcgc::mem::free(p);
  heap.verify();
}

}  // namespace
