// Heaps: the registry of heap ids, the current heap per thread, the default
// heap, and heap teardown.
#include "rcgc/heap.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "alloc/allocator_impl.hpp"
#include "core/describe.hpp"
#include "gc/collector.hpp"
#include "rcgc/detail/current_allocator.hpp"
#include "rcgc/immortal.hpp"
#include "rcgc/weakref.hpp"

namespace rcgc {
namespace detail {
namespace {

// Heap ids index this table so an object finds its heap from the 16-bit id
// in its header. Slot 0 is never used. Lookups are lock-free; registration
// takes the mutex.
std::mutex registry_mutex;
std::vector<std::uint16_t> free_ids;
std::uint32_t next_id = 1;

std::uint16_t register_heap_id() {
  std::lock_guard lock(registry_mutex);
  if (!free_ids.empty()) {
    std::uint16_t id = free_ids.back();
    free_ids.pop_back();
    return id;
  }
  RCGC_CHECK(next_id < kMaxHeaps, "too many heaps (at most %zu live at once)",
             kMaxHeaps - 1);
  return static_cast<std::uint16_t>(next_id++);
}

void release_heap_id(std::uint16_t id) {
  std::lock_guard lock(registry_mutex);
  g_heap_table[id].store(nullptr, std::memory_order_release);
  free_ids.push_back(id);
}

}  // namespace

constinit thread_local HeapState* tls_current_heap = nullptr;

std::atomic<HeapState*> g_heap_table[kMaxHeaps];

HeapState& default_heap_state() noexcept {
  // Never destroyed: objects in static Refs may outlive every other static.
  static HeapState* state = new HeapState(register_heap_id());
  return *state;
}

[[gnu::noinline]] HeapState& cache_default_heap_state() noexcept {
  HeapState& state = default_heap_state();
  tls_current_heap = &state;
  return state;
}

Allocator& current_allocator() noexcept { return current_heap_state().alloc; }

HeapState::HeapState(std::uint16_t heap_id) : id(heap_id) {
  alloc.impl()->pools().set_heap(heap_id);
  gens[0].threshold = 700;
  gens[1].threshold = 10;
  gens[2].threshold = 10;
  g_heap_table[id].store(this, std::memory_order_release);
}

HeapState::~HeapState() {
  // Immortal objects (interned strings among them) die with their heap.
  // First each drops its references (which may name other immortals, all
  // still intact), then all are destroyed.
  for (Object* op : immortals) op->clear();
  for (Object* op : immortals) {
    --live_objects;
    void* block = has_flag(op, kTracked) ? static_cast<void*>(as_gc(op)) : op;
    op->~Object();
    Allocator::deallocate(block);
  }
  // The collector's kept scratch memory (shared by every heap) goes too:
  // another heap's next full collection maps its own.
  release_collector_scratch();
}

}  // namespace detail

HeapScope::HeapScope(detail::HeapState* heap) noexcept
    : heap_(heap), previous_(detail::tls_current_heap) {
  std::thread::id me = std::this_thread::get_id();
  if (heap->scopes.fetch_add(1) > 0) {
    RCGC_CHECK(heap->scope_thread.load() == me, "heap %u is already current on another thread",
               static_cast<unsigned>(heap->id));
  } else {
    heap->scope_thread.store(me);
  }
  detail::tls_current_heap = heap;
}

HeapScope::HeapScope(HeapScope&& other) noexcept
    : heap_(other.heap_), previous_(other.previous_) {
  other.active_ = false;
}

HeapScope::~HeapScope() {
  if (!active_) return;
  detail::tls_current_heap = previous_;
  heap_->scopes.fetch_sub(1);
}

namespace {
// Releases gc.garbage, then collects until a pass frees nothing more:
// finalizers may create new garbage. (Uncollectable cycles stay.)
void collect_until_quiet(detail::HeapState& h) {
  constexpr int kOldest = gc::kNumGenerations - 1;
  for (int pass = 0; pass < 8; ++pass) {
    h.garbage.clear();
    std::size_t before = h.stats[kOldest].collected;
    h.collect_with_callbacks(kOldest);
    if (h.stats[kOldest].collected == before) break;
  }
  h.garbage.clear();
}

// CPython's _PyGC_DumpShutdownStats: uncollectable objects left in
// gc.garbage when the interpreter (here: the heap) shuts down.
void dump_shutdown_stats(detail::HeapState& h) {
  if ((h.debug & gc::DEBUG_SAVEALL) || h.garbage.empty()) return;
  if (h.debug & gc::DEBUG_UNCOLLECTABLE) {
    std::fprintf(stderr, "ResourceWarning: gc: %zu uncollectable objects at shutdown\n",
                 h.garbage.size());
    std::string list = "[";
    for (auto& r : h.garbage) {
      if (list.size() > 1) list += ", ";
      list += detail::describe(r.get());
    }
    std::fprintf(stderr, "      %s]\n", list.c_str());
  } else {
    std::fprintf(stderr,
                 "ResourceWarning: gc: %zu uncollectable objects at shutdown; use "
                 "gc::set_debug(gc::DEBUG_UNCOLLECTABLE) to list them\n",
                 h.garbage.size());
  }
}
}  // namespace

Heap::Heap() : state_(new detail::HeapState(detail::register_heap_id())) {}

Heap::~Heap() {
  detail::HeapState& h = *state_;
  RCGC_CHECK(h.scopes.load() == 0,
             "heap %u destroyed while a HeapScope still makes it current (the scope must "
             "not outlive its heap)",
             static_cast<unsigned>(h.id));
  {
    HeapScope scope = enter();
    h.collect_with_callbacks(gc::kNumGenerations - 1);
    dump_shutdown_stats(h);
    collect_until_quiet(h);
    if (h.live_objects > h.immortals.size()) {
      // Mortal objects may be alive only because immortal ones hold them:
      // the immortals drop their references now, and a last round runs.
      for (Object* op : h.immortals) op->clear();
      collect_until_quiet(h);
    }
  }
  std::size_t survivors = h.live_objects - h.immortals.size();
  if (survivors == 0) {
    std::uint16_t id = h.id;
    delete state_;
    detail::release_heap_id(id);
    return;
  }
  // Objects still referenced from outside the heap keep its memory: the
  // state is leaked on purpose so that their later release still works.
  if constexpr (RCGC_DEBUG_LEVEL >= 1) {
    std::fprintf(stderr,
                 "rcgc: heap %u destroyed while %zu objects are still referenced; "
                 "they stay allocated (the heap's memory is kept)\n",
                 static_cast<unsigned>(h.id), survivors);
  }
}

HeapScope Heap::enter() noexcept { return HeapScope(state_); }

std::uint16_t Heap::id() const noexcept { return state_->id; }

std::size_t Heap::live_objects() const noexcept { return state_->live_objects; }

std::uint16_t current_heap_id() noexcept { return detail::current_heap_state().id; }

std::size_t live_objects() noexcept { return detail::current_heap_state().live_objects; }

}  // namespace rcgc
