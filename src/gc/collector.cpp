// The cycle collector's phases (CPython's Modules/gcmodule.c vocabulary).
//
// gc_refs lives in GcHead::prev_bits from update_refs until move_unreachable
// relinks the list; nothing is allocated per object, and every walk is over a
// list, never a recursion over the object graph.
#include "gc/collector.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>

#include "core/describe.hpp"
#include "rcgc/weakref.hpp"

namespace rcgc::detail {

namespace {

using A = ObjectAccess;

inline std::uintptr_t& gc_refs(GcHead* gc) noexcept { return gc->prev_bits; }
inline std::uint16_t& flags_of(GcHead* gc) noexcept { return A::flags(from_gc(gc)); }

[[noreturn]] void fatal_foreign(const Object* op, std::uint16_t heap_id) noexcept {
  fatal("object %p of type %s belongs to heap %u but is referenced from an object "
        "of heap %u: objects must not cross heaps",
        static_cast<const void*>(op), typeid(*op).name(), A::heap(op), heap_id);
}

// More references from objects being collected than the count says: a
// reference was released too often (CPython's "refcount is too small").
[[noreturn]] void fatal_refcount_too_small(const Object* op) noexcept {
  fatal("refcount is too small: object address %p, object refcount %u, object type "
        "name %s (a reference to it was released more often than taken)",
        static_cast<const void*>(op), A::refcnt(op), typeid(*op).name());
}

// The two ends of every walk that decides: a survivor keeps its place after
// `prev`, loses the collector's marks and is stamped with the generation it
// goes to; an object that is (tentatively) unreachable keeps kCollecting
// and gets kUnreachable, for the phases that follow.
inline void keep(GcHead* gc, GcHead* prev, std::uint16_t new_gen) noexcept {
  gc->set_prev(prev);
  std::uint16_t& f = flags_of(gc);
  f = static_cast<std::uint16_t>((f & ~(kCollectorFlags | kGenMask)) | (new_gen << kGenShift));
}
inline void set_unreachable(GcHead* gc) noexcept {
  std::uint16_t& f = flags_of(gc);
  f = static_cast<std::uint16_t>((f & ~(kReached | kPassed)) | kUnreachable);
}

// subtract_refs' visitor: one internal reference less. The common case runs
// inline (Visitor::visit, Mode::decref); visit() here is called only for
// what that path reports in debug builds: an object that is not a live
// object of this heap, or a count that is too small.
struct DecrefVisitor : Visitor {
  explicit DecrefVisitor(std::uint16_t id) noexcept
      : Visitor(&visit, Mode::decref, id), heap_id(id) {}
  std::uint16_t heap_id;
  const Object* current = nullptr;  // the object being traversed
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<DecrefVisitor&>(base);
    std::uint16_t f = A::flags(op);
    if (A::heap(op) != self.heap_id) check_reported(self.current, op, self.heap_id);
    if (f & kCollecting) {
      if (gc_refs(as_gc(op)) == 0) fatal_refcount_too_small(op);
      --gc_refs(as_gc(op));
    }
  }
  // What traverse() reported is not an object of this heap: say what it is.
  // Nothing here allocates; the type names are the mangled typeid names.
  static void check_reported(const Object* from, const Object* op, std::uint16_t heap_id) {
    std::uint16_t f = A::flags(op);
    if (heap_by_id(A::heap(op)) == nullptr) {
      if (!(f & kMadeByHeap))
        fatal("traverse of <%s object at %p> reported %p (type %s), which was not made by "
              "rcgc::make",
              typeid(*from).name(), static_cast<const void*>(from),
              static_cast<const void*>(op), typeid(*op).name());
      fatal("traverse of <%s object at %p> reported %p, which is not a live rcgc object "
            "(freed)",
            typeid(*from).name(), static_cast<const void*>(from), static_cast<const void*>(op));
    }
    if (f & kMadeByHeap) fatal_foreign(op, heap_id);
  }
};

// subtract_refs_young's visitor: the common case runs inline
// (Mode::decref_young); visit() is called in debug builds for an object of
// another heap, or a count that is too small.
struct YoungDecrefVisitor : Visitor {
  YoungDecrefVisitor(std::uint16_t id, int generation) noexcept
      : Visitor(&visit, Mode::decref_young, id, static_cast<std::uint8_t>(generation)),
        heap_id(id) {}
  using Visitor::back_edge_;
  void watch_order(bool on) noexcept { set_mode(on ? Mode::decref_order : Mode::decref_young); }
  std::uint16_t heap_id;
  const Object* current = nullptr;  // the object being traversed
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<YoungDecrefVisitor&>(base);
    if (A::heap(op) != self.heap_id) {
      DecrefVisitor::check_reported(self.current, op, self.heap_id);
      return;  // not reported: counted as a reference from outside
    }
    fatal_refcount_too_small(op);
  }
};

// subtract_refs' step for one object of the generation: gc_refs is set on
// first touch (by the walk or by a visit), then what it references loses one.
inline void subtract_one(YoungDecrefVisitor& v, GcHead* gc) noexcept {
  Object* op = from_gc(gc);
  std::uint16_t& f = A::flags(op);
  RCGC_DCHECK_AT(2, A::refcnt(op) > 0);
  if (!(f & kCollecting)) {  // not yet reached by a visit
    f |= kCollecting;
    gc_refs(gc) = A::refcnt(op);
  }
  if constexpr (RCGC_DEBUG_LEVEL >= 1) v.current = op;
  op->traverse(v);
}

// move_unreachable's visitor: what a reachable object references is
// reachable too. The common cases run inline (Mode::reach); visit() moves a
// tentatively unreachable object back to young's tail, where the main loop
// will reach and traverse it.
struct ReachableVisitor : Visitor {
  GcHead* young_head;
  GcHead* tail;  // last node of young's singly linked chain
  ReachableVisitor(GcHead* head, GcHead* last) noexcept
      : Visitor(&visit, Mode::reach), young_head(head), tail(last) {}
  static void visit(Visitor& base, Object* op) {
    std::uint16_t& f = A::flags(op);
    if (!(f & kCollecting)) return;
    auto& self = static_cast<ReachableVisitor&>(base);
    GcHead* gc = as_gc(op);
    if (f & kUnreachable) {
      f &= static_cast<std::uint16_t>(~kUnreachable);
      GcList::unlink(gc);
      self.tail->next = gc;
      gc->next = self.young_head;
      self.tail = gc;
      gc_refs(gc) = 1;
    } else if (gc_refs(gc) == 0) {
      gc_refs(gc) = 1;
    }
  }
};

// mark_reachable's visitor: the common case runs inline (Mode::mark); the
// objects reached behind the walk wait in the queue for their traversal.
struct MarkVisitor : Visitor {
  MarkVisitor() noexcept : Visitor(&visit, Mode::mark) {}
  static GcHead* queue_next(GcHead* gc) noexcept {
    return reinterpret_cast<GcHead*>(gc->prev_bits);
  }
  GcHead* pop() noexcept {
    GcHead* gc = queue_head_;
    if (gc != nullptr) {
      queue_head_ = queue_next(gc);
      if (queue_head_ == nullptr) queue_tail_ = nullptr;
    }
    return gc;
  }
  GcHead* head() const noexcept { return queue_head_; }
  static void visit(Visitor&, Object*) {}  // never called: Mode::mark is inline
};

// A full collection walks a heap far larger than the caches, and the
// objects a traversal visits are anywhere in memory: one miss after another
// if each waits for the one before. Lookahead traverses the object
// `kDistance` places ahead in the list with a visitor that only prefetches
// what it references, so those misses are in flight together, long before
// the walk needs them.
struct PrefetchVisitor : Visitor {
  PrefetchVisitor() noexcept : Visitor(&visit, Mode::prefetch) {}
  static void visit(Visitor&, Object*) {}  // never called: Mode::prefetch is inline
};
constexpr int kLookahead = 16;

class Lookahead {
 public:
  explicit Lookahead(GcList& list) noexcept : ahead_(list.first()), end_(list.end()) {
    for (int i = 0; i < kLookahead; ++i) step();
  }
  void step() noexcept {
    if (ahead_ == end_) return;
    from_gc(ahead_)->traverse(v_);
    ahead_ = ahead_->next;
  }

 private:
  GcHead* ahead_;
  GcHead* end_;
  PrefetchVisitor v_;
};

// Whether a generation is worth the lookahead. The queue's, when it is large
// (beyond the caches; below that the prefetch traversal is pure cost). The
// walks', when it is also made of objects whose references mostly lead far
// from them, and few of them per object. A heap built in one go from the root has its
// children next door, which the hardware prefetcher streams; an object with
// many far references (a B-tree node) already has their misses in flight
// together within its own traversal. Either way an extra traversal per
// object would only cost. Decided from the first few thousand references;
// repeated references to one far object (a shared, cache-hot constant) do
// not count as far.
struct DistanceVisitor : Visitor {
  DistanceVisitor() noexcept : Visitor(&visit) {}
  std::uintptr_t from = 0;
  std::uintptr_t last_far = 0;
  std::size_t near = 0, far = 0;
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<DistanceVisitor&>(base);
    std::uintptr_t to = reinterpret_cast<std::uintptr_t>(op);
    std::uintptr_t d = to > self.from ? to - self.from : self.from - to;
    if (d <= (std::uintptr_t{64} << 10)) {
      ++self.near;
    } else if (to != self.last_far) {
      ++self.far;
      self.last_far = to;
    }
  }
};

// What a full collection's walks should prefetch for.
struct Prefetching {
  bool queue = false;  // the queue of objects reached behind the walk
  bool walks = false;  // the walks themselves
};

Prefetching prefetching_for(GcList& list) noexcept {
  constexpr std::size_t kLarge = 64 * 1024;  // objects
  constexpr std::size_t kSampleVisits = 4096;
  constexpr std::size_t kFewPerObject = 8;
  std::size_t n = 0;
  for (GcHead* gc = list.first(); gc != list.end() && n < kLarge; gc = gc->next) ++n;
  if (n < kLarge) return {};  // it fits in the caches
  DistanceVisitor v;
  std::size_t objects_with_far = 0;
  for (GcHead* gc = list.first(); gc != list.end() && v.near + v.far < kSampleVisits;
       gc = gc->next) {
    std::size_t far_before = v.far;
    v.from = reinterpret_cast<std::uintptr_t>(from_gc(gc));
    from_gc(gc)->traverse(v);
    if (v.far != far_before) ++objects_with_far;
  }
  return {true, v.far > v.near && v.far < kFewPerObject * objects_with_far};
}

// The same for mark_reachable's queue, which grows while it is drained:
// `ahead_` is the next queued object to prefetch for, kept up to
// kLookahead places ahead of the queue's head.
class QueueLookahead {
 public:
  // Called with the object just taken from the queue.
  void popped(GcHead* gc, const MarkVisitor& q) noexcept {
    if (distance_ > 0) {
      --distance_;
    } else {
      ahead_ = nullptr;
      last_ = gc;
    }
    while (distance_ < kLookahead) {
      GcHead* next = ahead_ != nullptr ? ahead_ : (last_ != nullptr ? MarkVisitor::queue_next(last_)
                                                                     : q.head());
      if (next == nullptr) break;
      from_gc(next)->traverse(v_);
      last_ = next;
      ahead_ = MarkVisitor::queue_next(next);
      ++distance_;
    }
  }

 private:
  GcHead* ahead_ = nullptr;  // next to prefetch for, when known
  GcHead* last_ = nullptr;   // the last one prefetched for (or taken)
  int distance_ = 0;         // prefetched for and still queued
  PrefetchVisitor v_;
};

// move_legacy_finalizer_reachable's visitor.
struct MoveVisitor : Visitor {
  GcList* to;
  std::size_t moved = 0;
  explicit MoveVisitor(GcList& list) noexcept : Visitor(&visit), to(&list) {}
  static void visit(Visitor& base, Object* op) {
    std::uint16_t& f = A::flags(op);
    if (f & kCollecting) {
      auto& self = static_cast<MoveVisitor&>(base);
      f &= static_cast<std::uint16_t>(~kCollecting);
      GcList::move(as_gc(op), *self.to);
      ++self.moved;
    }
  }
};

void debug_cycle(const char* msg, Object* op) {
  std::fprintf(stderr, "gc: %s <%s %p>\n", msg, op->type_name().c_str(),
               static_cast<void*>(op));
}

void call_guarded(Object* op, void (Object::*hook)(), const char* what) noexcept {
  try {
    (op->*hook)();
  } catch (...) {
    write_unraisable(std::current_exception(), std::string(what) + " of " + describe(op));
  }
}

}  // namespace

std::size_t Collector::update_refs(GcList& young) noexcept {
  std::size_t n = 0;
  for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next) {
    Object* op = from_gc(gc);
    RCGC_DCHECK_AT(2, A::refcnt(op) > 0);
    flags_of(gc) |= kCollecting;
    gc_refs(gc) = A::refcnt(op);
    ++n;
  }
  return n;
}

void Collector::subtract_refs(GcList& young, std::uint16_t heap_id) noexcept {
  DecrefVisitor v(heap_id);
  for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next) {
    Object* op = from_gc(gc);
    if constexpr (RCGC_DEBUG_LEVEL >= 1) v.current = op;
    op->traverse(v);
  }
}

std::size_t Collector::subtract_refs_young(GcList& young, std::uint16_t heap_id,
                                           int generation, bool lookahead) noexcept {
  YoungDecrefVisitor v(heap_id, generation);
  std::size_t n = 0;
  if (lookahead) {
    Lookahead ahead(young);
    for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next, ++n) {
      ahead.step();
      subtract_one(v, gc);
    }
  } else {
    for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next, ++n) subtract_one(v, gc);
  }
  return n;
}

std::size_t Collector::subtract_refs_ordered(GcList& young, std::uint16_t heap_id,
                                             int generation, bool& ordered) noexcept {
  YoungDecrefVisitor v(heap_id, generation);
  v.watch_order(true);
  std::size_t n = 0;
  for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next, ++n) {
    flags_of(gc) |= kPassed;  // before its traversal: a reference to itself is backwards
    subtract_one(v, gc);
    // After the first reference backwards, only subtract.
    if (RCGC_UNLIKELY(v.back_edge_)) v.watch_order(false);
  }
  ordered = !v.back_edge_;
  return n;
}

std::size_t Collector::move_unreachable(GcList& young, GcList& unreachable,
                                        std::uint16_t new_gen) noexcept {
  GcHead* head = young.end();
  ReachableVisitor v(head, young.last());
  GcHead* last_kept = head;
  std::size_t kept = 0;
  for (GcHead* gc = head->next; gc != head;) {
    if (gc_refs(gc) > 0) {
      // Reachable from outside: what it references is reachable too. The
      // traversal may append to the chain after gc, so read gc->next after.
      from_gc(gc)->traverse(v);
      keep(gc, last_kept, new_gen);
      last_kept = gc;
      ++kept;
      gc = gc->next;
    } else {
      // Tentatively unreachable; a later visit may still move it back.
      GcHead* next = gc->next;
      last_kept->next = next;
      if (v.tail == gc) v.tail = last_kept;
      set_unreachable(gc);
      unreachable.append(gc);
      gc = next;
    }
  }
  head->set_prev(last_kept);
  return kept;
}

std::size_t Collector::mark_reachable(GcList& young, GcList& unreachable,
                                      std::uint16_t new_gen, bool lookahead,
                                      bool queue_lookahead) noexcept {
  GcHead* head = young.end();
  // Mark, in list order: an object is traversed when the walk gets to it if
  // it has references from outside (gc_refs > 0) or was reached from one
  // traversed before; an object reached after the walk passed it joins a
  // queue (linked through its gc_refs field), drained at once, in the order
  // reached. A heap allocated parents first (a tree) is walked in memory
  // order without the queue; the list's next links are not touched. Both
  // the walk and the queue prefetch ahead (Lookahead).
  MarkVisitor v;
  QueueLookahead queue_ahead;
  std::optional<Lookahead> ahead;
  if (lookahead) ahead.emplace(young);
  for (GcHead* gc = head->next; gc != head; gc = gc->next) {
    if (ahead) ahead->step();
    std::uint16_t& f = flags_of(gc);
    f |= kPassed;
    if (!(f & kReached)) {
      if (gc_refs(gc) == 0) continue;  // nothing yet says it is reachable
      f |= kReached;
    }
    from_gc(gc)->traverse(v);
    while (GcHead* behind = v.pop()) {
      if (queue_lookahead) queue_ahead.popped(behind, v);
      from_gc(behind)->traverse(v);
    }
  }
  return sweep_reached(young, unreachable, new_gen);
}

std::size_t Collector::sweep_reached(GcList& young, GcList& unreachable,
                                     std::uint16_t new_gen) noexcept {
  // What was not reached leaves for `unreachable` (as move_unreachable
  // leaves it, kUnreachable set); the rest stays in its order, prev links
  // restored.
  GcHead* head = young.end();
  GcHead* last_kept = head;
  std::size_t kept = 0;
  for (GcHead* gc = head->next; gc != head;) {
    GcHead* next = gc->next;
    if (flags_of(gc) & kReached) {
      keep(gc, last_kept, new_gen);
      last_kept->next = gc;
      last_kept = gc;
      ++kept;
    } else {
      set_unreachable(gc);
      unreachable.append(gc);
    }
    gc = next;
  }
  last_kept->next = head;
  head->set_prev(last_kept);
  return kept;
}

std::size_t Collector::keep_all(GcList& young, std::uint16_t new_gen) noexcept {
  GcHead* head = young.end();
  GcHead* prev = head;
  std::size_t kept = 0;
  for (GcHead* gc = head->next; gc != head; gc = gc->next) {
    keep(gc, prev, new_gen);
    prev = gc;
    ++kept;
  }
  head->set_prev(prev);
  return kept;
}

TrashSummary Collector::move_legacy_finalizers(GcList& unreachable,
                                               GcList& finalizers) noexcept {
  TrashSummary t;
  for (GcHead* gc = unreachable.first(), *next; gc != unreachable.end(); gc = next) {
    next = gc->next;
    std::uint16_t& f = flags_of(gc);
    f &= static_cast<std::uint16_t>(~kUnreachable);
    if (f & kHasLegacy) {
      f &= static_cast<std::uint16_t>(~kCollecting);
      GcList::move(gc, finalizers);
      continue;
    }
    ++t.size;
    if ((f & (kHasFinalize | kFinalized)) == kHasFinalize) ++t.to_finalize;
    if (f & (kHasWeakrefs | kWeakRefType)) ++t.weak;
  }
  return t;
}

std::size_t Collector::move_legacy_finalizer_reachable(GcList& finalizers) noexcept {
  MoveVisitor v(finalizers);
  for (GcHead* gc = finalizers.first(); gc != finalizers.end(); gc = gc->next)
    from_gc(gc)->traverse(v);
  return v.moved;
}

std::size_t Collector::handle_weakrefs(GcList& unreachable, GcList& old,
                                       bool& called_back) noexcept {
  // Pass 1: clear every weakref to the trash (and every weakref that is
  // trash), remembering the callbacks to honour. No callback may run before
  // all are cleared, or it could reach trash through a live weakref.
  std::vector<Ref<WeakRefObject>> to_call;
  for (GcHead* gc = unreachable.first(); gc != unreachable.end(); gc = gc->next) {
    Object* op = from_gc(gc);
    std::uint16_t f = A::flags(op);
    if (f & kWeakRefType) static_cast<WeakRefObject*>(op)->clear_target();
    if (!(f & kHasWeakrefs)) continue;
    auto it = h_.weaklists.find(op);
    while (it != h_.weaklists.end() && it->second) {
      WeakRefObject* wr = it->second;
      wr->clear_target();  // unlinks wr, updating the table entry
      // A weakref that is trash itself gets no callback (CPython's rule).
      if (!wr->has_callback() || (A::flags(wr) & kCollecting)) {
        it = h_.weaklists.find(op);
        continue;
      }
      try {
        to_call.emplace_back(wr);
      } catch (...) {
        // Out of memory: the callback is skipped rather than the collection.
      }
      it = h_.weaklists.find(op);
    }
  }
  // Pass 2: the callbacks, each with a strong reference to its weakref.
  std::size_t freed = 0;
  called_back = called_back || !to_call.empty();
  for (auto& wr : to_call) {
    wr->run_callback();
    if (wr->refcount() == 1) ++freed;
    wr.reset();
  }
  (void)old;  // reachable weakrefs stay in their own generation
  return freed;
}

bool Collector::finalize_garbage(GcList& collectable) noexcept {
  // A finalizer may free anything in the list through reference counting,
  // so always take the first object and move it to `seen` before calling.
  GcList seen;
  bool called = false;
  while (!collectable.empty()) {
    GcHead* gc = collectable.first();
    GcList::move(gc, seen);
    Object* op = from_gc(gc);
    std::uint16_t& f = flags_of(gc);
    if ((f & (kHasFinalize | kFinalized)) != kHasFinalize) continue;
    f |= kFinalized | kFinalizing;
    called = true;
    op->incref();
    call_guarded(op, &Object::finalize, "finalizer");
    clear_flag(op, kFinalizing);
    op->decref();
  }
  collectable.merge_from(seen);
  return called;
}

std::size_t Collector::handle_resurrected_objects(GcList& unreachable,
                                                  GcList& still_unreachable,
                                                  GcList& old) noexcept {
  std::size_t n = update_refs(unreachable);
  subtract_refs(unreachable, h_.id);
  std::size_t resurrected = move_unreachable(unreachable, still_unreachable, old_gen_);
  for (GcHead* gc = still_unreachable.first(); gc != still_unreachable.end(); gc = gc->next)
    flags_of(gc) &= static_cast<std::uint16_t>(~kUnreachable);
  old.merge_from(unreachable);  // the resurrected
  if (old_gen_ == gc::kNumGenerations - 1) entered_old_ += resurrected;
  return n - resurrected;
}

void Collector::delete_garbage(GcList& collectable, GcList& old) noexcept {
  const bool save_all = (h_.debug & gc::DEBUG_SAVEALL) != 0;
  while (!collectable.empty()) {
    GcHead* gc = collectable.first();
    Object* op = from_gc(gc);
    RCGC_DCHECK(A::refcnt(op) > 0);
    if (save_all) {
      try {
        h_.garbage.push_back(Ref<Object>(op));
      } catch (...) {
      }
    } else {
      op->incref();
      call_guarded(op, &Object::clear, "clear");
      op->decref();
    }
    if (collectable.first() == gc) {
      // Still alive: it may die later, when what it references lets go.
      flags_of(gc) &= static_cast<std::uint16_t>(~kCollecting);
      to_old(gc, old);
    }
  }
}

void Collector::to_old(GcHead* gc, GcList& old) noexcept {
  set_generation(from_gc(gc), old_gen_);
  GcList::move(gc, old);
  if (old_gen_ == gc::kNumGenerations - 1) ++entered_old_;
}

void Collector::handle_legacy_finalizers(GcList& finalizers, GcList& old) noexcept {
  const bool save_all = (h_.debug & gc::DEBUG_SAVEALL) != 0;
  for (GcHead* gc = finalizers.first(); gc != finalizers.end(); gc = gc->next) {
    set_generation(from_gc(gc), old_gen_);
    if (old_gen_ == gc::kNumGenerations - 1) ++entered_old_;
    if (save_all || (flags_of(gc) & kHasLegacy)) {
      try {
        h_.garbage.push_back(Ref<Object>(from_gc(gc)));
      } catch (...) {
      }
    }
  }
  old.merge_from(finalizers);
}

CollectResult Collector::collect(int generation) noexcept {
  using Clock = std::chrono::steady_clock;
  Clock::time_point t0;
  if (h_.debug & gc::DEBUG_STATS) {
    std::fprintf(stderr, "gc: collecting generation %d...\n", generation);
    std::fprintf(stderr, "gc: objects in each generation: %zu %zu %zu\n",
                 h_.gens[0].list.size(), h_.gens[1].list.size(), h_.gens[2].list.size());
    std::fprintf(stderr, "gc: objects in permanent generation: %zu\n", h_.permanent.size());
    t0 = Clock::now();
  }

  // Collecting generation g counts one for g + 1 and resets 0..g.
  if (generation + 1 < gc::kNumGenerations) ++h_.gens[generation + 1].count;
  for (int i = 0; i <= generation; ++i) h_.gens[i].count = 0;
  for (int i = 0; i < generation; ++i) h_.gens[generation].list.merge_from(h_.gens[i].list);

  GcList& young = h_.gens[generation].list;
  GcList& old = generation + 1 < gc::kNumGenerations ? h_.gens[generation + 1].list : young;

  old_gen_ = static_cast<std::uint16_t>(
      generation + 1 < gc::kNumGenerations ? generation + 1 : generation);

  CollectResult r;
  GcList unreachable;
  std::size_t survivors;
  if (generation == gc::kNumGenerations - 1) {
    // A full collection keeps the survivors in their order (allocation
    // order, mostly memory order), so that the next one walks the heap
    // sequentially; move_unreachable would leave them in the order it
    // reached them.
    const Prefetching prefetch = prefetching_for(young);
    r.candidates = subtract_refs_young(young, h_.id, generation, prefetch.walks);
    survivors = mark_reachable(young, unreachable, old_gen_, prefetch.walks, prefetch.queue);
  } else {
    // A young generation in which every reference points forward in the
    // list (objects made before what they reference: trees built from the
    // root, lists appended to) has no garbage: the first object has no
    // referrer in the generation, so something outside references it, and
    // each later one is referenced from outside or from an earlier one, all
    // reachable by induction (a cycle needs a reference backwards). Then
    // every object survives and a walk without traversals finishes.
    bool ordered = false;
    r.candidates = subtract_refs_ordered(young, h_.id, generation, ordered);
    survivors = ordered ? keep_all(young, old_gen_)
                        : move_unreachable(young, unreachable, old_gen_);
  }

  if (&young != &old) {
    if (generation == gc::kNumGenerations - 2)
      h_.long_lived_pending += static_cast<std::ptrdiff_t>(survivors);
    old.merge_from(young);
  }

  GcList finalizers;
  TrashSummary trash = move_legacy_finalizers(unreachable, finalizers);
  trash.size -= move_legacy_finalizer_reachable(finalizers);

  if (h_.debug & gc::DEBUG_COLLECTABLE)
    for (GcHead* gc = unreachable.first(); gc != unreachable.end(); gc = gc->next)
      debug_cycle("collectable", from_gc(gc));

  // Weakref callbacks and finalizers are the only user code that runs
  // before the trash is freed; the phases that exist for them are skipped
  // when the trash has nothing for them (no extra walk of the list).
  bool user_code_ran = false;
  if (trash.weak) r.collected += handle_weakrefs(unreachable, old, user_code_ran);
  if (trash.to_finalize && finalize_garbage(unreachable)) user_code_ran = true;
  GcList final_unreachable;
  if (user_code_ran) {
    r.collected += handle_resurrected_objects(unreachable, final_unreachable, old);
  } else {
    final_unreachable.merge_from(unreachable);
    r.collected += trash.size;
  }
  delete_garbage(final_unreachable, old);

  for (GcHead* gc = finalizers.first(); gc != finalizers.end(); gc = gc->next) {
    ++r.uncollectable;
    if (h_.debug & gc::DEBUG_UNCOLLECTABLE) debug_cycle("uncollectable", from_gc(gc));
  }
  if (h_.debug & gc::DEBUG_STATS) {
    double d = std::chrono::duration<double>(Clock::now() - t0).count();
    std::fprintf(stderr, "gc: done, %zu unreachable, %zu uncollectable, %.4fs elapsed\n",
                 r.collected + r.uncollectable, r.uncollectable, d);
  }
  handle_legacy_finalizers(finalizers, old);
  if (&young == &old) {
    // Set last: the garbage freed above left generation 2 through untrack(),
    // but it was never counted among the survivors.
    h_.long_lived_pending = 0;
    h_.long_lived_total = survivors + entered_old_;
  } else if (generation == gc::kNumGenerations - 2) {
    h_.long_lived_pending += static_cast<std::ptrdiff_t>(entered_old_);
  }

  gc::GenerationStats& st = h_.stats[generation];
  ++st.collections;
  st.collected += r.collected;
  st.uncollectable += r.uncollectable;
  return r;
}

}  // namespace rcgc::detail
