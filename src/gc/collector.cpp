// The cycle collector's phases (CPython's Modules/gcmodule.c vocabulary).
//
// gc_refs lives in GcHead::prev_bits from update_refs until move_unreachable
// relinks the list; every walk is over a list, never a recursion over the
// object graph. A full collection allocates: the mark's queue (an array of
// at most one pointer per object; without memory it links objects through
// their gc_refs fields instead) or, in the shadow, the EdgeLog (without
// memory, the mark traverses the objects again instead).
#include "gc/collector.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <typeinfo>

#include "alloc/allocator_impl.hpp"
#include "alloc/debug_hooks.hpp"
#include "alloc/os.hpp"
#include "alloc/region.hpp"
#include "core/describe.hpp"
#include "gc/helper.hpp"
#include "rcgc/weakref.hpp"

namespace rcgc::detail {

namespace {

using A = ObjectAccess;

// set_edge_mapping_limit (tests): the most entries one mapping may have.
std::atomic<std::size_t> g_edge_mapping_limit{SIZE_MAX};

// The EdgeLog's arrays of 32-bit entries (os_map_scratch: huge pages for
// the large ones; malloc'd memory would take a page fault every 4 KiB).
//
// The last five mappings a collection gave back are kept for the next one
// (ScratchCache): a fresh mapping takes a page fault and the zeroing of
// every page it uses, in each collection (the fifth set's meshes, 640k
// objects: 17% of a run's samples zeroing pages, part of it for the log;
// kept, their collection takes 0.90x the time, bench/gc/ab.py).
// A kept mapping's pages are freed lazily (MADV_FREE): the kernel takes
// them back when it needs memory, and until then writing them again costs
// no fault. So a kept mapping's contents are whatever they were, or zero:
// every array is written before it is read (debug builds fill a reused
// mapping with a poison pattern, so that a test would see a read that is
// not). Reused only at the same size (pages rounded as os_scratch_size
// does: 2 MiB from 2 MiB up), so a heap that grows a little still matches.
class ScratchCache {
 public:
  // A kept mapping of exactly `bytes` (taken out of the cache), or nullptr.
  void* take(std::size_t bytes) noexcept {
    std::lock_guard<std::mutex> lock(m_);
    for (Slot& s : slots_) {
      if (s.p != nullptr && s.bytes == bytes) {
        void* p = s.p;
        s.p = nullptr;
        reused_.fetch_add(1, std::memory_order_relaxed);
        return p;
      }
    }
    return nullptr;
  }
  // Keeps p (`bytes` long), giving the oldest kept mapping back to the OS
  // if every slot is taken.
  void give(void* p, std::size_t bytes) noexcept {
    os_free_lazily(p, bytes);
    Slot out{};
    {
      std::lock_guard<std::mutex> lock(m_);
      Slot* slot = nullptr;
      for (Slot& s : slots_)
        if (s.p == nullptr) slot = &s;
      if (slot == nullptr) {
        slot = &slots_[0];
        for (Slot& s : slots_)
          if (s.age < slot->age) slot = &s;
        out = *slot;
      }
      *slot = Slot{p, bytes, ++age_};
    }
    if (out.p != nullptr) os_unmap(out.p, out.bytes);
  }
  std::size_t reused() const noexcept { return reused_.load(std::memory_order_relaxed); }
  // Gives every kept mapping back to the OS.
  void clear() noexcept {
    Slot out[kSlots];
    {
      std::lock_guard<std::mutex> lock(m_);
      for (std::size_t i = 0; i < kSlots; ++i) {
        out[i] = slots_[i];
        slots_[i] = Slot{};
      }
    }
    for (const Slot& o : out)
      if (o.p != nullptr) os_unmap(o.p, o.bytes);
  }
  std::size_t kept_bytes() noexcept {
    std::lock_guard<std::mutex> lock(m_);
    std::size_t bytes = 0;
    for (const Slot& s : slots_)
      if (s.p != nullptr) bytes += s.bytes;
    return bytes;
  }

 private:
  struct Slot {
    void* p = nullptr;
    std::size_t bytes = 0;
    std::uint64_t age = 0;
  };
  // Five: a split walk gives back five mappings (the log's arrays, the
  // edges of each side, its chunks' records, and the log's edges). With
  // four, one side's edges were a fresh mapping in every split walk, its
  // pages faulted in and zeroed as the traversals wrote them
  // (benchmarks.md, session 24).
  static constexpr std::size_t kSlots = 5;
  std::mutex m_;
  Slot slots_[kSlots];
  std::uint64_t age_ = 0;
  std::atomic<std::size_t> reused_{0};
};
// Never destroyed: a heap destroyed during static destruction (the default
// heap) still finds it.
ScratchCache& scratch_cache() noexcept {
  alignas(ScratchCache) static unsigned char storage[sizeof(ScratchCache)];
  static ScratchCache* const cache = ::new (storage) ScratchCache;
  return *cache;
}

std::uint32_t* map_entries(std::size_t n) noexcept {
  if (n > g_edge_mapping_limit.load(std::memory_order_relaxed)) return nullptr;
  const std::size_t bytes = os_scratch_size(n * sizeof(std::uint32_t));
  if (void* p = scratch_cache().take(bytes)) {
    if constexpr (RCGC_DEBUG_LEVEL >= 1) std::memset(p, 0xA5, bytes);
    return static_cast<std::uint32_t*>(p);
  }
  return static_cast<std::uint32_t*>(os_map_scratch(n * sizeof(std::uint32_t)));
}
void unmap_entries(std::uint32_t* p, std::size_t n) noexcept {
  if (p != nullptr) scratch_cache().give(p, os_scratch_size(n * sizeof(std::uint32_t)));
}

static_assert(kRegionGranuleShift == kShadowGranuleShift);
static_assert(kPoolShift == kPoolTagShift);

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
inline void stamp(GcHead* gc, std::uint16_t new_gen) noexcept {
  std::uint16_t& f = flags_of(gc);
  f = static_cast<std::uint16_t>((f & ~(kCollectorFlags | kGenMask)) | (new_gen << kGenShift));
}
inline void keep(GcHead* gc, GcHead* prev, std::uint16_t new_gen) noexcept {
  gc->set_prev(prev);
  stamp(gc, new_gen);
}
// The mark's walk passing an object with a shadow word (mark, mark_edges):
// nothing has reached it yet; or it is reached (by a visit, or from
// outside) and reaches no member; or it is reached and to be traversed.
enum class Pass : std::uint8_t { unreached, leaf, traverse };
inline Pass shadow_pass(std::uint32_t& w) noexcept {
  w &= ~kShadowWalked;  // passed
  if (!(w & kShadowReached)) {
    if ((w & kShadowCount) == 0) return Pass::unreached;
    w |= kShadowReached;
  }
  return (w & kShadowLeaf) ? Pass::leaf : Pass::traverse;
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

// The visitors of subtract_refs on a generation (subtract_refs_young,
// Mode::decref_young or decref_order; shadow_subtract, Mode::decref_shadow):
// the common case runs inline; visit() is called in debug builds for an
// object of another heap (or freed, or not made by make), or a count that
// is too small.
struct GenerationDecrefVisitor : Visitor {
  GenerationDecrefVisitor(Mode mode, std::uint16_t id, int generation) noexcept
      : Visitor(&visit, mode, id, static_cast<std::uint8_t>(generation)), heap_id(id) {}
  std::uint16_t heap_id;
  const Object* current = nullptr;  // the object being traversed
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<GenerationDecrefVisitor&>(base);
    if (A::heap(op) != self.heap_id) {
      DecrefVisitor::check_reported(self.current, op, self.heap_id);
      return;  // not reported: counted as a reference from outside
    }
    fatal_refcount_too_small(op);
  }
};

struct YoungDecrefVisitor : GenerationDecrefVisitor {
  YoungDecrefVisitor(std::uint16_t id, int generation) noexcept
      : GenerationDecrefVisitor(Mode::decref_young, id, generation) {}
  using Visitor::kBackwards;
  using Visitor::kForwards;
  using Visitor::walk_at_;
  using Visitor::met_tracked_;
  // References have led both ways in the list: the generation may hold
  // garbage.
  bool both_ways() const noexcept { return order_seen_ == (kBackwards | kForwards); }
  void watch_order(bool on) noexcept { set_mode(on ? Mode::decref_order : Mode::decref_young); }
  // Mode::order, for a young generation (0 or 1): a member is linked and
  // has no generation bit that generation + 1 or older has.
  void watch_order_alone(int generation) noexcept {
    RCGC_DCHECK(generation == 0 || generation == 1);
    set_mode(Mode::order);
    const auto older = static_cast<std::uint16_t>(
        generation == 0 ? unsigned{kGenMask} : 2u << kGenShift);
    member_bits_ = static_cast<std::uint16_t>(kLinked | older);
  }
};

struct ShadowDecrefVisitor : GenerationDecrefVisitor {
  using Visitor::Mode;
  using Visitor::edges_lost_;
  using Visitor::met_member_;
  using Visitor::visits_;
  // `edges`: Mode::decref_edges, into a buffer of its own, first of room
  // for that many (a mapping: its pages are committed as they are
  // written), or for `fewer` if the system refuses that much.
  ShadowDecrefVisitor(std::uint16_t id, const RegionView& r, std::size_t edges,
                      std::size_t fewer) noexcept
      : GenerationDecrefVisitor(edges != 0 ? Mode::decref_edges : Mode::decref_shadow, id,
                                gc::kNumGenerations - 1) {
    set_shadow(r.base, r.size, r.shadow, r.pool_tags);
    if (edges != 0) {
      edge_begin_ = edge_out_ = map_entries(edges);
      if (edge_begin_ == nullptr && fewer != 0 && fewer < edges)
        edge_begin_ = edge_out_ = map_entries(edges = fewer);
      if (edge_begin_ != nullptr) edge_end_ = edge_begin_ + edges;
    }
  }
  ~ShadowDecrefVisitor() { unmap_entries(edge_begin_, capacity()); }
  std::size_t capacity() const noexcept {
    return static_cast<std::size_t>(edge_end_ - edge_begin_);
  }
  ShadowDecrefVisitor(const ShadowDecrefVisitor&) = delete;
  ShadowDecrefVisitor& operator=(const ShadowDecrefVisitor&) = delete;
  // No more edges are recorded (the log was given up).
  void stop_logging() noexcept { set_mode(Mode::decref_shadow); }
  bool logging() const noexcept { return mode() == Mode::decref_edges; }
  // The helper thread's walk (SharedWalk) keeps the visits and the edge
  // log's cursor in registers, and writes them back here before it takes
  // the visitor's own paths.
  using Visitor::edge_end_;
  using Visitor::edge_out_;
  using Visitor::grow_edges;
  using Visitor::object_of_word;
  using Visitor::visit_shadow_rare;
  // Edges recorded so far (the next one's offset).
  std::size_t edges() const noexcept { return static_cast<std::size_t>(edge_out_ - edge_begin_); }
  // The buffer, handed over with its capacity (nullptr if lost).
  std::uint32_t* take_edges(std::size_t& capacity) noexcept {
    std::uint32_t* p = edges_lost_ ? nullptr : edge_begin_;
    capacity = this->capacity();
    if (p != nullptr) edge_begin_ = edge_out_ = edge_end_ = nullptr;
    return p;
  }
};

// update_refs' step in the header, by a subtract walk that reaches the
// object: gc_refs = refcnt, unless a visit did it first (Mode::decref_young).
inline void touch(GcHead* gc) noexcept {
  std::uint16_t& f = flags_of(gc);
  if (!(f & kCollecting)) {
    f |= kCollecting;
    gc_refs(gc) = A::refcnt(from_gc(gc));
  }
}

// subtract_refs' step for one object of the generation: gc_refs is set on
// first touch (by the walk or by a visit), then what it references loses one.
inline void subtract_one(YoungDecrefVisitor& v, GcHead* gc) noexcept {
  Object* op = from_gc(gc);
  RCGC_DCHECK_AT(2, A::refcnt(op) > 0);
  touch(gc);
  if constexpr (RCGC_DEBUG_LEVEL >= 1) v.current = op;
  op->traverse(v);
}

// The order proof, by induction along the list, kept by a subtract walk
// (shadow_subtract on the shadow's words, subtract_refs_young and
// subtract_refs_ordered on gc_refs; `Slot` is what each notes: a word, a
// header). Forwards: an object no object before it references (the walk
// reaches it first) must end with a count above zero, a root; those are
// noted, and past kMost of them there is no proof. Backwards: an object
// whose count is zero right after its own traversal has no referrer after
// it and none outside: no proof. Either proof says every object is
// reachable, cycles or not; the first garbage object has no referrer
// before it and the last none after it, so garbage defeats both.
template <class Slot, std::size_t kMost>
class OrderProof {
 public:
  explicit OrderProof(bool on) noexcept : forwards_(on), backwards_(on) {}
  bool forwards() const noexcept { return forwards_; }
  bool backwards() const noexcept { return backwards_; }
  // The walk reached an object no object before it references.
  void unreferenced(Slot s) noexcept {
    if (noted_ < kMost)
      noted_slots_[noted_++] = s;
    else
      forwards_ = false;
  }
  // An object's count was zero right after its own traversal.
  void unreferenced_after() noexcept { backwards_ = false; }
  // Neither proof can hold any more.
  bool failed() const noexcept { return !forwards_ && !backwards_; }
  // Once the walk is over: `is_root` says whether a noted slot ended with
  // a count above zero.
  template <class IsRoot>
  bool holds(IsRoot is_root) noexcept {
    for (std::size_t k = 0; forwards_ && k < noted_; ++k) forwards_ = is_root(noted_slots_[k]);
    return forwards_ || backwards_;
  }

 private:
  bool forwards_, backwards_;
  std::size_t noted_ = 0;
  Slot noted_slots_[kMost];
};

// The proof on gc_refs: kCollecting not yet set when the walk touches an
// object says no object before it referenced it (a visit would have).
template <std::size_t kMost>
class HeaderOrderProof : public OrderProof<GcHead*, kMost> {
 public:
  using OrderProof<GcHead*, kMost>::OrderProof;
  // Before the walk touches gc (subtract_one).
  void before(GcHead* gc) noexcept {
    if (this->forwards() && !(flags_of(gc) & kCollecting)) this->unreferenced(gc);
  }
  // Right after gc's traversal.
  void after(GcHead* gc) noexcept {
    if (this->backwards() && gc_refs(gc) == 0) this->unreferenced_after();
  }
  bool holds() noexcept {
    return OrderProof<GcHead*, kMost>::holds([](GcHead* gc) { return gc_refs(gc) > 0; });
  }
};

// A subtract walk's object is a candidate for untrack_fixed if its type
// promises fixed references (and, in the shadow, its traversal met no
// member); untrack_fixed reads what it references. Types that do not declare
// references_fixed() cost a flag test. Without memory for the note it stays
// tracked: untracking is an economy, never needed.
inline void note_fixed(std::vector<GcHead*>& fixed, GcHead* gc) noexcept {
  if (!(flags_of(gc) & kTypeHook) || !from_gc(gc)->references_fixed()) return;
  try {
    fixed.push_back(gc);
  } catch (...) {
  }
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
std::atomic<std::size_t> g_mark_queue_limit{SIZE_MAX};  // set_mark_queue_limit

struct MarkVisitor : Visitor {
  // `objects`: the most the queue can ever hold (each object joins it once).
  MarkVisitor(const RegionView& r, std::size_t objects) noexcept
      : Visitor(&visit, Mode::mark), max_entries_(std::max(objects, kFirstCapacity)) {
    set_shadow(r.base, r.size, r.shadow);
  }
  ~MarkVisitor() { std::free(queue_buf_); }
  MarkVisitor(const MarkVisitor&) = delete;
  MarkVisitor& operator=(const MarkVisitor&) = delete;

  // The next object to traverse from the queue: the array's first, then
  // those linked through their gc_refs fields (when the array could not
  // grow); nullptr when both are empty.
  GcHead* pop() noexcept {
    if (read_ < queue_end_) {
      GcHead* gc = queue_buf_[read_++];
      if (read_ == queue_end_) read_ = queue_end_ = 0;  // empty: start over
      return gc;
    }
    GcHead* gc = linked_head_;
    if (gc != nullptr) {
      linked_head_ = reinterpret_cast<GcHead*>(gc->prev_bits);
      if (linked_head_ == nullptr) linked_tail_ = nullptr;
    }
    return gc;
  }
  // The array, for QueueLookahead: its next index, end, and entries.
  std::size_t read() const noexcept { return read_; }
  std::size_t end() const noexcept { return queue_end_; }
  GcHead* at(std::size_t i) const noexcept { return queue_buf_[i]; }
  std::size_t behind() const noexcept { return behind_; }
  // Whether some object was queued through its gc_refs field (a header
  // written: its prev link is lost until the sweep).
  bool linked() const noexcept { return linked_any_; }

 private:
  // The array is full (Visitor::enqueue): slide what is left of it to the
  // front, or move it to one four times larger; if that fails, link the
  // object through its gc_refs field (no allocation).
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<MarkVisitor&>(base);
    GcHead* gc = as_gc(op);
    if (!self.make_room()) {
      self.linked_any_ = true;
      gc->prev_bits = 0;
      if (self.linked_tail_ != nullptr)
        self.linked_tail_->prev_bits = reinterpret_cast<std::uintptr_t>(gc);
      else
        self.linked_head_ = gc;
      self.linked_tail_ = gc;
      return;
    }
    self.queue_buf_[self.queue_end_++] = gc;
  }
  bool make_room() noexcept {
    const std::size_t pending = queue_end_ - read_;
    if (read_ >= queue_cap_ / 2 && read_ > 0) {
      std::memmove(queue_buf_, queue_buf_ + read_, pending * sizeof(GcHead*));
      read_ = 0;
      queue_end_ = pending;
      return true;
    }
    const std::size_t cap =
        std::min({queue_cap_ == 0 ? kFirstCapacity : queue_cap_ * 4, max_entries_,
                  g_mark_queue_limit.load(std::memory_order_relaxed)});
    if (cap <= queue_cap_) return false;
    auto* buf = static_cast<GcHead**>(std::malloc(cap * sizeof(GcHead*)));
    if (buf == nullptr) return false;
    if (pending != 0) std::memcpy(buf, queue_buf_ + read_, pending * sizeof(GcHead*));
    std::free(queue_buf_);
    queue_buf_ = buf;
    queue_cap_ = cap;
    read_ = 0;
    queue_end_ = pending;
    return true;
  }
  static constexpr std::size_t kFirstCapacity = 1024;
  std::size_t max_entries_;
  std::size_t read_ = 0;
  GcHead* linked_head_ = nullptr;
  GcHead* linked_tail_ = nullptr;
  bool linked_any_ = false;
};

// A full collection walks a heap far larger than the caches, and the
// objects a traversal visits are anywhere in memory: one miss after another
// if each waits for the one before. Lookahead traverses the object
// `kLookahead` places ahead in the list with a visitor that only prefetches
// what it references, so those misses are in flight together, long before
// the walk needs them.
// Objects whose last prefetch traversal made more than kBigObject visits
// (runs of one repeated reference count once: a program's main container)
// are not traversed to prefetch again, which would iterate all of one once
// more per walk (a node-based map of 220k entries: 46 ms each time), nor
// sampled for the heap's shape (SampleVisitor). A hint only, shared by
// every heap: a stale or foreign entry costs one object's prefetch, or its
// place in the sample.
constexpr std::size_t kBigObject = 4096;
constexpr std::size_t kBigObjects = 4;
std::atomic<const Object*> g_big[kBigObjects];
std::atomic<std::size_t> g_big_next{0};
bool is_big(const Object* op) noexcept {
  for (auto& b : g_big)
    if (b.load(std::memory_order_relaxed) == op) return true;
  return false;
}
void remember_big(const Object* op) noexcept {
  g_big[g_big_next.fetch_add(1, std::memory_order_relaxed) % kBigObjects].store(
      op, std::memory_order_relaxed);
}
// After a traversal of op that reported `visits` references: remembers op
// as big when they were more than kBigObject, unless it is already (a walk
// that traverses every object, such as the shadow's subtract, meets it in
// every collection: it keeps one slot, not one more each time).
inline void note_big(const Object* op, std::size_t visits) noexcept {
  if (RCGC_UNLIKELY(visits > kBigObject) && !is_big(op)) remember_big(op);
}

// A visitor that counts its visits in visits_ (the lookaheads' and the
// shape sample's): traverses an object and remembers it as big when it
// reported more than kBigObject references.
struct BigNotingVisitor : Visitor {
  using Visitor::Visitor;
  void traverse_noting_big(Object* op) noexcept {
    const std::size_t before = visits_;
    op->traverse(*this);
    note_big(op, visits_ - before);
  }
};

struct PrefetchVisitor : BigNotingVisitor {
  explicit PrefetchVisitor(const RegionView& r) noexcept
      : BigNotingVisitor(&visit, Mode::prefetch) {
    set_shadow(r.base, r.size, r.shadow);
  }
  // Prefetches what op references, unless it is big.
  void prefetch_for(Object* op) noexcept {
    if (!is_big(op)) traverse_noting_big(op);
  }
  static void visit(Visitor&, Object*) {}  // never called: Mode::prefetch is inline
};
constexpr int kLookahead = 16;

// A full collection that keeps every object relinks the list in address
// order (relink_by_address) when more than one step in kRelinkScattered of
// the list does not go on a little ahead (kStreamStep) of the object
// before: objects of several sizes made in turn, each size in pools of its
// own, or blocks reused after frees. Walking a few such sequences in turn
// is slower than walking each alone (allocator.md, "Arena kinds"): on the
// helper's GUI heap (489k objects) init took 8-13 ms and the subtract pass
// 40-45 against 3.5-4.7 and 27-40 once relinked. Counted on the edge log's
// index (the list's order in shadow words), after the mark. A list in the
// order its references go (a tree made from its root) loses that order,
// and its mark then queues what it reached as it walked (parse_tree: mark
// 9 -> 14-19 ms), but its other walks gain about as much (parse_tree 0.99
// the time over 7 alternated runs).
//
// A list whose order proves that nothing is garbage (ShadowSubtract::
// ordered) spares every later collection its mark (and its edge log) while
// the order lasts, and relinking usually breaks it. Such a list is relinked
// only when its walk jumps about: when more than one step in
// kRelinkJumping continues none of the last kStreams sequences it walked
// (jumping_steps). The parse trees of bench/gc/unseen and the SSA heap of
// unseen2, made in a few interleaved sequences, keep their order (whole
// collection 0.67x and 0.87x against relinking them); the social network of
// unseen3 and the actors of unseen2, whose lists jump between blocks
// scattered by frees (46% and 17% of their steps), are relinked (keeping
// them cost 1.35x and 2x).
constexpr std::size_t kStreamStep = 16;  // words: 512 bytes
constexpr std::size_t kRelinkScattered = 8;
constexpr std::size_t kStreams = 4;
constexpr std::size_t kRelinkJumping = 16;

class Lookahead {
 public:
  // `backwards`: for a walk from the last object to the first (through the
  // prev links, which must be intact).
  Lookahead(GcList& list, const RegionView& r, bool backwards = false) noexcept
      : ahead_(backwards ? list.last() : list.first()), end_(list.end()), backwards_(backwards),
        v_(r) {
    for (int i = 0; i < kLookahead; ++i) step();
  }
  void step() noexcept {
    if (ahead_ == end_) return;
    v_.prefetch_for(from_gc(ahead_));
    ahead_ = backwards_ ? ahead_->prev() : ahead_->next;
  }

 private:
  GcHead* ahead_;
  GcHead* end_;
  bool backwards_;
  PrefetchVisitor v_;
};

// Whether `list` holds at least n objects (walks no further than n).
bool at_least(GcList& list, std::size_t n) noexcept {
  for (GcHead* gc = list.first(); gc != list.end() && n > 0; gc = gc->next) --n;
  return n == 0;
}

// The shape of a large heap, sampled from its last few thousand objects
// and references, decides how a full collection walks it.
//
// Prefetching: the queue's lookahead, when the heap is large (beyond the
// caches; below that the prefetch traversal is pure cost). The walks', when
// it is also made of objects whose references mostly lead far from them,
// and few of them per object. A heap built in one go from the root has its
// children next door, which the hardware prefetcher streams; an object with
// many far references (a B-tree node) already has their misses in flight
// together within its own traversal. Either way an extra traversal per
// object would only cost. Repeated references to one far object (a shared,
// cache-hot constant) do not count as far, nor does a far reference next
// to the one before it: a stream through other memory (the untracked
// values made with the objects, in arenas of their own; the items of one
// list of everything), which the hardware prefetcher follows.
//
// Order: whether references lead backwards in the list (more than twice as
// many as lead forwards: a doubly linked list or ring, half each way, is
// not bottom-up whichever end the sample starts from), to objects
// made before the one referencing them (a heap built bottom-up: parsed
// JSON, nested lists, trees made children first). The sampled objects are
// the list's last ones, numbered as the walk meets them from the end; a
// reference to one not yet met leads backwards. From the end, not the
// start: a program's big containers are usually made first (an
// interpreter's module dicts, a cache's map), and the sample would
// traverse all of one that iterates slowly (a node-based map of 220k
// entries: 46 ms, a fifth of the collection).
//
// A large heap whose references lead far, or backwards, keeps its state in
// the shadow (Collector::shadow_subtract): far references then touch shadow
// words instead of objects, and a heap built bottom-up is marked walking
// backwards, which headers cannot do (gc_refs overwrites the prev links).
// "Far" for this: more than one sampled reference in nine, from more than
// one sampled object in 64, whether few or many per object (objects whose
// attribute dicts reference others anywhere, a B-tree's nodes: 1.7x and
// 2x faster in the shadow, side by side); a heap whose far references all
// come from one list of everything stays in the headers, as do trees made
// from the root, rings and linked lists, whose references stay near (there
// the shadow's extra walk costs 5-20%). A heap whose references go a third
// or more to untracked objects (lists of small lists of ints) goes to the
// shadow too: its visits read a word, not each untracked object, and the
// mark does not traverse what reaches no member (list_of_pairs 24 -> 17 ns
// per object).
struct HeapShape {
  bool large = false;      // at least kLarge objects: prefetch for the queue
  bool walks = false;      // prefetch for the walks themselves
  bool bottom_up = false;  // references lead backwards in the list, two to one
  bool far_apart = false;  // many objects reference far away
  bool untracked = false;  // a third of the references or more are to untracked objects
};

class SampleVisitor : public BigNotingVisitor {
 public:
  explicit SampleVisitor(std::uint16_t heap_id) noexcept
      : BigNotingVisitor(&visit), heap_id_(heap_id) {}
  static constexpr std::size_t kObjects = 4096;
  static constexpr std::size_t kVisits = 4096;  // references sampled, at most
  static constexpr std::size_t kSlots = 2 * kObjects;  // open addressing, at most half full

  // The next object of the list: numbered, then traversed; unless it is
  // big (is_big: the lookaheads' record, which the sample keeps too).
  // Sampling stops taking references after kVisits, but a big object's
  // traversal still reports every one of them: the sample took 2.8 ms of
  // GUI's collection and 5.0 of the actors' (medians; 0.41 and 0.57 with
  // the skip, the sample then holding the objects after it; no workload's
  // path changed). The first collection that meets it still samples it,
  // unless a shadow collection's subtract walk marked it big before.
  void sample(Object* op) noexcept {
    if (is_big(op)) return;
    from_ = reinterpret_cast<std::uintptr_t>(op);
    if (met_ != nullptr) {
      std::size_t i = slot(from_);
      while (met_[i] != 0) i = (i + 1) & (kSlots - 1);
      met_[i] = from_;
    }
    ++objects;
    std::size_t far_before = far;
    traverse_noting_big(op);
    if (far != far_before) ++objects_with_far;
  }
  std::size_t near = 0, far = 0, objects = 0, objects_with_far = 0;
  std::size_t back = 0, ahead = 0;
  std::size_t untracked = 0;  // visits of objects without traverse()

 private:
  static bool close(std::uintptr_t a, std::uintptr_t b) noexcept {
    return (a > b ? a - b : b - a) <= (std::uintptr_t{64} << 10);
  }
  static std::size_t slot(std::uintptr_t a) noexcept {
    return static_cast<std::size_t>((a >> 4) * 0x9E3779B97F4A7C15ull >> 51) & (kSlots - 1);
  }
  bool met(std::uintptr_t a) const noexcept {
    for (std::size_t i = slot(a); met_[i] != 0; i = (i + 1) & (kSlots - 1))
      if (met_[i] == a) return true;
    return false;
  }
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<SampleVisitor&>(base);
    ++self.visits_;  // every reference reported, sampled or not
    // The sample is complete: the rest of a large object's references (the
    // program's main container, often made first) only cost.
    if (self.near + self.far >= kVisits) return;
    std::uintptr_t to = reinterpret_cast<std::uintptr_t>(op);
    if (close(to, self.from_)) {
      ++self.near;
    } else if (close(to, self.last_far_)) {
      // Far from the object, near the last far reference: a stream through
      // other memory (the untracked values made with the objects, in
      // arenas of their own), which the hardware prefetcher follows; or
      // a run of references to one far object.
      ++self.near;
      self.last_far_ = to;
    } else {
      ++self.far;
      self.last_far_ = to;
    }
    if (!(A::flags(op) & kTracked)) ++self.untracked;
    if (self.met_ == nullptr) return;
    if (self.met(to)) {
      ++self.ahead;  // met already: later in the list
    } else {
      std::uint16_t f = A::flags(op);
      if (A::heap(op) == self.heap_id_ && (f & kLinked) &&
          ((f & kGenMask) >> kGenShift) != kPermanentGen)
        ++self.back;  // a member of the collection, earlier in the list
    }
  }

  std::uint16_t heap_id_;
  std::uintptr_t from_ = 0;
  std::uintptr_t last_far_ = 0;
  std::unique_ptr<std::uintptr_t[]> table_{new (std::nothrow) std::uintptr_t[kSlots]()};
  std::uintptr_t* met_ = table_.get();  // nullptr: no memory, order unknown
};

// `counted`: the objects the heap's counts give generation 2 (its size
// after the last full collection and its net growth since, deaths taken
// off: Shadow.HeapThatShrankIsNotLarge). Twice kLarge or more is large
// without walking the list to find out: a pointer chase that took 2.6 ms
// of the 32 of a full collection of unseen2's GUI heap, whose list, in
// allocation order, jumps about memory. The shape only chooses how the
// collection walks, so a count that is off costs time, never a result.
HeapShape shape_of(GcList& list, std::uint16_t heap_id, std::size_t counted) noexcept {
  constexpr std::size_t kLarge = 64 * 1024;  // objects
  constexpr std::size_t kSampleVisits = SampleVisitor::kVisits;
  constexpr std::size_t kFewPerObject = 8;
  // Far apart: more than one reference in nine leads far, from more than
  // one object in 64 (not a single list of everything).
  constexpr std::size_t kFarShare = 8;
  constexpr std::size_t kObjectsWithFar = 64;
  if (counted < 2 * kLarge && !at_least(list, kLarge)) return {};  // it fits in the caches
  SampleVisitor v(heap_id);
  for (GcHead* gc = list.last(); gc != list.end() && v.near + v.far < kSampleVisits &&
                                 v.objects < SampleVisitor::kObjects;
       gc = gc->prev())
    v.sample(from_gc(gc));
  return {true, v.far > v.near && v.far < kFewPerObject * v.objects_with_far,
          v.back > 2 * v.ahead,
          v.far * kFarShare > v.near && v.objects_with_far * kObjectsWithFar > v.objects,
          3 * v.untracked >= v.near + v.far && v.untracked != 0};
}

// The same for mark_reachable's queue, which grows while it is drained:
// up to kLookahead objects behind the one just taken, each is traversed
// once to prefetch what it references, and up to twice as far, each has its
// header prefetched first (that traversal reads it). How far each has got
// is counted from the queue's next entry, which sliding, growing or
// emptying the array leaves in place.
class QueueLookahead {
 public:
  explicit QueueLookahead(const RegionView& r) noexcept : v_(r) {}
  // After an object was taken from the queue (the next entry moved on).
  void popped(const MarkVisitor& q) noexcept {
    if (traversed_ > 0) --traversed_;
    if (headers_ > 0) --headers_;
    const std::size_t queued = q.end() - q.read();
    for (const std::size_t n = std::min(queued, 2 * std::size_t{kLookahead}); headers_ < n;)
      __builtin_prefetch(q.at(q.read() + headers_++));
    for (const std::size_t n = std::min(queued, std::size_t{kLookahead}); traversed_ < n;)
      v_.prefetch_for(from_gc(q.at(q.read() + traversed_++)));
  }

 private:
  std::size_t traversed_ = 0;  // entries after the queue's next, prefetched for
  std::size_t headers_ = 0;    // and whose headers were prefetched
  PrefetchVisitor v_;
};

// RCGC_GC_SHADOW_MIN=N (objects) makes every full collection of N objects
// or more keep its state in the shadow, whatever the heap's shape (-1: by
// the shape). The tests run with 0, so that every full collection goes
// through the shadow.
long long shadow_min_from_env() noexcept {
  const char* e = std::getenv("RCGC_GC_SHADOW_MIN");
  if (e == nullptr || *e == '\0') return -1;
  char* end = nullptr;
  unsigned long long v = std::strtoull(e, &end, 10);
  if (*end != '\0' || v > (1ULL << 62)) {
    std::fprintf(stderr, "rcgc: RCGC_GC_SHADOW_MIN=%s is not a number of objects; ignored\n", e);
    return -1;
  }
  return static_cast<long long>(v);
}
// Read on first use, not at static initialisation: a collection started by
// another file's static initialiser must see the setting too.
constexpr long long kShadowMinUnread = -2;
constinit std::atomic<long long> g_shadow_min{kShadowMinUnread};
long long shadow_min() noexcept {
  long long v = g_shadow_min.load(std::memory_order_relaxed);
  if (v == kShadowMinUnread) {
    g_shadow_min.compare_exchange_strong(v, shadow_min_from_env(), std::memory_order_relaxed);
    v = g_shadow_min.load(std::memory_order_relaxed);
  }
  return v;
}
std::atomic<std::size_t> g_shadow_collections{0};
std::atomic<std::size_t> g_shadow_backwards{0};
std::atomic<std::size_t> g_shadow_without_sweep{0};
std::atomic<std::size_t> g_shadow_leaves{0};
std::atomic<std::size_t> g_shadow_edge_marks{0};
std::atomic<std::size_t> g_shadow_prefetched_marks{0};
std::atomic<std::size_t> g_shadow_relinks{0};
std::atomic<std::size_t> g_edge_buffer_growths{0};
std::atomic<std::size_t> g_shadow_ordered{0};
std::atomic<std::size_t> g_shadow_unordered_unlogged{0};
std::atomic<std::size_t> g_list_collections{0};
std::atomic<std::size_t> g_list_ordered{0};
std::atomic<std::size_t> g_young_order_first{0};
std::atomic<std::size_t> g_young_order_first_failed{0};
std::atomic<std::size_t> g_young_by_roots{0};
std::atomic<std::size_t> g_edge_log_limit{SIZE_MAX};  // set_edge_log_limit

// Whether a full collection keeps its state in the shadow: on a large heap
// whose shape asks for it (HeapShape), or whose last two full collections
// found it ordered (`expect_ordered`, HeapState::ordered_runs), unless
// RCGC_GC_SHADOW_MIN says. An ordered heap costs the shadow its subtract
// and the clearing of its words, against the headers' subtract and a walk
// that restores every prev link (keep_all): the doubly linked list of
// gc_bench 6.7 + 0.4 ms against 5.2 + 2.5-2.7, the tree made root first
// 6.3-6.5 ns per object against 8.0-8.2. But a heap that has turned to
// garbage costs the shadow more: create_gc_cycles' rings, proved ordered
// while alive and dropped, took 39-40 ns per object there against 31-33 in
// the headers. Two ordered collections in a row, not one, then: that
// benchmark collects once before its rings die.
bool use_shadow(GcList& young, const HeapShape& shape, bool expect_ordered) noexcept {
  long long forced_min = shadow_min();
  if (forced_min >= 0) return at_least(young, static_cast<std::size_t>(forced_min));
  return shape.large && (expect_ordered || shape.walks || shape.bottom_up || shape.far_apart ||
                         shape.untracked);
}

// A member's word after the subtract walk (or, for the order proof, after
// its own traversal) says it is referenced from outside (or, before the
// walk is over, by members not yet traversed): a count above zero, or a
// root's kShadowReached.
inline bool counted_root(std::uint32_t w) noexcept {
  return (w & (kShadowCount | kShadowReached)) != 0;
}

// Which way the shadow mark walks the list. An object referenced from
// outside at one end of the list and not at the other (the root made last,
// holding everything; a tree made from its root) says: from that end, the
// walk reaches what it passes instead of queueing it. Otherwise the
// subtract pass's count of which way references lead (`most_backwards`).
bool mark_backwards(GcList& young, const RegionView& shadow, bool most_backwards) noexcept {
  if (young.first() == young.end()) return most_backwards;
  const std::uint32_t* first = shadow.word(from_gc(young.first()));
  const std::uint32_t* last = shadow.word(from_gc(young.last()));
  if (first == nullptr || last == nullptr) return most_backwards;
  if (counted_root(*first) != counted_root(*last)) return counted_root(*last);
  return most_backwards;
}

// The way the shadow mark walks, from what the last marks of the heap met.
// mark_backwards guesses from the list's ends and the references' balance;
// the guess can be wrong after a relink (the fifth set's build graph: its
// forwards mark passed 340,423 of 340,425 members before reaching them,
// walking backwards 63,009; the object model and the social network the
// same). When the guessed way passed more than half the members
// unreached, the next mark walks the other way, and once both ways have
// been walked, the one that passed fewer: counts, not times, so the
// host's noise cannot make it flip. A relink forgets both.
std::atomic<int> g_mark_direction_guess{-1};  // set_mark_direction_guess
bool mark_direction(const std::array<std::uint16_t, 2>& passed, bool guess) noexcept {
  const int forced = g_mark_direction_guess.load(std::memory_order_relaxed);
  if (forced >= 0) guess = forced == 1;
  constexpr std::uint16_t kUnknown = HeapState::kMarkShareUnknown;
  const std::uint16_t mine = passed[guess], other = passed[!guess];
  if (mine == kUnknown) return guess;
  if (other == kUnknown) return mine > 500 ? !guess : guess;
  return other < mine ? !guess : guess;
}

// One collection at a time uses the shadow (collections of heaps in other
// threads meanwhile use headers): a word then belongs to the collection
// that set it, whatever heaps reference each other.
std::atomic<bool> g_shadow_busy{false};

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
                                           int generation, bool lookahead,
                                           std::vector<GcHead*>* fixed, bool* ordered) noexcept {
  YoungDecrefVisitor v(heap_id, generation);
  std::optional<Lookahead> ahead;
  if (lookahead) ahead.emplace(young, RegionView{});
  HeaderOrderProof<1024> proof(ordered != nullptr);
  std::size_t n = 0;
  for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next, ++n) {
    if (ahead) ahead->step();
    proof.before(gc);
    subtract_one(v, gc);
    proof.after(gc);
    if (fixed != nullptr) note_fixed(*fixed, gc);
  }
  if (ordered != nullptr) *ordered = proof.holds();
  return n;
}

bool Collector::young_ordered(GcList& young, std::uint16_t heap_id, int generation,
                              std::size_t& walked, std::size_t& untracked) noexcept {
  YoungDecrefVisitor v(heap_id, generation);
  v.watch_order_alone(generation);
  walked = 0;
  untracked = 0;
  for (GcHead* gc = young.first(), *next; gc != young.end(); gc = next) {
    next = gc->next;
    flags_of(gc) |= kPassed;
    ++walked;
    v.walk_at_ = from_gc(gc);
    v.met_tracked_ = false;
    if constexpr (RCGC_DEBUG_LEVEL >= 1) v.current = from_gc(gc);
    from_gc(gc)->traverse(v);
    if (RCGC_UNLIKELY(v.both_ways())) {
      // The subtraction that follows watches the order with kPassed too:
      // the objects walked must not look passed to it.
      for (GcHead* p = young.first(); p != gc->next; p = p->next) flags_of(p) &= ~kPassed;
      return false;
    }
    if (!v.met_tracked_ && (flags_of(gc) & kTypeHook) && from_gc(gc)->references_fixed()) {
      // Its links are intact (no gc_refs in this walk). A parent made after
      // its children, walked after them, finds them untracked already.
      // (Inline, not noted for untrack_fixed: that traverses each again and
      // keep_all walks it first; binary-trees at depth 16 was 0.246 s that
      // way against 0.198 inline, best of 5 alternated.)
      flags_of(gc) &= static_cast<std::uint16_t>(~(kLinked | kCollectorFlags));
      GcList::remove(gc);
      ++untracked;
    }
  }
  return true;
}

std::size_t Collector::subtract_refs_ordered(GcList& young, std::uint16_t heap_id,
                                             int generation, bool& ordered, bool& by_roots,
                                             std::vector<GcHead*>* fixed) noexcept {
  YoungDecrefVisitor v(heap_id, generation);
  v.watch_order(true);
  HeaderOrderProof<64> proof(true);
  std::size_t n = 0;
  GcHead* gc = young.first();
  for (; gc != young.end(); gc = gc->next, ++n) {
    flags_of(gc) |= kPassed;
    v.walk_at_ = from_gc(gc);
    proof.before(gc);
    subtract_one(v, gc);
    proof.after(gc);
    if (fixed != nullptr) note_fixed(*fixed, gc);
    // Once references have led both ways, only subtract; once the roots'
    // proof has failed too, without keeping it (the rest of the walk).
    if (RCGC_UNLIKELY(v.both_ways())) {
      v.watch_order(false);
      if (proof.failed()) {
        gc = gc->next;
        ++n;
        break;
      }
    }
  }
  for (; gc != young.end(); gc = gc->next, ++n) {
    subtract_one(v, gc);
    if (fixed != nullptr) note_fixed(*fixed, gc);
  }
  by_roots = v.both_ways() && !proof.failed() && proof.holds();
  ordered = !v.both_ways() || by_roots;
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
                                      std::uint16_t new_gen, std::size_t objects,
                                      bool lookahead, bool queue_lookahead) noexcept {
  const MarkResult m =
      mark(young, lookahead, queue_lookahead, RegionView{}, false, new_gen, objects);
  return sweep_reached(young, unreachable, new_gen, m);
}

MarkResult Collector::mark(GcList& young, bool lookahead, bool queue_lookahead,
                           const RegionView& shadow, bool backwards, std::uint16_t new_gen,
                           std::size_t objects) noexcept {
  GcHead* head = young.end();
  // Mark, in list order: an object is traversed when the walk gets to it if
  // it has references from outside (gc_refs > 0) or was reached from one
  // traversed before; an object reached after the walk passed it joins a
  // queue (an array; linked through gc_refs fields if it cannot grow),
  // drained at once, in the order reached. A heap allocated parents first (a tree) is walked in memory
  // order without the queue; the list's next links are not touched. Both
  // the walk and the queue prefetch ahead (Lookahead). The state of an
  // object in the shadow's region is in its shadow word, of any other in
  // its header. `backwards`: the walk goes from the last object to the
  // first (prev links intact: every object's state is in the shadow).
  MarkVisitor v(shadow, objects);
  QueueLookahead queue_ahead(shadow);
  std::optional<Lookahead> ahead;
  if (lookahead) ahead.emplace(young, shadow, backwards);
  // Keeping as it goes: an object traversed before the walk passed any
  // unreached one is reachable and needs its header no more (nothing can be
  // queued yet: only an object passed unreached joins the queue; a later
  // visit finds it no longer kCollecting and leaves it). Its prev link is
  // restored from the object kept before it, as the sweep would.
  const bool keep_going = shadow.size == 0 && !backwards;
  MarkResult m;
  GcHead* kept_until = head;
  for (GcHead* gc = backwards ? head->prev() : head->next; gc != head;
       gc = backwards ? gc->prev() : gc->next) {
    if (ahead) ahead->step();
    if (std::uint32_t* w = shadow.word(from_gc(gc))) {
      const Pass p = shadow_pass(*w);
      if (p == Pass::unreached) ++m.passed_unreached;
      if (p != Pass::traverse) continue;
    } else {
      std::uint16_t& f = flags_of(gc);
      f |= kPassed;
      if (!(f & kReached)) {
        if (gc_refs(gc) == 0) {  // nothing yet says it is reachable
          ++m.passed_unreached;
          continue;
        }
        f |= kReached;
      }
    }
    from_gc(gc)->traverse(v);
    if (keep_going && m.passed_unreached == 0) {
      keep(gc, kept_until, new_gen);
      kept_until = gc;
      ++m.kept;
      continue;
    }
    while (GcHead* behind = v.pop()) {
      if (queue_lookahead) queue_ahead.popped(v);
      from_gc(behind)->traverse(v);
    }
  }
  if (m.kept != 0) m.kept_until = kept_until;
  m.reached_behind = v.behind();
  m.linked = v.linked();
  return m;
}

std::size_t Collector::sweep_reached(GcList& young, GcList& unreachable,
                                     std::uint16_t new_gen, const MarkResult& marked,
                                     const RegionView& shadow) noexcept {
  // What was not reached leaves for `unreachable` (as move_unreachable
  // leaves it, kCollecting and kUnreachable set); the rest stays in its
  // order, prev links restored. Shadow words are left for the caller
  // (PoolAllocator::clear_shadow).
  GcHead* head = young.end();
  GcHead* last_kept = marked.kept_until != nullptr ? marked.kept_until : head;
  std::size_t kept = marked.kept;
  for (GcHead* gc = last_kept->next; gc != head;) {
    GcHead* next = gc->next;
    bool reached;
    if (std::uint32_t* w = shadow.word(from_gc(gc))) {
      reached = (*w & kShadowReached) != 0;
      if (!reached) flags_of(gc) |= kCollecting;
    } else {
      reached = (flags_of(gc) & kReached) != 0;
    }
    if (reached) {
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

static std::size_t scattered_steps(const EdgeLog& log) noexcept {
  // Steps not a little ahead of the object before. In blocks with a 32-bit
  // count and no dependence between steps, which the compiler vectorises.
  const std::uint32_t* const x = log.index;
  std::size_t n = 0;
  constexpr std::size_t kBlock = 1u << 16;
  for (std::size_t at = 1; at < log.objects; at += kBlock) {
    const std::size_t end = std::min(log.objects, at + kBlock);
    std::uint32_t c = 0;
    for (std::size_t i = at; i < end; ++i) c += x[i] - x[i - 1] >= kStreamStep;
    n += c;
  }
  return n;
}

// Steps of the list that continue none of the last kStreams sequences of
// words it walked (a step a little ahead of a sequence's last word
// continues it; one that does not starts a sequence, in place of the
// oldest).
static std::size_t jumping_steps(const EdgeLog& log) noexcept {
  const std::uint32_t* const x = log.index;
  std::uint32_t last[kStreams] = {};
  std::size_t oldest = 0, n = 0;
  for (std::size_t i = 0; i < log.objects; ++i) {
    std::size_t s = 0;
    while (s < kStreams && x[i] - last[s] >= kStreamStep) ++s;
    if (s == kStreams) {
      s = oldest;
      oldest = (oldest + 1) % kStreams;
      ++n;
    }
    last[s] = x[i];
  }
  return n;
}

bool Collector::relink_by_address(GcList& young, std::uint16_t new_gen,
                                  const RegionView& shadow, std::size_t members) noexcept {
  // Under the debug hooks a block starts with the hooks' own header, not
  // the object's: the list keeps its order.
  if (Allocator::debug_enabled()) return false;
  const PoolAllocator& pools = h_.alloc.impl()->pools();
  const std::uint16_t heap_id = h_.id;
  auto member = [&](char* block) -> Object* {
    Object* op = from_gc(reinterpret_cast<GcHead*>(block));
    const std::uint32_t* w = shadow.word(op);
    if (w == nullptr || !(*w & kShadowMember)) return nullptr;
    // Its header, which the relink writes anyway, agrees.
    return A::heap(op) == heap_id && (A::flags(op) & kLinked) ? op : nullptr;
  };
  std::size_t found = 0;
  pools.for_each_tracked_block([&](char* block) { found += member(block) != nullptr; });
  if (found != members) return false;
  GcHead* const head = young.end();
  GcHead* last = head;
  pools.for_each_tracked_block([&](char* block) {
    if (Object* op = member(block)) {
      GcHead* gc = as_gc(op);
      keep(gc, last, new_gen);
      last->next = gc;
      last = gc;
    }
  });
  last->next = head;
  head->set_prev(last);
  g_shadow_relinks.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Collector::keep_all_in_shadow(GcList& young, std::uint16_t new_gen,
                                   const RegionView& shadow, std::size_t members,
                                   bool relink) noexcept {
  // Every object is reached and in the region, so nothing leaves the list
  // and no header was written: the words go back to zero arena by arena
  // (a table an eighth of the heap, not the heap), and only the objects of
  // the younger generations, merged in at the end, need their generation.
  if (!relink || !relink_by_address(young, new_gen, shadow, members)) {
    for (GcHead* gc = young.last();
         gc != young.end() && ((flags_of(gc) & kGenMask) >> kGenShift) != new_gen;
         gc = gc->prev())
      set_generation(from_gc(gc), new_gen);
  }
  h_.alloc.impl()->pools().clear_shadow();
  if constexpr (RCGC_DEBUG_LEVEL >= 2) {
    for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next) {
      RCGC_DCHECK_AT(2, *shadow.word(from_gc(gc)) == 0);
      RCGC_DCHECK_AT(2, ((flags_of(gc) & kGenMask) >> kGenShift) == new_gen);
      RCGC_DCHECK_AT(2, !(flags_of(gc) & kCollectorFlags));
    }
  } else {
    (void)shadow;
  }
}

namespace {

// The words' side of the shadow's subtract walk (Collector::shadow_subtract):
// what the walk's arrival at an object and the end of its traversal do to
// its word, the order proof, the edge log's arrays, and the visitor that
// applies each visit to a word (v). Run by the collecting thread alone, or
// by the helper thread from the stream the collecting thread writes (then
// in the same order, so with the same result).
class ShadowWalk {
 public:
  ShadowWalk(std::uint16_t heap_id, const RegionView& shadow, EdgeLog* log) noexcept
      : v(heap_id, shadow, log != nullptr ? room(log, log->edges_per_object) : 0,
          log != nullptr ? room(log, EdgeLog::kEdgesPerObject) : 0),
        shadow_(shadow),
        log_(log) {}

  // update_refs' step as the walk reaches op, before its traversal (a
  // reference to itself then points backwards): gc_refs = refcnt less the
  // references from the objects walked before it, which its word counted
  // down from zero. w is nullptr outside the region, where the caller
  // keeps gc_refs in the header (touch). `op` is nullptr on the helper
  // thread, which knows only w.
  void arrive(Object* op, std::uint32_t* w, std::uint32_t rc) noexcept {
    RCGC_DCHECK_AT(2, rc > 0);
    if (w != nullptr) {
      const std::uint32_t before = *w;
      RCGC_DCHECK(before == 0 || before >= kShadowAheadFloor);
      const std::uint32_t p = 0u - before;  // at most 2^28
      if constexpr (RCGC_DEBUG_LEVEL >= 1) {
        if (RCGC_UNLIKELY(p > rc)) fatal_refcount_too_small(op != nullptr ? op : v.object_of_word(w));
      }
      ahead_ += p;
      // A count beyond the word's field (2^28 references, or as many from
      // the objects before it): reachable from outside for all practical
      // purposes, so a root, and no member: visits leave its word alone.
      const bool counted = rc < kShadowCount && p <= rc;
      *w = counted ? kShadowBehind | (rc - p) : kShadowReached | kShadowWalked;
      // (Tested first: a heap that has disproved it costs no branch on p.)
      if (proof_.forwards() && p == 0 && counted) proof_.unreferenced(w);
    } else {
      ++r_.outside;
      // Its gc_refs overwrites its prev link: no log (nor a backwards walk).
      if (log_ != nullptr) give_up_log();
    }
    if (log_ != nullptr) {
      if (RCGC_UNLIKELY(i_ == log_->capacity)) {  // more than the allocator counted
        give_up_log();
      } else {
        log_->index[i_] = static_cast<std::uint32_t>(w - shadow_.shadow);  // in the region
        log_->start[i_] = static_cast<std::uint32_t>(v.edges());
      }
    }
  }

  // After the traversal of the object whose word is w; `leaf` if it met no
  // member. Whether the object is marked a leaf.
  bool leave(std::uint32_t* w, bool leaf) noexcept {
    ++i_;
    if (w == nullptr) return false;
    if (proof_.backwards() && !counted_root(*w)) proof_.unreferenced_after();
    if (!leaf) return false;
    *w |= kShadowLeaf;
    ++r_.leaves;
    return true;
  }

  ShadowSubtract finish() noexcept {
    r_.members = i_;
    r_.ordered =
        r_.outside == 0 && proof_.holds([](std::uint32_t* w) { return counted_root(*w); });
    // References ahead of the walk less those behind it (a reference to an
    // object that never was walked counts as behind).
    r_.backwards = 2 * ahead_ < v.visits_;
    if (log_ != nullptr) {
      log_->objects = i_;
      log_->start[i_] = static_cast<std::uint32_t>(v.edges());
      log_->edges = v.take_edges(log_->edge_capacity);
      if (log_->edges == nullptr) log_->release();
    }
    return r_;
  }

  ShadowDecrefVisitor v;

  // Room for `per_object` references to a member per object at first (4,
  // or what the heap's last full collection needed): pages are committed
  // only as written, and a buffer that fills up is copied to one four
  // times larger.
  static std::size_t room(const EdgeLog* log, std::size_t per_object) noexcept {
    return std::min({per_object * log->capacity + 1, std::size_t{UINT32_MAX},
                     g_edge_log_limit.load(std::memory_order_relaxed)});
  }

 private:
  void give_up_log() noexcept {
    log_->release();
    log_ = nullptr;
    v.stop_logging();
  }

  const RegionView& shadow_;
  EdgeLog* log_;
  ShadowSubtract r_;
  std::size_t i_ = 0;
  std::size_t ahead_ = 0;  // references counted before the walk reached their object
  // The order proof (ShadowSubtract::ordered, OrderProof) on the words: a
  // member whose word was still zero when the walk got there had no
  // referrer before it; a member's count right after its own traversal
  // has counted its references to itself.
  OrderProof<std::uint32_t*, 1024> proof_{true};
};

// The collecting thread's side of a shared subtract walk: Mode::stream.
// The stream holds, for each object the walk reaches, its word's index
// (kStreamOutside outside the region), its refcnt (at most 2^31 - 1: any
// count from 2^28 on makes it a root), what its traversal met (word
// indices, kStreamCount before a count above one: Mode::stream), and
// kStreamLeave, with bit 0 set if the traversal met no member (a leaf).
// kStreamEnd where a word's index would be ends the walk.
enum : std::uint32_t { kStreamOutside = 0xFFFFFFFFu, kStreamEnd = 0xFFFFFFFEu };
struct StreamVisitor : GenerationDecrefVisitor {
  using Visitor::met_member_;
  using Visitor::visits_;
  StreamVisitor(std::uint16_t id, const RegionView& r, Stream& s) noexcept
      : GenerationDecrefVisitor(Mode::stream, id, gc::kNumGenerations - 1) {
    set_shadow(r.base, r.size, r.shadow, r.pool_tags);
    stream_ = &s;
    stream_out_ = s.first_span(stream_end_);
    published_ = stream_out_;
  }
  void arrive(std::uint32_t index, std::uint32_t rc) noexcept {
    stream_put(index);
    stream_put(std::min<std::uint32_t>(rc, 0x7FFFFFFFu));
  }
  // After the traversal. The entries are published every kBatch or so
  // (and whenever a span fills up): the helper then reads the line that
  // says how far it may read once a batch, not once an object.
  void leave(bool leaf) noexcept {
    stream_put(kStreamLeave | (leaf ? 1u : 0u));
    if (stream_out_ - published_ >= kBatch || stream_out_ < published_) publish();
  }
  void end() noexcept {
    stream_put(kStreamEnd);
    publish();
  }

 private:
  static constexpr std::ptrdiff_t kBatch = 512;
  void publish() noexcept {
    static_cast<Stream*>(stream_)->publish(stream_out_);
    published_ = stream_out_;
  }
  std::uint32_t* published_;
};

// The helper's side: reads the stream and runs the walk's word side on it,
// object by object, until the end: the same steps in the same order as the
// collecting thread alone would take them. Its hot loop keeps what it
// counts in registers (the visits, the edge log's cursor, the stream's
// position), which the visitor's members, written through memory at
// every visit, would not.
class SharedWalk {
 public:
  SharedWalk(ShadowWalk& walk, Stream& stream, std::uint32_t* shadow) noexcept
      : walk_(walk), stream_(stream), shadow_(shadow) {}
  static void run(void* arg) noexcept { static_cast<SharedWalk*>(arg)->consume(); }

 private:
  using Mode = ShadowDecrefVisitor::Mode;
  std::uint32_t next() noexcept {
    if (RCGC_UNLIKELY(pos_ == readable_)) readable_ = stream_.readable(pos_);
    return stream_.at(pos_++);
  }
  void consume() noexcept {
    for (;;) {
      const std::uint32_t index = next();
      if (index == kStreamEnd) return;
      const std::uint32_t rc = next();
      std::uint32_t* const w = index == kStreamOutside ? nullptr : shadow_ + index;
      walk_.arrive(nullptr, w, rc);
      const bool leaf = walk_.v.logging() ? traversal<Mode::decref_edges>()
                                          : traversal<Mode::decref_shadow>();
      walk_.leave(w, leaf);
    }
  }
  // The visits of one traversal, up to kStreamLeave; whether it said leaf.
  template <Mode M>
  bool traversal() noexcept {
    ShadowDecrefVisitor& v = walk_.v;
    std::size_t visits = 0;
    std::uint32_t* out = v.edge_out_;
    std::uint32_t* end = v.edge_end_;
    for (;;) {
      std::uint32_t e = next();
      std::uintptr_t n = 1;
      if (RCGC_UNLIKELY(e >= kStreamLeave)) {
        if (e < kStreamCount) {
          v.visits_ += visits;
          if constexpr (M == Mode::decref_edges) v.edge_out_ = out;
          return (e & 1) != 0;
        }
        n = e & kStreamMostN;
        e = next();
      }
      std::uint32_t* const word = shadow_ + e;
      if (RCGC_LIKELY(detail::subtract_from_word(word, n))) {
        visits += n;
        if constexpr (M == Mode::decref_edges) {
          if (RCGC_LIKELY(out != end)) {
            *out++ = e;
          } else {  // full: the visitor grows the buffer (or loses it)
            v.edge_out_ = out;
            v.grow_edges(e);
            out = v.edge_out_;
            end = v.edge_end_;
          }
        }
        continue;
      }
      // Rare: the visitor's own path, with its state written back first.
      v.visits_ += visits;
      visits = 0;
      if constexpr (M == Mode::decref_edges) v.edge_out_ = out;
      v.visit_shadow_rare(nullptr, word, n);
      if constexpr (M == Mode::decref_edges) {
        out = v.edge_out_;
        end = v.edge_end_;
      }
    }
  }

  ShadowWalk& walk_;
  Stream& stream_;
  std::uint32_t* const shadow_;
  std::size_t pos_ = 0;
  std::size_t readable_ = 0;
};

// The subtract walk's loop, on one thread (V = ShadowDecrefVisitor) or on
// the collecting thread's side of a shared walk (StreamVisitor): `arrive`
// and `leave` are the word side's steps, or the stream's entries for them.
// An object outside the region has its gc_refs in the header (touch).
template <class V, class Arrive, class Leave>
void subtract_walk(GcList& young, const RegionView& shadow, V& v, std::vector<GcHead*>* fixed,
                   Arrive arrive, Leave leave) noexcept {
  for (GcHead* gc = young.first(); gc != young.end(); gc = gc->next) {
    Object* op = from_gc(gc);
    std::uint32_t* w = shadow.word(op);
    if (w == nullptr) touch(gc);
    arrive(op, w);
    if constexpr (RCGC_DEBUG_LEVEL >= 1) v.current = op;
    v.met_member_ = false;
    const std::size_t visits = v.visits_;
    op->traverse(v);
    // A big object (a program's main container) is remembered here too, not
    // only by the lookaheads, which a shadow collection's walks do not run:
    // else the first shape sample to meet it traverses all of it (the fifth
    // set's build graph: 5.3 ms of its first collection after the relink,
    // which had put its registry at the list's end, where sampling starts).
    note_big(op, v.visits_ - visits);
    // A leaf: its traversal met no possible member. (On one thread, an
    // object whose visits all met roots is one too: they count no visit.)
    if (leave(w, w != nullptr && v.visits_ == visits && !v.met_member_) && fixed != nullptr)
      note_fixed(*fixed, gc);
  }
}

// gc::DEBUG_PHASES: the time of each phase of one collection, printed as one
// line when it ends. Off, lap() is one test of a bool.
class PhaseClock {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PhaseClock(bool on) noexcept : on_(on) {
    if (on_) last_ = Clock::now();
  }
  void lap(const char* phase) noexcept {
    if (!on_) return;
    const Clock::time_point now = Clock::now();
    if (n_ < kMaxLaps)
      laps_[n_++] = {phase, std::chrono::duration<double, std::milli>(now - last_).count()};
    last_ = now;
  }
  void print(int generation, const char* path) const noexcept {
    if (!on_) return;
    char line[512];
    int len =
        std::snprintf(line, sizeof line, "gc: phases of generation %d (%s):", generation, path);
    for (int i = 0; i < n_ && len > 0 && len < static_cast<int>(sizeof line); ++i)
      len += std::snprintf(line + len, sizeof line - static_cast<std::size_t>(len), "%s %s %.3f ms",
                           i == 0 ? "" : ",", laps_[i].phase, laps_[i].ms);
    std::fprintf(stderr, "%s\n", line);
  }

 private:
  static constexpr int kMaxLaps = 16;
  struct Lap {
    const char* phase;
    double ms;
  };
  bool on_;
  int n_ = 0;
  Clock::time_point last_;
  Lap laps_[kMaxLaps];
};

// The split subtract walk (Collector::shadow_subtract, split): both threads
// traverse, each its own chunks of the list, and the words are counted
// after, in a second pass shared by the words' cache lines.
//
// Pass 1. The collecting thread takes chunks of up to kSplitChunk objects
// from the list's head on, the helper from its tail back, until they meet
// (SplitWalk::walk): neither waits for a walk of the whole list, and a big
// object at either end is taken at once. For each object of its chunks a
// thread writes the object's word (kShadowBehind | refcnt: every member's
// count starts from its refcnt, as nothing is subtracted yet), logs it
// (index, start) and traverses it with Mode::gather, which records the
// word index of every possible member it meets (a run of n references to
// one once, and the extra n - 1 in a list of runs); a traversal that met
// none marks a leaf. The collecting thread writes the log's index and
// start of its objects at their list positions, the helper from the top
// of the arrays down (the list's length is known only when they meet) and
// they are moved down after; the starts are offsets in the thread's own
// edge buffer.
//
// Pass 2. Each thread copies its chunks' edges into the log's buffer, in
// the list's order, moving its objects' starts with them; then reads every
// edge of both buffers and subtracts one from the words of the cache lines
// that are its own (bit 4 of the index: 16 words a line), so no word is
// written by both threads; the rare cases are decref_shadow's
// (visit_shadow_rare). Last, the leaves' words get kShadowLeaf.
//
// Gives up (the caller then clears the words and walks on one thread) when
// a member is outside the region (its gc_refs would be in its header), an
// edge buffer or the list of runs cannot grow, or there are more members
// than the log has room for. No header is written before it gives up.
constexpr std::size_t kSplitChunk = 256;
// Pass 1 marks a leaf in its log slot's index (a word index is below 2^30:
// the region's 32 GiB in 32-byte words); pass 2's end moves it to the word.
constexpr std::uint32_t kSplitLeaf = 1u << 31;
static_assert((ArenaRegion::kMaxReserve >> kShadowGranuleShift) <= kSplitLeaf);

// Mode::gather: decref_edges' buffer, without the subtraction.
struct GatherVisitor : ShadowDecrefVisitor {
  GatherVisitor(std::uint16_t id, const RegionView& r, std::size_t edges) noexcept
      : ShadowDecrefVisitor(id, r, edges, 0) {
    set_mode(Mode::gather);
    stream_ = &runs;
  }
  const std::uint32_t* edge_data() const noexcept { return edge_begin_; }
  // (word index << 32) | (n - 1) for each run of n > 1 references.
  std::vector<std::uint64_t> runs;
  bool runs_lost = false;
};

// One thread's side of pass 1.
struct SplitSide {
  SplitSide(std::uint16_t id, const RegionView& r, std::size_t edges) noexcept
      : v(id, r, edges) {}
  GatherVisitor v;
  std::size_t leaves = 0;
  std::vector<GcHead*> fixed;
};

// Per chunk: which side walked it, where its edges are in that side's
// buffer, and where its objects are in the log: at `first` (the log's
// index and start of the helper's chunks are written from the top of their
// arrays down, and moved down to follow the collecting thread's before
// pass 2, which then finds them here).
struct SplitChunk {
  std::uint32_t side;
  std::uint32_t begin;
  std::uint32_t end;
  std::uint32_t final;  // where they go in the log's buffer
  std::uint32_t first;  // its first object's list position
  std::uint32_t objects;
};

class SplitWalk {
 public:
  SplitWalk(GcList& young, const RegionView& shadow, EdgeLog& log, SplitChunk* chunks,
            std::size_t max_chunks, SplitSide& mine, SplitSide& helpers, bool note_fixed) noexcept
      : young_(young),
        shadow_(shadow),
        log_(log),
        chunk_(chunks),
        max_chunks_(max_chunks),
        sides_{&mine, &helpers},
        note_fixed_(note_fixed),
        alternate_(split_alternate()),
        front_last_(young.end()),
        back_first_(young.end()) {}

  // The helper: from the list's tail back.
  static void run_helper(void* arg) noexcept { static_cast<SplitWalk*>(arg)->walk(1); }
  // The collecting thread: from the list's head on.
  void run_mine() noexcept { walk(0); }

  bool gave_up() const noexcept { return gave_up_.load(std::memory_order_relaxed); }
  // Valid once both threads are done.
  std::size_t objects() const noexcept { return claimed_[0] + claimed_[1]; }
  std::size_t back_objects() const noexcept { return claimed_[1]; }
  std::size_t front_chunks() const noexcept { return chunks_[0]; }
  std::size_t back_chunks() const noexcept { return chunks_[1]; }

 private:
  // Side 0 claims chunks from the head, side 1 from the tail, each up to
  // kSplitChunk objects taken from where its last one ended, until they
  // meet. A side gathers its next chunk's objects first, without the lock
  // (nothing in the list changes: the walk writes words and the log, no
  // header), then claims under the lock the part of them the other side
  // has not: each side's end is written under it.
  void walk(int side) noexcept {
    SplitSide& s = *sides_[side];
    GcHead* batch[kSplitChunk];
    for (;;) {
      if (alternate_) {
        unsigned spins = 0;
        while (turn_.load(std::memory_order_acquire) != side && !gave_up()) pause_briefly(spins);
      }
      if (gave_up()) return;
      // side 0: batch[0..n) in the list's order; side 1: batch[k..kSplitChunk)
      // in the list's order, k = kSplitChunk - n, gathered from its end.
      std::size_t n = 0;
      bool outside = false;  // gathering stopped at an object outside the region
      GcHead* const from = side == 0 ? front_last_->next : back_first_->prev();
      const GcHead* const stop = young_.end();
      for (GcHead* gc = from; gc != stop && n < kSplitChunk; ++n) {
        if (RCGC_UNLIKELY(shadow_.word(from_gc(gc)) == nullptr)) {
          outside = true;
          break;
        }
        batch[side == 0 ? n : kSplitChunk - 1 - n] = gc;
        gc = side == 0 ? gc->next : gc->prev();
      }
      std::size_t take = n, first = 0, slot = 0;
      {
        lock();
        // The other side's last claim, as seen from this side's way.
        const GcHead* const other = side == 0 ? back_first_ : front_last_;
        for (std::size_t i = 0; i < n; ++i) {
          if (batch[side == 0 ? i : kSplitChunk - 1 - i] == other) {
            take = i;
            break;
          }
        }
        // An object outside the region before the other side's part is a
        // member whose gc_refs would be in its header; more objects than
        // the log has room for, more than the allocator counted.
        // (Every chunk but the one that closes the gap is full, so the
        // records have room: max_chunks_.)
        RCGC_DCHECK(chunks_[0] + chunks_[1] < max_chunks_);
        if ((outside && take == n) || claimed_[0] + claimed_[1] + take > log_.capacity) {
          gave_up_.store(true, std::memory_order_relaxed);
          unlock();
          pass_turn(side);
          return;
        }
        if (take != 0) {
          if (side == 0) {
            front_last_ = batch[take - 1];
            first = claimed_[0];
          } else {
            back_first_ = batch[kSplitChunk - take];
            first = log_.capacity - claimed_[1] - take;
          }
          claimed_[side] += take;
          // Side 0's records from the array's start, side 1's from its end.
          slot = side == 0 ? chunks_[0] : max_chunks_ - 1 - chunks_[1];
          ++chunks_[side];
        }
        unlock();
        pass_turn(side);
      }
      if (take == 0) return;  // the sides met
      const std::size_t before = s.v.edges();
      walk_chunk(s, first, side == 0 ? batch : batch + kSplitChunk - take, take);
      const std::size_t after = s.v.edges();
      if (s.v.edges_lost_ || s.v.runs_lost || after >= UINT32_MAX) {
        gave_up_.store(true, std::memory_order_relaxed);
        return;
      }
      chunk_[slot] = {static_cast<std::uint32_t>(side), static_cast<std::uint32_t>(before),
                   static_cast<std::uint32_t>(after), 0, static_cast<std::uint32_t>(first),
                   static_cast<std::uint32_t>(take)};
    }
  }

  void lock() noexcept {
    unsigned spins = 0;
    while (lock_.exchange(true, std::memory_order_acquire)) pause_briefly(spins);
  }
  void unlock() noexcept { lock_.store(false, std::memory_order_release); }
  void pass_turn(int side) noexcept {
    if (alternate_) turn_.store(1 - side, std::memory_order_release);
  }

  // `n` objects in the list's order, the first at log position k.
  void walk_chunk(SplitSide& s, std::size_t k, GcHead* const* nodes, std::size_t n) noexcept {
    GatherVisitor& v = s.v;
    for (std::size_t i = 0; i < n; ++i, ++k) {
      GcHead* const gc = nodes[i];
      Object* op = from_gc(gc);
      std::uint32_t* w = shadow_.word(op);  // in the region: checked as gathered
      RCGC_DCHECK(w != nullptr);
      const std::uint32_t rc = A::refcnt(op);
      RCGC_DCHECK_AT(2, rc > 0);
      RCGC_DCHECK(k < log_.capacity);
      *w = rc < kShadowCount ? kShadowBehind | rc : kShadowReached | kShadowWalked;
      log_.index[k] = static_cast<std::uint32_t>(w - shadow_.shadow);
      log_.start[k] = static_cast<std::uint32_t>(v.edges());  // in this side's buffer
      if constexpr (RCGC_DEBUG_LEVEL >= 1) v.current = op;
      v.met_member_ = false;
      const std::size_t visits = v.visits_;
      op->traverse(v);
      note_big(op, v.visits_ - visits);
      if (v.visits_ == visits && !v.met_member_) {
        // Its word gets kShadowLeaf after pass 2: set now, a count that
        // went below zero would borrow from it unseen.
        log_.index[k] |= kSplitLeaf;
        ++s.leaves;
        if (note_fixed_) note_fixed(s.fixed, gc);
      }
    }
  }

  GcList& young_;
  const RegionView& shadow_;
  EdgeLog& log_;
  SplitChunk* const chunk_;
  const std::size_t max_chunks_;
  SplitSide* const sides_[2];
  const bool note_fixed_;
  const bool alternate_;  // tests: the sides claim in turns (turn_)
  // Under lock_ (each side reads its own without it: it alone writes it).
  GcHead* front_last_;  // side 0's last object (the list's head: none yet)
  GcHead* back_first_;  // side 1's first object (likewise)
  std::size_t claimed_[2] = {0, 0};
  std::size_t chunks_[2] = {0, 0};
  alignas(64) std::atomic<bool> lock_{false};
  std::atomic<int> turn_{0};
  std::atomic<bool> gave_up_{false};
};

// Pass 2 for one thread (`mine`): first its chunks' edges are copied to
// their place in the log's buffer (the list's order) and their objects'
// starts moved with them; then every edge is read from the two sides'
// buffers and the words of the cache lines whose bit 4 of the index is
// `mine` lose one.
struct SplitCount {
  const std::uint32_t* edges[2];
  std::size_t n[2];
  const std::vector<std::uint64_t>* runs[2];
  std::uint32_t* shadow;
  ShadowDecrefVisitor* rare[2];
  const SplitChunk* chunks;
  std::size_t chunk_count;
  std::uint32_t* start;
  std::uint32_t* log_edges;

  static void count(const SplitCount& c, std::uint32_t mine) noexcept {
    for (std::size_t i = 0; i < c.chunk_count; ++i) {
      const SplitChunk& ch = c.chunks[i];
      if (ch.side != mine) continue;
      if (ch.end != ch.begin)  // (a side that recorded nothing may have no buffer)
        std::memcpy(c.log_edges + ch.final, c.edges[mine] + ch.begin,
                    (ch.end - ch.begin) * sizeof(std::uint32_t));
      const std::uint32_t delta = ch.final - ch.begin;
      for (std::size_t k = ch.first; k < ch.first + ch.objects; ++k) c.start[k] += delta;
    }
    // The word of index e loses n, if its cache line is this thread's.
    // (Skipping the other thread's words without a branch, by subtracting
    // from a spare word instead, measured no faster.)
    auto subtract = [sh = c.shadow, &v = *c.rare[mine], mine](std::uint32_t e, std::uint32_t n) {
      if (((e >> 4) & 1u) != mine) return;
      std::uint32_t* const w = sh + e;
      if (RCGC_UNLIKELY(!detail::subtract_from_word(w, n))) v.visit_shadow_rare(nullptr, w, n);
    };
    for (int side = 0; side < 2; ++side)
      for (std::size_t k = 0; k < c.n[side]; ++k) subtract(c.edges[side][k], 1);
    for (const std::vector<std::uint64_t>* runs : c.runs)
      for (const std::uint64_t r : *runs)
        subtract(static_cast<std::uint32_t>(r >> 32), static_cast<std::uint32_t>(r));
  }
  static void run_helper(void* arg) noexcept { count(*static_cast<const SplitCount*>(arg), 1); }
};

// The split walk; false if it gave up (the words it wrote are then still
// to be cleared, and nothing else has changed).
bool split_subtract(GcList& young, std::uint16_t heap_id, const RegionView& shadow,
                    EdgeLog& log, std::vector<GcHead*>* fixed, ShadowSubtract& r,
                    PhaseClock& phases) noexcept {
  const std::size_t cap = log.capacity;
  const std::size_t edges_each = ShadowWalk::room(&log, log.edges_per_object);
  // Scratch: the chunks' records (six entries each). Every chunk but the
  // one that closes the gap between the sides holds kSplitChunk objects.
  const std::size_t max_chunks = cap / kSplitChunk + 3;
  const std::size_t scratch_n = 6 * max_chunks;
  std::uint32_t* scratch = map_entries(scratch_n);
  if (scratch == nullptr) return false;
  struct Unmap {
    std::uint32_t* p;
    std::size_t n;
    ~Unmap() { unmap_entries(p, n); }
  } unmap{scratch, scratch_n};
  auto* chunks = reinterpret_cast<SplitChunk*>(scratch);  // a mapping: page-aligned
  SplitSide mine(heap_id, shadow, edges_each), helpers(heap_id, shadow, edges_each);
  SplitWalk walk(young, shadow, log, chunks, max_chunks, mine, helpers, fixed != nullptr);
  if (!Helper::start(&SplitWalk::run_helper, &walk)) return false;
  walk.run_mine();
  Helper::finish();
  if (walk.gave_up()) return false;
  phases.lap("split_pass1");

  const std::size_t n = walk.objects();
  const std::size_t total = mine.v.edges() + helpers.v.edges();
  if (total >= UINT32_MAX) return false;
  std::uint32_t* edges = map_entries(total + 1);
  if (edges == nullptr) return false;
  // The helper's objects (and chunks) follow the collecting thread's.
  const std::size_t back = walk.back_objects(), front = n - back;
  const std::size_t gap = cap - n;
  std::memmove(log.index + front, log.index + cap - back, back * sizeof(std::uint32_t));
  std::memmove(log.start + front, log.start + cap - back, back * sizeof(std::uint32_t));
  const std::size_t fc = walk.front_chunks(), bc = walk.back_chunks(), nc = fc + bc;
  std::memmove(chunks + fc, chunks + max_chunks - bc, bc * sizeof(SplitChunk));
  std::uint32_t at = 0;
  for (std::size_t c = 0; c < nc; ++c) {
    if (c >= fc) chunks[c].first -= static_cast<std::uint32_t>(gap);
    chunks[c].final = at;
    at += chunks[c].end - chunks[c].begin;
  }
  log.start[n] = at;
  log.objects = n;
  log.edges = edges;
  log.edge_capacity = total + 1;

  const SplitCount count{{mine.v.edge_data(), helpers.v.edge_data()},
                         {mine.v.edges(), helpers.v.edges()},
                         {&mine.v.runs, &helpers.v.runs},
                         shadow.shadow,
                         {&mine.v, &helpers.v},  // for visit_shadow_rare
                         chunks,
                         nc,
                         log.start,
                         edges};
  if (Helper::start(&SplitCount::run_helper, const_cast<SplitCount*>(&count))) {
    SplitCount::count(count, 0);
    Helper::finish();
  } else {
    SplitCount::count(count, 0);
    SplitCount::count(count, 1);
  }

  // The leaves' words, now that every count is final.
  for (std::size_t k = 0; k < n; ++k) {
    if (log.index[k] & kSplitLeaf) {
      log.index[k] &= ~kSplitLeaf;
      shadow.shadow[log.index[k]] |= kShadowLeaf;
    }
  }
  phases.lap("split_pass2");
  if (fixed != nullptr) {
    try {  // untracking is an economy: without memory they stay tracked
      fixed->insert(fixed->end(), mine.fixed.begin(), mine.fixed.end());
      fixed->insert(fixed->end(), helpers.fixed.begin(), helpers.fixed.end());
    } catch (...) {
    }
  }
  g_split_helper_objects.fetch_add(back, std::memory_order_relaxed);
  r.members = n;
  r.outside = 0;
  r.leaves = mine.leaves + helpers.leaves;
  r.backwards = false;
  r.ordered = false;
  return true;
}

}  // namespace

ShadowSubtract Collector::shadow_subtract(GcList& young, std::uint16_t heap_id,
                                          const RegionView& shadow, EdgeLog* log,
                                          std::vector<GcHead*>* fixed, bool parallel) noexcept {
  ShadowWalk walk(heap_id, shadow, log);
  Stream* stream = parallel ? Stream::get() : nullptr;
  if (stream != nullptr) {
    // Shared with the helper: this thread walks and traverses, the helper
    // applies what the traversals met to the words (the miss on a far
    // word is then the helper's, while this thread goes on traversing).
    stream->reset();
    SharedWalk shared(walk, *stream, shadow.shadow);
    if (Helper::start(&SharedWalk::run, &shared)) {
      StreamVisitor sv(heap_id, shadow, *stream);
      subtract_walk(
          young, shadow, sv, fixed,
          [&](Object* op, std::uint32_t* w) {
            sv.arrive(w != nullptr ? static_cast<std::uint32_t>(w - shadow.shadow) : kStreamOutside,
                      A::refcnt(op));
          },
          [&](std::uint32_t*, bool leaf) {
            sv.leave(leaf);
            return leaf;
          });
      sv.end();
      Helper::finish();
      g_parallel_walks.fetch_add(1, std::memory_order_relaxed);
      return walk.finish();
    }
  }
  subtract_walk(
      young, shadow, walk.v, fixed,
      [&](Object* op, std::uint32_t* w) { walk.arrive(op, w, A::refcnt(op)); },
      [&](std::uint32_t* w, bool leaf) { return walk.leave(w, leaf); });
  return walk.finish();
}

EdgeLog::~EdgeLog() { release(); }

}  // namespace rcgc::detail

// Mode::decref_edges' buffer is full (or not yet there): four times
// larger, up to what an EdgeLog's 32-bit offsets can hold; without memory
// (or past the limit) the edges are lost and the visitor goes on in
// Mode::decref_shadow.
void rcgc::Visitor::grow_edges(std::uint32_t index) noexcept {
  constexpr std::size_t kFirst = std::size_t{1} << 16;
  const std::size_t kMost = std::min<std::size_t>(
      UINT32_MAX, rcgc::detail::g_edge_log_limit.load(std::memory_order_relaxed));
  const std::size_t used = static_cast<std::size_t>(edge_out_ - edge_begin_);
  const std::size_t cap = static_cast<std::size_t>(edge_end_ - edge_begin_);
  const std::size_t want = std::min(cap == 0 ? kFirst : cap * 4, kMost);
  std::uint32_t* p = edges_lost_ || want <= cap ? nullptr : rcgc::detail::map_entries(want);
  if (p == nullptr) {
    // Lost: the rest of the pass subtracts without recording (what is left
    // of the array being visited writes over the buffer's start).
    edges_lost_ = true;
    if (mode_ != Mode::gather) set_mode(Mode::decref_shadow);
    edge_out_ = edge_begin_;
    return;
  }
  if (used != 0) {
    std::memcpy(p, edge_begin_, used * sizeof(std::uint32_t));
    rcgc::detail::g_edge_buffer_growths.fetch_add(1, std::memory_order_relaxed);
  }
  rcgc::detail::unmap_entries(edge_begin_, cap);
  edge_begin_ = p;
  edge_out_ = p + used;
  edge_end_ = p + want;
  *edge_out_++ = index;
}

// Mode::gather's run of n > 1 references to one object: its extra n - 1
// (the split walk's list of runs; without memory the walk gives up).
void rcgc::Visitor::note_run(std::uint32_t index, std::uintptr_t n) noexcept {
  auto* v = static_cast<rcgc::detail::GatherVisitor*>(this);
  const std::uint64_t extra = std::min<std::uintptr_t>(n - 1, UINT32_MAX);
  try {
    v->runs.push_back(std::uint64_t{index} << 32 | extra);
  } catch (...) {
    v->runs_lost = true;
  }
}

// Mode::stream's span is full: publish it and wait for the next one.
void rcgc::Visitor::stream_more(std::uint32_t entry) noexcept {
  auto* s = static_cast<rcgc::detail::Stream*>(stream_);
  stream_out_ = s->next_span(stream_out_, stream_end_);
  *stream_out_++ = entry;
}

// decref_shadow's rare cases. A root keeps its word. A member behind the
// walk with a count smaller than n has lost a reference too many (debug
// builds report it; release builds leave its count at zero). An object
// ahead of the walk with more than 2^28 references counted stays at the
// floor, and the walk makes it a root.
void rcgc::Visitor::visit_shadow_rare(rcgc::Object* op, std::uint32_t* w, std::uintptr_t n) {
  const std::uint32_t x = *w;
  if ((x & ~rcgc::detail::kShadowLeafCount) == rcgc::detail::kShadowBehind) {
    if constexpr (RCGC_DEBUG_LEVEL >= 1) return report_each(op != nullptr ? op : object_of_word(w), n);
    *w = x & ~rcgc::detail::kShadowCount;
  } else if (x == 0 || x >= rcgc::detail::kShadowAheadFloor) {
    *w = rcgc::detail::kShadowAheadFloor;
  } else {
    return;  // a root
  }
  ++visits_;
  if (mode_ == Mode::decref_edges) record_edge(static_cast<std::uint32_t>(w - shadow_));
  (void)op;
}

// The object whose word is w: its address is in the word's 32 bytes, and
// its block (its GcHead first) starts 16 bytes before it. Debug builds'
// reports from the helper thread, which knows only words.
rcgc::Object* rcgc::Visitor::object_of_word(const std::uint32_t* w) const noexcept {
  // Under the debug hooks (RCGC_MALLOC=debug) the block starts with their
  // header, before the GcHead.
  const std::uintptr_t first =
      region_base_ + (static_cast<std::uintptr_t>(w - shadow_) << rcgc::detail::kShadowGranuleShift);
  const std::uintptr_t before =
      sizeof(rcgc::detail::GcHead) +
      (rcgc::detail::Allocator::debug_enabled() ? rcgc::detail::kDebugHeaderSize : 0);
  for (std::uintptr_t a = first; a < first + (std::uintptr_t{1} << rcgc::detail::kShadowGranuleShift);
       a += alignof(std::max_align_t)) {
    if (rcgc::detail::PoolAllocator::is_block_start(reinterpret_cast<const void*>(a - before)))
      return reinterpret_cast<rcgc::Object*>(a);
  }
  rcgc::detail::fatal("a shadow word (index %zu) that belongs to no object",
                      static_cast<std::size_t>(w - shadow_));
}

namespace rcgc::detail {

bool EdgeLog::reserve(std::size_t n) noexcept {
  // A position must fit in a word's count.
  // (More objects than that give the log up as the walk meets them.)
  n = std::min<std::size_t>(n, kShadowLeaf - 1);
  if (g_edge_log_limit.load(std::memory_order_relaxed) == 0) return false;
  // One mapping: index, start, queue.
  index = map_entries(3 * n + 1);
  if (index == nullptr) return false;
  start = index + n;
  queue = start + n + 1;
  capacity = n;
  return true;
}

std::uint32_t EdgeLog::next_edges_per_object() const noexcept {
  constexpr std::size_t kLeast = kEdgesPerObject, kMost = 64;
  if (!ready() || objects == 0) return kLeast;
  const std::size_t recorded = start[objects];
  const std::size_t want = (recorded + recorded / 4) / objects + 1;
  return static_cast<std::uint32_t>(std::clamp(want, kLeast, kMost));
}

void EdgeLog::release() noexcept {
  if (index != nullptr) unmap_entries(index, 3 * capacity + 1);
  unmap_entries(edges, edge_capacity);
  index = start = queue = edges = nullptr;
  objects = capacity = edge_capacity = 0;
}

// Whether the words mark_edges reads are likely not in cache when its walk
// comes to them: in a sample of the log (16 runs of 64 objects spread over
// it, at most 16 edges of each), more than half the edges lead more than
// kFarWords (a MiB of shadow, eight of heap) from the word of their
// object, and the words met span more than kSpanWords (8 MiB of shadow,
// 64 of heap). Then the walk waits for one miss after another, and
// prefetching the words of the edges a little ahead pays; on a heap whose
// references stay near, or whose shadow stays in the caches, the
// prefetches only cost instructions and cache lines (docs/benchmarks.md,
// session 18, with this machine's caches: 1 MiB of L2 a core, 32 MiB of
// L3 shared. Always prefetching, the meshes' mark took 1.20x its time,
// against 0.62x for the HTTP server's; with the first test alone,
// attr_objects' took 1.27x, its words spanning 6.2 MiB. The scene's,
// whose sample finds 48% of its edges far, took 0.88x in two runs of 3
// rounds and 1.14x and 1.08x in two more, of 3 and 7: so "more than
// half").
static bool edges_far(const EdgeLog& log) noexcept {
  constexpr std::uint32_t kFarWords = (1u << 20) / sizeof(std::uint32_t);
  constexpr std::uint32_t kSpanWords = (8u << 20) / sizeof(std::uint32_t);
  constexpr std::size_t kRuns = 16, kRun = 64;
  constexpr std::uint32_t kEdgesEach = 16;
  const std::size_t n = log.objects;
  std::size_t far = 0, all = 0;
  std::uint32_t lowest = UINT32_MAX, highest = 0;
  auto sample = [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      const std::uint32_t own = log.index[i];
      lowest = std::min(lowest, own);
      highest = std::max(highest, own);
      const std::uint32_t k0 = log.start[i];
      const std::uint32_t e = std::min(log.start[i + 1], k0 + kEdgesEach);
      for (std::uint32_t k = k0; k < e; ++k) {
        const std::uint32_t w = log.edges[k];
        far += (w > own ? w - own : own - w) > kFarWords;
        lowest = std::min(lowest, w);
        highest = std::max(highest, w);
      }
      all += e - k0;
    }
  };
  if (n <= kRuns * kRun) {
    sample(0, n);
  } else {
    for (std::size_t r = 0; r < kRuns; ++r) {
      const std::size_t first = r * (n - kRun) / (kRuns - 1);
      sample(first, first + kRun);
    }
  }
  return 2 * far > all && highest - lowest > kSpanWords;
}

// mark_edges, with the words of the walk's edges prefetched or not.
template <bool kPrefetch>
static MarkResult mark_edges_as(const EdgeLog& log, const RegionView& shadow,
                                bool backwards) noexcept {
  std::uint32_t* const sh = shadow.shadow;
  const std::uint32_t* const index = log.index;
  const std::uint32_t* const start = log.start;
  const std::uint32_t* const edges = log.edges;
  std::uint32_t* const queue = log.queue;
  std::size_t read = 0, end = 0, behind = 0;
  // Mode::mark's visits, for one object's edges. An object reached behind
  // the walk has its position in its count (written as the walk passed it).
  auto follow = [&](std::size_t pos) {
    for (std::uint32_t k = start[pos], e = start[pos + 1]; k < e; ++k) {
      std::uint32_t& w = sh[edges[k]];
      const ShadowReach r = shadow_reach(w);
      if (r >= ShadowReach::behind_leaf) ++behind;
      if (r == ShadowReach::behind) queue[end++] = w & kShadowCount;
    }
  };
  MarkResult m;
  const std::size_t n = log.objects;
  // kPrefetch: the words of the walk's edges are prefetched kAhead edges
  // ahead of it, in the walk's direction (the log's edges are in the
  // list's order). A queued object's edges are not: where they are is
  // only known when it is reached.
  constexpr std::uint32_t kAhead = 24;
  std::uint32_t ahead = backwards ? start[n] : 0;
  for (std::size_t step = 0; step < n; ++step) {
    const std::size_t i = backwards ? n - 1 - step : step;
    if constexpr (kPrefetch) {
      if (backwards) {
        const std::uint32_t to = start[i] > kAhead ? start[i] - kAhead : 0;
        while (ahead > to) __builtin_prefetch(&sh[edges[--ahead]], 1);
      } else {
        const std::uint32_t to = std::min(start[i + 1] + kAhead, start[n]);
        while (ahead < to) __builtin_prefetch(&sh[edges[ahead++]], 1);
      }
    }
    std::uint32_t& w = sh[index[i]];
    const Pass p = shadow_pass(w);
    if (p == Pass::unreached) {
      ++m.passed_unreached;
      w |= static_cast<std::uint32_t>(i);  // count 0: where a later visit finds its edges
    }
    if (p != Pass::traverse) continue;
    follow(i);
    while (read < end) follow(queue[read++]);
  }
  m.reached_behind = behind;
  return m;
}

MarkResult Collector::mark_edges(const EdgeLog& log, const RegionView& shadow,
                                 bool backwards) noexcept {
  if (edges_far(log)) {
    g_shadow_prefetched_marks.fetch_add(1, std::memory_order_relaxed);
    return mark_edges_as<true>(log, shadow, backwards);
  }
  return mark_edges_as<false>(log, shadow, backwards);
}

std::size_t Collector::untrack_fixed(std::vector<GcHead*>& fixed,
                                     std::uint16_t heap_id) noexcept {
  std::size_t n = 0;
  // In the walk's order: a parent noted after its children (a tree made
  // bottom-up) finds them untracked already.
  for (GcHead* gc : fixed) {
    const std::uint16_t f = flags_of(gc);
    // Garbage (still in unreachable) and anything untracked meanwhile stay.
    if ((f & (kLinked | kCollectorFlags)) != kLinked) continue;
    if (references_tracked(from_gc(gc), heap_id)) continue;
    // Not HeapState::untrack: these are counted out of the collection's
    // survivors (collect() subtracts n), and generation 2's accounting
    // counts those; untrack would take them off it a second time.
    flags_of(gc) = static_cast<std::uint16_t>(f & ~kLinked);
    GcList::remove(gc);
    ++n;
  }
  fixed.clear();
  return n;
}

std::size_t Collector::keep_all(GcList& young, std::uint16_t new_gen,
                                bool links_intact) noexcept {
  GcHead* head = young.end();
  GcHead* prev = head;
  std::size_t kept = 0;
  if (links_intact) {
    for (GcHead* gc = head->next; gc != head; gc = gc->next, ++kept) stamp(gc, new_gen);
    return kept;
  }
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
    if (f & (kHasWeakrefs | kTypeHook)) ++t.weak;  // kTypeHook: perhaps a weakref
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
    if ((f & kTypeHook) && typeid(*op) == typeid(WeakRefObject))
      static_cast<WeakRefObject*>(op)->clear_target();
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

int set_mark_direction_guess(int way) noexcept {
  return g_mark_direction_guess.exchange(way, std::memory_order_relaxed);
}
std::size_t set_mark_queue_limit(std::size_t objects) noexcept {
  return g_mark_queue_limit.exchange(objects, std::memory_order_relaxed);
}
long long set_shadow_min(long long objects) noexcept {
  shadow_min();  // the environment's setting first, so that it is returned
  return g_shadow_min.exchange(objects, std::memory_order_relaxed);
}
std::size_t set_edge_log_limit(std::size_t edges) noexcept {
  return g_edge_log_limit.exchange(edges, std::memory_order_relaxed);
}
std::size_t set_edge_mapping_limit(std::size_t entries) noexcept {
  return g_edge_mapping_limit.exchange(entries, std::memory_order_relaxed);
}

bool big_object_hint(const Object* op) noexcept { return is_big(op); }
void clear_big_object_hints() noexcept {
  for (auto& b : g_big) b.store(nullptr, std::memory_order_relaxed);
}

ShadowCounters shadow_counters() noexcept {
  return {g_shadow_collections.load(std::memory_order_relaxed),
          g_shadow_backwards.load(std::memory_order_relaxed),
          g_shadow_without_sweep.load(std::memory_order_relaxed),
          g_shadow_leaves.load(std::memory_order_relaxed),
          g_shadow_edge_marks.load(std::memory_order_relaxed),
          g_shadow_relinks.load(std::memory_order_relaxed),
          g_edge_buffer_growths.load(std::memory_order_relaxed),
          g_shadow_ordered.load(std::memory_order_relaxed),
          g_shadow_unordered_unlogged.load(std::memory_order_relaxed),
          scratch_cache().reused(),
          g_shadow_prefetched_marks.load(std::memory_order_relaxed),
          g_parallel_walks.load(std::memory_order_relaxed),
          g_split_walks.load(std::memory_order_relaxed),
          g_split_helper_objects.load(std::memory_order_relaxed)};
}

void release_collector_scratch() noexcept { scratch_cache().clear(); }
std::size_t collector_scratch_bytes() noexcept { return scratch_cache().kept_bytes(); }

ListCounters list_counters() noexcept {
  return {g_list_collections.load(std::memory_order_relaxed),
          g_list_ordered.load(std::memory_order_relaxed)};
}

YoungCounters young_counters() noexcept {
  return {g_young_order_first.load(std::memory_order_relaxed),
          g_young_order_first_failed.load(std::memory_order_relaxed),
          g_young_by_roots.load(std::memory_order_relaxed)};
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
  // After DEBUG_STATS' lines, which walk the lists to count them.
  PhaseClock phases((h_.debug & gc::DEBUG_PHASES) != 0);
  const char* path = "young";

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
    // Generation 2's count: never below zero (left_generation_two).
    const auto old_count = static_cast<std::size_t>(
        static_cast<std::ptrdiff_t>(h_.long_lived_total) + h_.long_lived_pending);
    const HeapShape shape = shape_of(young, h_.id, old_count);
    const RegionView shadow = ArenaRegion::view();
    phases.lap("shape");
    if (shadow.size != 0 && use_shadow(young, shape, h_.ordered_runs >= 2) &&
        !g_shadow_busy.exchange(true, std::memory_order_acquire)) {
      path = "shadow";
      EdgeLog log;
      // Room for every tracked block of the heap's pools (members in the
      // region are among them); pages are committed only as written.
      PoolAllocator& pools = h_.alloc.impl()->pools();
      const bool expect_ordered = h_.ordered_runs > 0;
      const bool logging = !expect_ordered && log.reserve(pools.tracked_blocks_in_use());
      log.edges_per_object =
          std::max<std::size_t>(h_.edge_log_per_object, EdgeLog::kEdgesPerObject);
      ShadowSubtract sub;
      // The split walk is tried once the heap has shown no order, and kept
      // while its subtract costs less per object than one thread's; every
      // kSplitRecheck-th collection takes the other way again, to measure
      // it anew (the two vCPUs of this project's host gained on heaps of
      // dear traversals, and lost where they are cheap: benchmarks.md).
      const bool always = split_always();
      // Its subtract walk may split: timed, so that the two ways compare.
      const bool timed = logging && old_count >= split_min();
      const bool split_eligible = timed && (h_.unordered_runs >= 2 || always);
      bool split = false;
      if (split_eligible && always) {
        split = true;
      } else if (split_eligible) {
        const auto& ns = h_.subtract_ns;
        split = ns[1] == 0 || (ns[0] != 0 && ns[1] < ns[0]);
        if (++h_.split_turns % HeapState::kSplitRecheck == 0) split = !split;
      }
      const auto subtract_t0 = std::chrono::steady_clock::now();
      const bool split_tried = split;
      if (split) {
        split = split_subtract(young, h_.id, shadow, log, &fixed_, sub, phases);
        if (split) {
          g_split_walks.fetch_add(1, std::memory_order_relaxed);
        } else {
          // Gave up: the words it wrote go; nothing else changed.
          pools.clear_shadow();
          h_.subtract_ns[1] = 1e9f;  // not again until the recheck
        }
      }
      if (!split)
        sub = shadow_subtract(young, h_.id, shadow, logging ? &log : nullptr, &fixed_,
                              old_count >= parallel_min());
      if (timed && sub.members != 0 && (split || !split_tried)) {
        const double ns = std::chrono::duration<double, std::nano>(
                              std::chrono::steady_clock::now() - subtract_t0)
                              .count() /
                          static_cast<double>(sub.members);
        h_.subtract_ns[split ? 1 : 0] = static_cast<float>(std::max(ns, 1e-3));
      }
      if (log.ready()) h_.edge_log_per_object = log.next_edges_per_object();
      r.candidates = sub.members;
      phases.lap("subtract");
      // Ordered: every member is reachable, and nothing needs the mark
      // (debug level 2 marks all the same, and checks that it reached all).
      const bool skip_mark = sub.ordered && RCGC_DEBUG_LEVEL < 2;
      // Backwards only when every member is in the region (prev links
      // intact: no gc_refs in them); the edge log implies it.
      const bool backwards =
          !skip_mark && sub.outside == 0 &&
          mark_direction(h_.mark_passed_unreached, mark_backwards(young, shadow, sub.backwards));
      const bool marked_from_log = !skip_mark && log.ready();
      const MarkResult marked =
          skip_mark          ? MarkResult{}
          : marked_from_log ? mark_edges(log, shadow, backwards)
                            : mark(young, shape.walks, shape.large, shadow,
                                   backwards, old_gen_, sub.members);
      if (expect_ordered && !sub.ordered)
        g_shadow_unordered_unlogged.fetch_add(1, std::memory_order_relaxed);
      // Every object passed unreached was reached later: all are
      // reachable, and unless the queue had to link some through their
      // headers, no prev link was overwritten.
      const bool all_kept = sub.outside == 0 &&
                            marked.passed_unreached == marked.reached_behind && !marked.linked;
      RCGC_DCHECK_AT(2, !sub.ordered || marked.passed_unreached == marked.reached_behind);
      // Known before the log goes (its index array is the list's order).
      const bool relink = all_kept && log.ready() &&
                          scattered_steps(log) > sub.members / kRelinkScattered &&
                          (!sub.ordered || jumping_steps(log) > sub.members / kRelinkJumping);
      // A relinked list has a new order, which the next collection's proof
      // would more likely fail on: it logs (the run starts over).
      h_.count_ordered_run(sub.ordered && !relink);
      // A split walk proves no order; one thread's logged walk does.
      if (relink || (!split && logging && (sub.ordered || sub.outside != 0))) {
        h_.unordered_runs = 0;
      } else if (!split && logging && h_.unordered_runs < 2) {
        ++h_.unordered_runs;
      }
      // What this mark's way cost in the queue (mark_direction); a relink
      // makes both ways' counts stale.
      if (relink) {
        h_.mark_passed_unreached.fill(HeapState::kMarkShareUnknown);
      } else if (!skip_mark && sub.members != 0) {
        h_.mark_passed_unreached[backwards] = static_cast<std::uint16_t>(
            std::min<std::size_t>(marked.passed_unreached, sub.members) * 1000 / sub.members);
      }
      log.release();
      phases.lap("mark");
      if (all_kept) {
        keep_all_in_shadow(young, old_gen_, shadow, sub.members, relink);
        survivors = sub.members;
        g_shadow_without_sweep.fetch_add(1, std::memory_order_relaxed);
      } else {
        survivors = sweep_reached(young, unreachable, old_gen_, marked, shadow);
        // The members' words, and those of objects that are no members
        // (frozen ones, untracked ones of a tracked type) where visits
        // counted references.
        pools.clear_shadow();
      }
      phases.lap(all_kept ? "keep" : "sweep");
      survivors -= untrack_fixed(fixed_, h_.id);
      phases.lap("untrack");
      g_shadow_busy.store(false, std::memory_order_release);
      g_shadow_collections.fetch_add(1, std::memory_order_relaxed);
      g_shadow_leaves.fetch_add(sub.leaves, std::memory_order_relaxed);
      if (marked_from_log) g_shadow_edge_marks.fetch_add(1, std::memory_order_relaxed);
      if (sub.ordered) g_shadow_ordered.fetch_add(1, std::memory_order_relaxed);
      if (backwards) g_shadow_backwards.fetch_add(1, std::memory_order_relaxed);
    } else {
      path = "list";
      bool ordered = false;
      r.candidates =
          subtract_refs_young(young, h_.id, generation, shape.walks, &fixed_, &ordered);
      phases.lap("subtract");
      // Ordered: every member is reachable; a walk restores the prev links
      // (debug level 2 marks all the same, and checks that it kept all).
      if (ordered && RCGC_DEBUG_LEVEL < 2) {
        survivors = keep_all(young, old_gen_, false);
        phases.lap("keep");
      } else {
        survivors = mark_reachable(young, unreachable, old_gen_, r.candidates, shape.walks,
                                   shape.large);
        RCGC_DCHECK_AT(2, !ordered || unreachable.empty());
        phases.lap("mark");
      }
      g_list_collections.fetch_add(1, std::memory_order_relaxed);
      if (ordered) g_list_ordered.fetch_add(1, std::memory_order_relaxed);
      // Ordered twice in a row: a large heap goes to the shadow next time
      // (use_shadow), expecting the order again (no edge log).
      h_.count_ordered_run(ordered);
      survivors -= untrack_fixed(fixed_, h_.id);
      phases.lap("untrack");
    }
  } else {
    // A young generation in which every reference points forward in the
    // list (objects made before what they reference: trees built from the
    // root, lists appended to) has no garbage: the first object has no
    // referrer in the generation, so something outside references it, and
    // each later one is referenced from outside or from an earlier one, all
    // reachable by induction (a cycle needs a reference backwards). The
    // same holds, from the last object, when every reference points
    // backwards (objects made after what they reference: built bottom-up,
    // as parsed data and tuples are); a reference to itself counts as both
    // ways. Then every object survives and a walk without traversals
    // finishes.
    //
    // When the last collection of this generation found it so, the order is
    // checked first, alone: no gc_refs are written, and keep_all then only
    // clears what the walk set. When references lead both ways after all,
    // the walk stops there and subtract_refs_ordered starts over. (Debug
    // level 2 always subtracts, to check every count against the
    // references reported; level 1 checks them in the collections that
    // subtract.)
    const auto bit = static_cast<std::uint8_t>(1u << generation);
    bool checked_alone = false;  // ordered, and no gc_refs written
    std::size_t untracked = 0;   // by young_ordered, which counts them as walked
    if (RCGC_DEBUG_LEVEL < 2 && (h_.young_ordered & bit)) {
      checked_alone = young_ordered(young, h_.id, generation, r.candidates, untracked);
      g_young_order_first.fetch_add(1, std::memory_order_relaxed);
      if (!checked_alone) g_young_order_first_failed.fetch_add(1, std::memory_order_relaxed);
    }
    bool ordered = checked_alone;
    bool by_roots = false;  // ordered by the roots' proof only (references lead both ways)
    if (!checked_alone) {
      r.candidates = untracked +
                     subtract_refs_ordered(young, h_.id, generation, ordered, by_roots, &fixed_);
    }
    // The order alone, next time, only if references led one way.
    h_.young_ordered = static_cast<std::uint8_t>(ordered && !by_roots ? h_.young_ordered | bit
                                                                      : h_.young_ordered & ~bit);
    if (by_roots) g_young_by_roots.fetch_add(1, std::memory_order_relaxed);
    phases.lap(checked_alone ? "order" : "subtract");
    // (Debug level 2 checks the roots' proof with the mark.)
    const bool keep = ordered && !(by_roots && RCGC_DEBUG_LEVEL >= 2);
    survivors = keep ? keep_all(young, old_gen_, checked_alone)
                     : move_unreachable(young, unreachable, old_gen_);
    RCGC_DCHECK_AT(2, !ordered || unreachable.empty());
    phases.lap(keep ? "keep" : "mark");
    survivors -= untrack_fixed(fixed_, h_.id);
    phases.lap("untrack");
  }

  if (&young != &old) {
    if (generation == gc::kNumGenerations - 2)
      h_.long_lived_pending += static_cast<std::ptrdiff_t>(survivors);
    old.merge_from(young);
  }

  GcList finalizers;
  TrashSummary trash = move_legacy_finalizers(unreachable, finalizers);
  trash.size -= move_legacy_finalizer_reachable(finalizers);
  phases.lap("legacy");

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
  phases.lap("finalize");
  delete_garbage(final_unreachable, old);
  phases.lap("delete");

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
  phases.print(generation, path);
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
