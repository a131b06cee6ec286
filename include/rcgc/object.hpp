// rcgc: the object base class and the visitor the collector traverses with.
//
// Memory layout of an object made by make<T>() (64-bit):
//
//   tracked type (declares traverse):
//
//     +------------+------------+------+----------+--------------+------------
//     | gc next    | gc prev    | vptr | refcnt   | flags | heap | T's fields
//     | 8 bytes    | 8 bytes    | 8    | 4        | 2     | 2    |
//     +------------+------------+------+----------+--------------+------------
//     ^ GcHead (detail::GcHead)  ^ Object*
//
//   untracked type (no traverse): no GcHead, the block starts at the Object.
//
// So a tracked object costs 32 bytes of header (as CPython's PyGC_Head +
// ob_refcnt + ob_type), an untracked one 16 (CPython: 16).
//
// Invariants:
//   * refcnt_ counts strong references (Ref) plus one "construction
//     reference" that make<T>() hands to the Ref it returns.
//   * refcnt_ >= kImmortal marks an immortal object: Ref operations leave it
//     unchanged, it is never freed by reference counting and never tracked.
//   * kLinked is set iff the GcHead is in one of the heap's generation lists
//     (or the permanent generation, or a collector-private list).
//   * heap_ names the heap (detail::HeapState::id) that allocated the object;
//     an object is freed into that heap whichever heap is current.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "rcgc/config.hpp"

namespace rcgc {

class Object;
class Visitor;
template <class T> class Ref;
template <class T> class WeakRef;

namespace detail {

// The collector's per-object links, placed just before a tracked object.
// During a collection, `prev` of an object in the generation being collected
// holds its gc_refs instead of a pointer (update_refs .. move_unreachable).
struct GcHead {
  GcHead* next;
  std::uintptr_t prev_bits;  // a GcHead*, or gc_refs during a collection

  GcHead* prev() const noexcept { return reinterpret_cast<GcHead*>(prev_bits); }
  void set_prev(GcHead* p) noexcept { prev_bits = reinterpret_cast<std::uintptr_t>(p); }
};
static_assert(sizeof(GcHead) == 16);

inline GcHead* as_gc(const Object* op) noexcept {
  return reinterpret_cast<GcHead*>(const_cast<Object*>(op)) - 1;
}
inline Object* from_gc(GcHead* gc) noexcept {
  return reinterpret_cast<Object*>(gc + 1);
}

// Object flag bits (Object::flags_).
enum : std::uint16_t {
  kTracked = 1u << 0,       // the type declares traverse(): has a GcHead
  kLinked = 1u << 1,        // in a generation list (gc::is_tracked)
  kFinalized = 1u << 2,     // finalize() has been called (PEP 442)
  kHasFinalize = 1u << 3,   // the type declares finalize()
  kHasLegacy = 1u << 4,     // the type declares legacy_finalize()
  kCollecting = 1u << 5,    // in the generation being collected
  kUnreachable = 1u << 6,   // tentatively unreachable (move_unreachable)
  kHasWeakrefs = 1u << 7,   // the heap's weakref table has an entry for it
  kMadeByHeap = 1u << 8,    // allocated by make<T>() (not on the stack)
  // The type has a rare property the collector asks of it: it is a
  // detail::WeakRefObject (typeid says), or it declares references_fixed()
  // (the virtual says). Types without it are never asked.
  kTypeHook = 1u << 9,
  kFinalizing = 1u << 10,   // a finalizer of the object is running
  kGenShift = 11,           // bits 11-12: the generation list it is in (3: frozen)
  kReached = 1u << 13,      // full collection: found reachable (mark_reachable)
  kPassed = 1u << 14,       // within a collection: the walk has passed it
                            // (mark_reachable, subtract_refs_ordered)
  kGenMask = 3u << 11,
  kFreed = 1u << 15,        // debug builds: set (with heap 0) when freed
  // The collector's marks: set only within a collection.
  kCollectorFlags = kCollecting | kUnreachable | kReached | kPassed,
};
inline constexpr std::uint16_t kPermanentGen = 3;

// A full collection of a large heap keeps its per-object state in the arena
// region's shadow (src/alloc/region.hpp): one 32-bit word per 32 bytes of
// the region, found from the object's address alone.
inline constexpr unsigned kShadowGranuleShift = 5;
inline constexpr std::uint32_t kShadowMember = 1u << 31;   // in the collection
inline constexpr std::uint32_t kShadowReached = 1u << 30;  // as kReached
// Set by subtract_refs' walk as it passes the object, cleared by the mark's
// walk as it passes it: during the mark, a member without it is behind the
// walk (kPassed, inverted).
inline constexpr std::uint32_t kShadowWalked = 1u << 29;
// Set by subtract_refs' walk on an object whose traversal met no member of
// the collection (a list of ints and strings, a tree's leaf): reaching it
// reaches nothing more, so the mark does not traverse it.
inline constexpr std::uint32_t kShadowLeaf = 1u << 28;
inline constexpr std::uint32_t kShadowCount = kShadowLeaf - 1;  // gc_refs
inline constexpr std::uint32_t kShadowLeafCount = kShadowLeaf | kShadowCount;
// During the subtract walk (Collector::shadow_subtract): the word of a
// member the walk has passed is kShadowBehind | gc_refs (| kShadowLeaf);
// the word of one it has not passed started at zero and has lost one per
// reference from the objects walked before: 2^32 - p for p references, at
// least kShadowAheadFloor (p up to 2^28; a word at the floor stays there,
// and its object becomes a root). The walk then writes kShadowBehind |
// (refcnt - p). A root (a count beyond the field) is kShadowReached |
// kShadowWalked, which no visit changes.
inline constexpr std::uint32_t kShadowBehind = kShadowMember | kShadowWalked;
inline constexpr std::uint32_t kShadowAheadFloor = 0u - (kShadowCount + 1);
// The region's pool table (src/alloc/region.hpp): one entry per 16 KiB
// pool, the id of the heap whose tracked objects the pool holds (0: none,
// an untracked lane's pool).
inline constexpr unsigned kPoolTagShift = 14;
// Mode::stream's entries (Collector::shadow_subtract): a word index (bit 31
// clear: the region has at most 2^30 words), or kStreamCount | n, the count
// of the visit in the next entry (n > 1; more than kStreamMostN is
// kStreamMostN, which is rare in the word all the same), or kStreamLeave |
// leaf after an object's traversal (bit 0: it met no possible member).
inline constexpr std::uint32_t kStreamLeave = 0x80000000u;
inline constexpr std::uint32_t kStreamCount = 0xC0000000u;
inline constexpr std::uint32_t kStreamMostN = 0x3FFFFFFFu;

// The mark's visit of an object with a shadow word (Mode::mark, and
// Collector::mark_edges): a member not yet reached is reached; the answer
// says whether it was, and whether behind the walk and not a leaf (it must
// join the queue: it reaches more).
enum class ShadowReach : std::uint8_t { none, ahead, behind_leaf, behind };
inline ShadowReach shadow_reach(std::uint32_t& w) noexcept {
  if ((w & (kShadowMember | kShadowReached)) != kShadowMember) return ShadowReach::none;
  w |= kShadowReached;
  if (w & kShadowWalked) return ShadowReach::ahead;
  return (w & kShadowLeaf) ? ShadowReach::behind_leaf : ShadowReach::behind;
}

inline constexpr std::uint32_t kImmortal = 0x8000'0000u;

class HeapState;
void release(Object* op) noexcept;  // refcount reached zero
[[noreturn]] void fatal_freed(const Object* op) noexcept;
class Collector;
struct ObjectAccess;

}  // namespace detail

// Visits the references an object holds. Objects report every strong
// reference (Ref) and every weak-reference handle (WeakRef) they own from
// traverse(); that is the whole contract between a type and the collector.
// A visit is one indirect call through a plain function pointer (no
// std::function, no allocation).
class Visitor {
 public:
  using Fn = void (*)(Visitor& self, Object* op);
  explicit Visitor(Fn fn) noexcept : fn_(fn) {}

  template <class T>
  RCGC_ALWAYS_INLINE void operator()(const Ref<T>& ref);
  template <class T>
  void operator()(const WeakRef<T>& ref);
  // Visits a reference held by other means (a raw, counted pointer).
  RCGC_ALWAYS_INLINE void operator()(const Object* op) {
    if (op) visit(const_cast<Object*>(op));
  }
  // Visits every element of a range of Refs (or anything the call operator
  // takes): the same as a loop of visit(element), and cheaper for the
  // collector when neighbouring elements reference the same object.
  template <class Range>
  void each(const Range& range);
  // Whether this visit is Object::clear()'s default, which resets every Ref
  // shown to break a cycle: a container whose Refs cannot be reset one by
  // one (a hash map's keys) empties itself instead (rcgc::Dict does).
  bool clearing() const noexcept { return mode_ == Mode::clear; }

 protected:
  // The collector's hottest visits (subtract_refs' and move_unreachable's)
  // run inline in every traverse(); only their rare cases call fn_.
  // `decref_young` is subtract_refs on a generation: membership comes from
  // the generation bits and gc_refs is initialised on first touch (no
  // separate update_refs pass); `decref` is the same on a collector list
  // whose members carry kCollecting. `clear` resets every Ref shown:
  // Object::clear()'s default, which is how a cycle is broken when a type
  // has no clear().
  // `mark` is mark_reachable's: an object of the collection not yet reached
  // gets kReached and, if the walk has passed it already, joins the queue
  // (unless the shadow marks it a leaf: it reaches no member).
  // `decref_order` is decref_young that also watches the order (young
  // collections): which ways references lead in the list (order_seen_).
  // `order` watches the order and does nothing else (a young collection
  // that expects its generation ordered, as the last one was: then no
  // gc_refs are needed).
  // `prefetch` asks the CPU for each object's header, nothing more (the
  // collector's lookahead on large generations).
  // `decref_shadow` is decref for a full collection that keeps its state in
  // the shadow (set_shadow): an object inside the arena region is looked up
  // there by its address, its header not read; one outside it, in its
  // header (members carry kCollecting). With a shadow set, `mark` and
  // `prefetch` do the same (and without one, everything is in headers).
  // `decref_edges` is decref_shadow when every member is in the region, and
  // it also records each member reached (its shadow word's index, once per
  // run of references to it) in the edge buffer, so that the mark can
  // follow the references without traversing the objects again.
  // `referents` sets met_tracked_ when a visit reaches a tracked object or
  // one of another heap (make<T>'s check of an object with fixed
  // references, Object::references_fixed).
  // `stream` is the collecting thread's side of a subtract walk shared with
  // the collector's helper thread (Collector::shadow_subtract): a visit to
  // a possible member inside the region is written to the stream the helper
  // reads and applies to the shadow's words; one outside the region is
  // decref_young's, in the header, as decref_shadow does it.
  enum class Mode : std::uint8_t {
    call, decref, decref_young, decref_order, reach, mark, prefetch, clear, decref_shadow,
    decref_edges, order, referents, stream, gather
  };
  Visitor(Fn fn, Mode mode, std::uint16_t heap_id = 0, std::uint8_t generation = 0) noexcept
      : fn_(fn), mode_(mode), generation_(generation), heap_id_(heap_id) {}

 private:
  RCGC_ALWAYS_INLINE void visit(Object* op, std::uintptr_t n = 1);
  // visit() for one mode, known at compile time.
  template <Mode M>
  RCGC_ALWAYS_INLINE void visit_as(Object* op, std::uintptr_t n);
  // each() over an array of n Refs for one mode.
  template <Mode M, class Element>
  void each_as(const Element* p, std::size_t n);
  inline void report_each(Object* op, std::uintptr_t n);

  // Inlined into every traverse() whatever the compiler's budget: out of
  // line (GCC 12 at -O3 in a file with many traverse functions), the list
  // path's mark of a doubly linked list of 1M nodes took 5.0 ms instead of
  // 3.5 (best of 6 alternated runs).
  RCGC_ALWAYS_INLINE void mark_in_header(Object* op);
  RCGC_ALWAYS_INLINE void enqueue(Object* op);
  // decref_edges: appends a word index to the edge buffer; grow_edges (in
  // the collector) is called when it is full.
  RCGC_ALWAYS_INLINE void record_edge(std::uint32_t index) {
    if (RCGC_LIKELY(edge_out_ != edge_end_)) {
      *edge_out_++ = index;
      return;
    }
    grow_edges(index);
  }
  // The shadow word of an object inside the region; nullptr outside it.
  std::uint32_t* shadow_of(const Object* op) const noexcept {
    std::uintptr_t d = reinterpret_cast<std::uintptr_t>(op) - region_base_;
    return d < region_size_ ? shadow_ + (d >> detail::kShadowGranuleShift) : nullptr;
  }

  Fn fn_;
  Mode mode_ = Mode::call;
  std::uint8_t generation_ = 0;  // decref_young: the generation collected
  std::uint16_t heap_id_ = 0;    // decref modes: the heap being collected

 protected:
  void set_mode(Mode mode) noexcept { mode_ = mode; }
  Mode mode() const noexcept { return mode_; }
  // stream: appends an entry to the stream; stream_more (in the collector)
  // is called when the span it was given is full.
  RCGC_ALWAYS_INLINE void stream_put(std::uint32_t entry) {
    if (RCGC_LIKELY(stream_out_ != stream_end_)) {
      *stream_out_++ = entry;
      return;
    }
    stream_more(entry);
  }
  void stream_more(std::uint32_t entry) noexcept;
  // gather: a run of n > 1 references to the object whose word is
  // shadow_[index] (its one edge is recorded too); in the collector.
  void note_run(std::uint32_t index, std::uintptr_t n) noexcept;
  // decref_edges: the edge buffer is full (record_edge).
  void grow_edges(std::uint32_t index) noexcept;
  // decref_shadow's and decref_edges' step on a word.
  template <Mode M>
  RCGC_ALWAYS_INLINE void subtract_word(Object* op, std::uint32_t* w, std::uintptr_t n);
  // decref_shadow's visit when the word is a root's, or the count leaves
  // its field (in the collector); op nullptr on the helper thread, which
  // knows only the word.
  void visit_shadow_rare(Object* op, std::uint32_t* w, std::uintptr_t n);
  // The object whose shadow word is w (debug builds' reports from the
  // helper thread).
  Object* object_of_word(const std::uint32_t* w) const noexcept;
  // `tags`: the heap that owns each 16 KiB pool of the region for the
  // tracked objects in it (decref_shadow, decref_edges).
  void set_shadow(std::uintptr_t base, std::uintptr_t size, std::uint32_t* shadow,
                  const std::uint16_t* tags = nullptr) noexcept {
    region_base_ = base;
    region_size_ = size;
    shadow_ = shadow;
    pool_tags_ = tags;
  }
  // decref_order, order: kBackwards when a visit reached an object the walk had
  // passed, kForwards when one it had not; both for a reference of the
  // object being traversed (walk_at_) to itself.
  enum : std::uint8_t { kBackwards = 1, kForwards = 2 };
  std::uint8_t order_seen_ = 0;
  const Object* walk_at_ = nullptr;
  // order: the flag bits that must read kLinked alone for an object to be
  // in the generations collected (kLinked and the generation bits that
  // only older generations have), set once for the whole walk.
  std::uint16_t member_bits_ = 0;
  // decref_shadow: whether a visit met a member of the collection outside
  // the region (reset by the walk before each traversal; those inside are
  // counted in visits_).
  bool met_member_ = false;
  // order, referents: the object traversed references a tracked object (or
  // one of another heap); the walk resets it per object (untracking objects
  // with fixed references, Object::references_fixed).
  bool met_tracked_ = false;
  // prefetch: how many visits there were. decref_shadow: references
  // subtracted from words (the walk tells which objects met no member, and
  // which way most references lead, from it).
  std::size_t visits_ = 0;
  // Mode::mark: objects reached behind the walk, not yet traversed, in the
  // order they were reached: an array, queue_buf_[.. queue_end_) of
  // queue_cap_ (fn_ is called for an object when it is full), and
  // behind_ counts every object reached behind the walk, queued or not.
  detail::GcHead** queue_buf_ = nullptr;
  std::size_t queue_end_ = 0;
  std::size_t queue_cap_ = 0;
  std::size_t behind_ = 0;
  // decref_edges: the edge buffer, [edge_begin_, edge_end_), filled up to
  // edge_out_. When it cannot grow, edges_lost_ is set and the visitor goes
  // on in decref_shadow (the mark then traverses the objects).
  std::uint32_t* edge_begin_ = nullptr;
  std::uint32_t* edge_out_ = nullptr;
  std::uint32_t* edge_end_ = nullptr;
  bool edges_lost_ = false;
  // stream: the span of the stream being written, [stream_out_,
  // stream_end_), and the stream it belongs to (an internal type);
  // gather: stream_ is the list note_run adds to (an internal type).
  std::uint32_t* stream_out_ = nullptr;
  std::uint32_t* stream_end_ = nullptr;
  void* stream_ = nullptr;

 private:
  // The shadow modes: the arena region and its shadow.
  std::uintptr_t region_base_ = 0;
  std::uintptr_t region_size_ = 0;
  std::uint32_t* shadow_ = nullptr;
  const std::uint16_t* pool_tags_ = nullptr;
};

// The base class of every object rcgc manages.
//
// A type that declares traverse() is tracked by the cycle collector; one that
// does not is untracked (it must hold no references) and costs the collector
// nothing. finalize() (PEP 442) and legacy_finalize() (tp_del) are detected
// the same way: declaring them is what counts.
class Object {
 public:
  Object() noexcept : refcnt_(1), flags_(0), heap_(0) {}
  virtual ~Object() = default;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  // Reports every reference this object holds. Must not throw, allocate
  // objects or change references (no Ref copied or released). A full
  // collection may call it on its helper thread, at the same time as other
  // objects' traverse() on the collecting thread (the split subtract walk,
  // docs/design.md; RCGC_GC_SPLIT=off keeps it on the collecting thread);
  // so may references_fixed() of an object whose traversal met no member.
  virtual void traverse(Visitor& visit) const;
  // Drops the references that may form cycles. The default resets every Ref
  // and WeakRef that traverse() reports.
  virtual void clear();
  // PEP 442 finalizer: called at most once, before the object dies, whether
  // it dies by reference counting or in a cycle. May resurrect the object.
  virtual void finalize() {}
  // Python 2 style finalizer (tp_del): called each time the count reaches
  // zero; an object with one in an unreachable cycle is uncollectable and is
  // appended to gc::garbage().
  virtual void legacy_finalize() {}
  // The type's name in collector messages; default: the demangled C++ name.
  virtual std::string type_name() const;
  // True when the references this object holds will not change any more
  // (as a Python tuple's). An object that holds no reference to a tracked
  // object then stops being tracked: nothing it holds can lead back to it,
  // so it can never be part of a cycle, and no collection need examine it
  // again. make<T> asks as soon as the constructor returns (an object made
  // from untracked ones is never tracked, as CPython's dicts of atoms), and
  // each collection that traverses the object asks again (CPython's tuple
  // untracking), so an object may answer true later, once it is complete.
  // Default: false (the references may change).
  virtual bool references_fixed() const noexcept { return false; }

  // For Ref and the collector.
  void incref() const noexcept {
    if (RCGC_LIKELY(refcnt_ < detail::kImmortal)) {
      ++refcnt_;
    } else if constexpr (RCGC_DEBUG_LEVEL >= 1) {
      check_not_freed();
    }
  }
  void decref() const noexcept {
    if (RCGC_LIKELY(refcnt_ < detail::kImmortal)) {
      RCGC_DCHECK(refcnt_ > 0);
      if (--refcnt_ == 0) detail::release(const_cast<Object*>(this));
    } else if constexpr (RCGC_DEBUG_LEVEL >= 1) {
      check_not_freed();
    }
  }
  std::uint32_t refcount() const noexcept { return refcnt_; }
  // Debug builds: an "immortal" count with the kFreed bit is a freed block
  // (the debug allocator fills freed memory with 0xDD).
  void check_not_freed() const noexcept {
    if (RCGC_UNLIKELY(flags_ & detail::kFreed)) detail::fatal_freed(this);
  }
  bool is_immortal() const noexcept { return refcnt_ >= detail::kImmortal; }

 private:
  friend struct detail::ObjectAccess;
  friend class detail::HeapState;
  friend class detail::Collector;

  mutable std::uint32_t refcnt_;
  std::uint16_t flags_;
  std::uint16_t heap_;
};
static_assert(sizeof(Object) == 16);

namespace detail {

// Collector-side access to the private header fields.
struct ObjectAccess {
  static std::uint16_t& flags(const Object* op) noexcept {
    return const_cast<Object*>(op)->flags_;
  }
  static std::uint16_t heap(const Object* op) noexcept { return op->heap_; }
  static void set_heap(Object* op, std::uint16_t id) noexcept { op->heap_ = id; }
  static std::uint32_t& refcnt(const Object* op) noexcept { return op->refcnt_; }
};

inline bool has_flag(const Object* op, std::uint16_t f) noexcept {
  return (ObjectAccess::flags(op) & f) != 0;
}
inline void set_flag(const Object* op, std::uint16_t f) noexcept {
  ObjectAccess::flags(op) |= f;
}
inline void clear_flag(const Object* op, std::uint16_t f) noexcept {
  ObjectAccess::flags(op) &= static_cast<std::uint16_t>(~f);
}

// Compile-time detection of the hooks a type declares. A hook that is
// declared but inaccessible (private) makes `&T::hook` ill-formed: that case
// counts as declared, so a type is never silently treated as untracked.
template <class T>
constexpr bool declares_traverse() {
  if constexpr (requires { &T::traverse; })
    return !std::is_same_v<decltype(&T::traverse),
                           void (Object::*)(Visitor&) const>;
  else
    return true;
}
template <class T>
constexpr bool declares_finalize() {
  if constexpr (requires { &T::finalize; })
    return !std::is_same_v<decltype(&T::finalize), void (Object::*)()>;
  else
    return true;
}
template <class T>
constexpr bool declares_legacy_finalize() {
  if constexpr (requires { &T::legacy_finalize; })
    return !std::is_same_v<decltype(&T::legacy_finalize), void (Object::*)()>;
  else
    return true;
}

template <class T>
constexpr bool declares_references_fixed() {
  if constexpr (requires { &T::references_fixed; })
    return !std::is_same_v<decltype(&T::references_fixed), bool (Object::*)() const noexcept>;
  else
    return true;
}

template <class T>
constexpr std::uint16_t type_flags() {
  std::uint16_t f = kMadeByHeap;
  if (declares_traverse<T>()) f |= kTracked;
  if (declares_finalize<T>()) f |= kHasFinalize;
  if (declares_legacy_finalize<T>()) f |= kHasLegacy;
  if (declares_references_fixed<T>()) f |= kTypeHook;
  return f;
}

}  // namespace detail
}  // namespace rcgc
