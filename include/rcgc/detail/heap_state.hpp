// rcgc internal: the state of one heap (allocator + collector + gc module).
//
// This header exists so that make<T>() and the Ref fast paths can inline;
// nothing in it is part of the public API.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rcgc/detail/allocator.hpp"
#include "rcgc/gc.hpp"
#include "rcgc/object.hpp"
#include "rcgc/ref.hpp"

namespace rcgc::detail {

class WeakRefObject;

// A circular doubly-linked list of GcHeads with a sentinel, CPython's
// PyGC_Head lists. Invariant outside a collection: for every node n in the
// list, n->next->prev == n and n->prev->next == n.
struct GcList {
  GcHead head;

  GcList() noexcept { init(); }
  void init() noexcept {
    head.next = &head;
    head.set_prev(&head);
  }
  GcList(const GcList&) = delete;
  GcList& operator=(const GcList&) = delete;

  bool empty() const noexcept { return head.next == &head; }
  GcHead* first() const noexcept { return head.next; }
  GcHead* end() noexcept { return &head; }
  GcHead* last() const noexcept { return head.prev(); }
  void append(GcHead* gc) noexcept {
    GcHead* tail = head.prev();
    gc->set_prev(tail);
    gc->next = &head;
    tail->next = gc;
    head.set_prev(gc);
  }
  static void unlink(GcHead* gc) noexcept {
    gc->prev()->next = gc->next;
    gc->next->set_prev(gc->prev());
  }
  static void remove(GcHead* gc) noexcept {
    unlink(gc);
    gc->next = nullptr;
    gc->prev_bits = 0;
  }
  static void move(GcHead* gc, GcList& to) noexcept {
    unlink(gc);
    to.append(gc);
  }
  // Appends all of `from` to this list; `from` becomes empty.
  void merge_from(GcList& from) noexcept {
    if (from.empty()) return;
    GcHead* tail = head.prev();
    tail->next = from.head.next;
    from.head.next->set_prev(tail);
    head.set_prev(from.head.prev());
    head.prev()->next = &head;
    from.init();
  }
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (GcHead* gc = head.next; gc != &head; gc = gc->next) ++n;
    return n;
  }
};

struct Generation {
  GcList list;
  int threshold = 0;
  int count = 0;
};

class HeapState {
 public:
  explicit HeapState(std::uint16_t id);
  ~HeapState();
  HeapState(const HeapState&) = delete;
  HeapState& operator=(const HeapState&) = delete;

  // Memory for a new object of `size` bytes: counts a tracked allocation
  // (generation 0) and runs an automatic collection when its threshold is
  // passed. Returns where the Object must be constructed.
  // As CPython's gc_alloc, the memory comes first: a failed allocation
  // (std::bad_alloc) counts nothing.
  void* allocate_object(std::size_t size, bool tracked) {
    return tracked ? allocate_tracked(size) : allocate_untracked(size);
  }
  // The tracked case (src/core/dealloc.cpp, with the allocator's pool fast
  // path inlined into it). Never inlined, not even by LTO: its return
  // address is the allocation's site (debug hooks, tracemalloc).
  RCGC_NOINLINE void* allocate_tracked(std::size_t size);
  // The untracked case (an untracked type's object, make_fixed's): the same
  // fast path in a leaf function, without the count.
  RCGC_NOINLINE void* allocate_untracked(std::size_t size);
  // Undoes allocate_object() when the constructor threw.
  void abandon_object(void* obj_mem, bool tracked) noexcept {
    if (tracked) {
      if (gens[0].count > 0) --gens[0].count;
      Allocator::deallocate(static_cast<char*>(obj_mem) - sizeof(GcHead));
    } else {
      Allocator::deallocate(obj_mem);
    }
  }
  // Takes a freshly constructed object under this heap's management;
  // `link`: into generation 0 (a tracked type's object, unless make<T> found
  // it holds no tracked object and promises fixed references: then it is
  // never linked, as a collection would unlink it, Collector::untrack_fixed;
  // its allocation counted in generation 0 all the same, as its death will).
  void adopt_object(Object* op, std::uint16_t type_flags, bool link) noexcept {
    ObjectAccess::flags(op) = type_flags;
    ObjectAccess::set_heap(op, id);
    ++live_objects;
    if (link) {
      ObjectAccess::flags(op) |= kLinked;
      gens[0].list.append(as_gc(op));
    }
  }

  // gc module operations (src/gc/).
  // A collection never throws: every phase is noexcept and exceptions from
  // user code (finalizers, weakref and gc callbacks) go to the unraisable
  // hook, so allocate_object() needs no cleanup around it.
  std::size_t collect_with_callbacks(int generation) noexcept;
  void collect_automatic() noexcept;
  void track(Object* op) noexcept;  // link into generation 0
  // Unlinks a tracked object from its list (no-op when not linked).
  // An object leaving generation 2 this way (death, untrack) shrinks it:
  // long_lived_pending counts the net growth of generation 2.
  void untrack(Object* op) noexcept {
    std::uint16_t f = ObjectAccess::flags(op);
    if (!(f & kLinked)) return;
    ObjectAccess::flags(op) = static_cast<std::uint16_t>(f & ~kLinked);
    if ((f & kGenMask) == (gc::kNumGenerations - 1) << kGenShift) left_generation_two(1);
    GcList::remove(as_gc(op));
  }

  // Reference counting death: defined inline in src/core/dealloc.cpp,
  // called only by detail::release there.
  inline void release(Object* op) noexcept;

  // Weak references (src/core/weakref.cpp).
  WeakRefObject*& weaklist(const Object* op);
  void clear_weakrefs_at_death(Object* op) noexcept;

  const std::uint16_t id;
  Allocator alloc;
  std::array<Generation, gc::kNumGenerations> gens;
  GcList permanent;
  bool enabled = true;
  bool collecting = false;
  unsigned debug = 0;
  // The 25% rule (see collect_automatic): the objects in generation 2 after
  // the last full collection, and the net growth of generation 2 since then:
  // every way in adds (survivors of generation-1 collections, objects
  // resurrected or kept alive by a collection, legacy-finalizer garbage,
  // unfreeze), every way out takes back (death, untrack, freeze). Generation
  // 2 cannot hold fewer than no objects, so the count never goes below
  // -long_lived_total whatever is missed.
  std::size_t long_lived_total = 0;
  std::ptrdiff_t long_lived_pending = 0;
  void left_generation_two(std::size_t n) noexcept {
    long_lived_pending -= static_cast<std::ptrdiff_t>(n);
    const auto floor = -static_cast<std::ptrdiff_t>(long_lived_total);
    if (long_lived_pending < floor) long_lived_pending = floor;
  }
  // Bit g: the last collection of young generation g found it ordered
  // (Collector::young_ordered), so the next one checks the order first.
  std::uint8_t young_ordered = 0;
  // Room per object for the edge buffer of the next full collection that
  // logs its edges (Collector::shadow_subtract): a quarter more than the
  // last such collection recorded (EdgeLog::next_edges_per_object), so that
  // a heap whose objects hold many references maps the buffer once, not
  // once and then again four times larger, copying it. 0 until then: the
  // collector's default (EdgeLog::kEdgesPerObject).
  std::uint32_t edge_log_per_object = 0;
  // Full collections in a row that kept every member by the list's order
  // alone (ShadowSubtract::ordered in the shadow, without relinking; the
  // same proof in the headers), counted up to 2, all the collector asks:
  // from 1 the next collection, if in the shadow, logs no edges, which it
  // would not mark from if the order holds again (if not, it marks by
  // traversing the objects); from 2 a large heap keeps its state in the
  // shadow (use_shadow in src/gc/collector.cpp).
  std::uint8_t ordered_runs = 0;
  // Full collections in the shadow in a row that logged their edges on one
  // thread and found no order (their proof failed), counted up to 2: from
  // 2 the next may split its subtract walk between two threads (Collector's
  // split walk), which cannot prove the order. (With one, the ORM heap of
  // bench/gc/unseen split where its order would have been proved again:
  // benchmarks.md, session 23.) Reset by a relink (a new order) and by a
  // proof that holds.
  std::uint8_t unordered_runs = 0;
  // The last subtract walk's time per object, ns, on one thread [0] and
  // split [1] (0: not measured yet), and a count of the collections that
  // could have split: every kSplitRecheck-th takes the way not chosen.
  std::array<float, 2> subtract_ns{0, 0};
  std::uint32_t split_turns = 0;
  static constexpr std::uint32_t kSplitRecheck = 16;
  void count_ordered_run(bool ordered) noexcept {
    ordered_runs = !ordered ? 0 : ordered_runs < 2 ? ordered_runs + 1 : 2;
  }
  // The share of the members (per mille) that the last shadow mark walking
  // forwards ([0]) and backwards ([1]) passed before reaching them, each of
  // which then went through the queue; kMarkShareUnknown until a mark has
  // walked that way, and again after a relink (Collector::mark_direction).
  static constexpr std::uint16_t kMarkShareUnknown = 0xFFFF;
  std::array<std::uint16_t, 2> mark_passed_unreached{kMarkShareUnknown, kMarkShareUnknown};
  std::array<gc::GenerationStats, gc::kNumGenerations> stats{};
  gc::GarbageList garbage;
  std::vector<std::pair<gc::CallbackId, gc::Callback>> callbacks;
  gc::CallbackId next_callback_id = 1;
  std::size_t live_objects = 0;  // tracked and untracked, made here, not yet freed

  // Trashcan: deallocations nested deeper than kTrashcanDepth are queued on
  // `trash` and run by the outermost one. An entry is the GcHead of a
  // tracked type's object (its prev word links to the next entry), or, with
  // bit 0 set, an object without a header (make_fixed's, an untracked
  // type's): its count, flags and heap id, no longer needed, hold the link.
  // 0 ends the list.
  static constexpr int kTrashcanDepth = 50;
  int dealloc_depth = 0;
  std::uintptr_t trash = 0;

  // Heads of the weakref lists of objects with kHasWeakrefs.
  std::unordered_map<const Object*, WeakRefObject*> weaklists;
  // Immortal objects made on this heap (freed with the heap), and the
  // interned strings among them (see immortal.hpp).
  std::vector<Object*> immortals;
  // objgraph::growth()'s peaks for this heap (src/tools/objgraph.cpp).
  std::map<std::string, std::size_t> objgraph_peaks;
  std::unordered_map<std::string, Object*> interned;


  // HeapScopes alive for this heap, and the thread they belong to: a heap is
  // current on one thread at a time.
  std::atomic<int> scopes{0};
  std::atomic<std::thread::id> scope_thread{};

 private:
  // Defined in src/core/dealloc.cpp, their only user: dealloc (inline) and
  // its rare half, dealloc_hooks (finalizers, untracking, weak references;
  // false when the object was resurrected).
  inline void dealloc(Object* op) noexcept;
  RCGC_NOINLINE bool dealloc_hooks(Object* op) noexcept;
  // Queues op's death on `trash`; false when it must die now (an object
  // without a header whose type has a finalizer, which may resurrect it).
  RCGC_NOINLINE bool defer_dealloc(Object* op) noexcept;
  void drain_trash() noexcept;
  // allocate_tracked's other paths (src/core/dealloc.cpp).
  RCGC_NOINLINE void* allocate_tracked_slow(std::size_t size, const void* caller);
  RCGC_NOINLINE void* allocate_untracked_slow(std::size_t size, const void* caller);
  inline void* counted_tracked(void* block) noexcept;
  RCGC_NOINLINE void* past_threshold(void* block) noexcept;
};

// The registry of live heaps, indexed by heap id (Object::heap_).
// Slot 0 is never used: an object whose heap id is 0 was not made by make<T>
// (or, in debug builds, was freed). Lookups are lock-free; heaps register
// and unregister under a mutex in src/core/heap.cpp.
inline constexpr std::size_t kMaxHeaps = std::size_t{1} << 16;
extern std::atomic<HeapState*> g_heap_table[kMaxHeaps];
// The registered heap with this id, or null.
inline HeapState* heap_by_id(std::uint16_t id) noexcept {
  return g_heap_table[id].load(std::memory_order_acquire);
}
inline HeapState& heap_of(const Object* op) noexcept {
  HeapState* h = heap_by_id(ObjectAccess::heap(op));
  RCGC_DCHECK(h != nullptr);
  return *h;
}

// The calling thread's current heap (the default heap if none was entered).
// The first call on a thread that entered no heap caches the default heap in
// tls_current_heap (HeapScope restores whatever it found, so nothing else
// changes): later calls are one thread-local load.
extern constinit thread_local HeapState* tls_current_heap;
HeapState& default_heap_state() noexcept;
HeapState& cache_default_heap_state() noexcept;
inline HeapState& current_heap_state() noexcept {
  HeapState* s = tls_current_heap;
  if (RCGC_LIKELY(s != nullptr)) return *s;
  return cache_default_heap_state();
}

}  // namespace rcgc::detail
