// The cycle collector: CPython's gc_collect_main as a pipeline of named
// phases. See docs/design.md for the phases and their invariants.
#pragma once

#include <cstddef>
#include <vector>

#include "alloc/region.hpp"
#include "rcgc/detail/heap_state.hpp"

namespace rcgc::detail {

// What move_legacy_finalizers saw in the trash, so that later phases with
// nothing to do are skipped without walking the list again.
struct TrashSummary {
  std::size_t size = 0;         // objects in unreachable
  std::size_t to_finalize = 0;  // with finalize() not yet called (upper bound)
  std::size_t weak = 0;         // weakref objects, or objects with weakrefs (upper bound)
};

struct MarkResult {
  std::size_t passed_unreached = 0;  // objects passed before anything reached them
  // The first objects of the list, up to kept_until (nullptr: none), kept
  // by the mark's walk itself: `kept` of them.
  GcHead* kept_until = nullptr;
  std::size_t kept = 0;
  // Objects reached after the walk had passed them (each once passed
  // unreached: equal to passed_unreached when everything was reached).
  std::size_t reached_behind = 0;
  bool linked = false;  // the queue linked some through gc_refs fields
};
// What shadow_subtract saw.
struct ShadowSubtract {
  std::size_t members = 0;  // the objects of the collection
  // Of which outside the region: their gc_refs overwrites their prev link,
  // so the list cannot be walked backwards, and they need the sweep.
  std::size_t outside = 0;
  std::size_t leaves = 0;    // marked kShadowLeaf
  bool backwards = false;    // most references lead backwards in the list
  // Nothing can be garbage, by the list's order alone (shadow_subtract):
  // every member is referenced from outside or by a member before it
  // (forwards), or every member is referenced from outside or by a member
  // after it (backwards). No member is outside the region.
  bool ordered = false;
};

// What shadow_subtract's traversals met (Mode::decref_edges), for
// mark_edges: the object at position i of the list (0 first) has its word
// at shadow[index[i]], and its references to members are the word indices
// edges[start[i] .. start[i + 1]) (a run of references to one object
// once). `queue` has room for every object (each is queued at most once).
// Only for a collection whose members are all in the region, fewer than
// 2^28 of them (the mark keeps a position in a word's count) and 2^32 - 1
// edges; the arrays are mappings of their own (os_map_scratch), and
// without memory the mark traverses the objects as before. 12 bytes an
// object and 4 an edge; the last five mappings are kept, their pages freed
// lazily, for the next collection (ScratchCache in collector.cpp).
class EdgeLog {
 public:
  EdgeLog() = default;
  ~EdgeLog();
  EdgeLog(const EdgeLog&) = delete;
  EdgeLog& operator=(const EdgeLog&) = delete;
  // Room for `objects` objects; false (nothing held) without memory or
  // with too many objects.
  bool reserve(std::size_t objects) noexcept;
  bool ready() const noexcept { return index != nullptr && edges != nullptr; }
  // The objects' arrays are freed; edges too (not yet filled, or lost).
  void release() noexcept;

  std::size_t objects = 0;   // logged (set by shadow_subtract)
  std::size_t capacity = 0;  // reserved
  std::uint32_t* index = nullptr;
  std::uint32_t* start = nullptr;
  std::uint32_t* queue = nullptr;
  std::uint32_t* edges = nullptr;  // filled by shadow_subtract
  std::size_t edge_capacity = 0;   // entries the edges' mapping holds
  // The edges' first mapping holds this many per reserved object, plus
  // one (set by the caller; more are mapped, copying, when they do not fit;
  // kEdgesPerObject if the system refuses that much address space).
  static constexpr std::size_t kEdgesPerObject = 4;
  std::size_t edges_per_object = kEdgesPerObject;
  // At least 4, or a quarter more than this log's edges per object (when
  // ready): edges_per_object for the next collection of the heap. At most
  // 64: a heap of few objects and one huge container does not make the
  // next, larger heap ask for address space it will not use (the buffer
  // still grows when needed).
  std::uint32_t next_edges_per_object() const noexcept;
};

struct CollectResult {
  std::size_t collected = 0;      // m: freed (or saved) trash + freed weakrefs
  std::size_t uncollectable = 0;  // n: legacy-finalizer trash
  std::size_t candidates = 0;     // objects examined
};

class Collector {
 public:
  explicit Collector(HeapState& heap) noexcept : h_(heap) {}

  // One collection of `generation` (younger ones are merged into it first).
  // The caller holds HeapState::collecting.
  CollectResult collect(int generation) noexcept;

  // The phases, in order. `young` is the generation being collected, `old`
  // the one survivors are promoted to (the same list for generation 2).
  //
  // update_refs:    every object in young gets kCollecting and
  //                 gc_refs = refcnt.
  // subtract_refs:  gc_refs -= references from other objects in young, so
  //                 gc_refs = references from outside young.
  // move_unreachable: objects with gc_refs > 0, and all they reach, stay in
  //                 young (kCollecting cleared, prev links restored); the
  //                 rest go to `unreachable` with kUnreachable set.
  //                 Returns how many stayed.
  //
  // On a generation the first two are one pass, subtract_refs_young: an
  // object's generation bits say whether it is being collected, and its
  // gc_refs is initialised when it is first touched (by the walk or by a
  // visit), which saves a walk over the generation. update_refs and
  // subtract_refs remain for the trash (handle_resurrected_objects), whose
  // members are marked with kCollecting instead.
  //
  // move_unreachable stamps the objects it keeps with generation `new_gen`
  // (the one they are promoted to).
  static std::size_t update_refs(GcList& young) noexcept;
  static void subtract_refs(GcList& young, std::uint16_t heap_id) noexcept;
  // `lookahead`: prefetch for the objects 16 places ahead (large heaps
  // whose references lead far away; see shape_of() in collector.cpp).
  // `fixed`, when given, gets the objects whose type promises fixed
  // references (Object::references_fixed), for untrack_fixed.
  // `ordered`, when given, is set to whether the walk proved that nothing
  // in young is garbage by the list's order alone (the shadow's proof,
  // ShadowSubtract::ordered, on headers): forwards, every object no object
  // before it referenced ends with gc_refs > 0; or backwards, every object
  // has gc_refs > 0 right after its own traversal. Either way each object
  // is referenced from outside or by one that is reachable, by induction
  // along the list, and keep_all finishes without a mark.
  static std::size_t subtract_refs_young(GcList& young, std::uint16_t heap_id, int generation,
                                         bool lookahead = false,
                                         std::vector<GcHead*>* fixed = nullptr,
                                         bool* ordered = nullptr) noexcept;
  static std::size_t move_unreachable(GcList& young, GcList& unreachable,
                                      std::uint16_t new_gen) noexcept;
  // The same result as move_unreachable, by a mark (a walk of the list, and
  // a queue for what is reached behind it) from the objects with references
  // from outside, and a sweep: survivors keep their
  // order in the list (move_unreachable leaves them in the order it reached
  // them). Used for full collections.
  // `objects`: how many young holds (bounds the mark queue's array).
  static std::size_t mark_reachable(GcList& young, GcList& unreachable, std::uint16_t new_gen,
                                    std::size_t objects, bool lookahead = false,
                                    bool queue_lookahead = false) noexcept;
  // mark_reachable's mark alone. `shadow`: where the per-object state of the
  // objects in the arena region is (shadow_subtract); empty, everything is in
  // headers. `backwards`: walk from the last object to the first (prev
  // links intact: every object in the shadow). Returns how many objects the
  // walk passed before anything had reached them, and how many were reached
  // after it had passed them (the same number: every object is reachable).
  // Without a shadow, walking forwards, the walk also keeps each
  // object it traverses while it has passed none unreached (as
  // sweep_reached would keep it, stamped `new_gen`): a heap built from the
  // root, or its first part, then needs no sweep. `objects`: how many young
  // holds; the queue's array never grows beyond that many entries.
  static MarkResult mark(GcList& young, bool lookahead, bool queue_lookahead,
                         const RegionView& shadow, bool backwards, std::uint16_t new_gen,
                         std::size_t objects) noexcept;
  // A full collection of a large heap keeps the per-object state of the
  // objects inside the arena region in the region's shadow (region.hpp):
  // shadow_subtract is update_refs and subtract_refs on those words in one
  // walk (as it passes an object, its word becomes member, gc_refs = refcnt
  // less the references its word counted from the objects walked before;
  // those outside the region get kCollecting and gc_refs in the header),
  // then mark, then keep_all_in_shadow, or sweep_reached followed by
  // PoolAllocator::clear_shadow, with the shadow: either returns every word
  // to zero. A visit finds an object's word from
  // its address, so the objects a traversal references are not read: the
  // collection touches a table an eighth the size of the heap instead of
  // the heap's cache lines. A visit counts in a word only if the region's
  // pool table gives the object's pool to this heap's tracked objects.
  // Also marks kShadowLeaf on each member whose traversal met no member
  // (the mark reaches it without traversing it). Returns how many objects
  // it walked (and of those, outside the region), whether most
  // references in the heap point backwards in the list (objects made after
  // what they reference: a heap built bottom-up; then the mark walks it from
  // the end, if it can), how many leaves it marked, and whether the list's
  // order alone proves that nothing is garbage (ShadowSubtract::ordered).
  // With `log` (reserved for at most log->capacity objects), it also
  // records what each traversal met there (Mode::decref_edges); if the
  // edges did not fit in memory, or an object outside the region or more
  // objects than the capacity were met, the log is released (not ready).
  // `fixed`, when given, gets the members whose type promises fixed
  // references and whose traversal met no member, for untrack_fixed.
  // `parallel`: the helper thread applies the visits to the words while
  // this thread walks and traverses (when there is a helper), with the
  // same result.
  static ShadowSubtract shadow_subtract(GcList& young, std::uint16_t heap_id,
                                        const RegionView& shadow, EdgeLog* log = nullptr,
                                        std::vector<GcHead*>* fixed = nullptr,
                                        bool parallel = false) noexcept;
  // mark with the shadow from what shadow_subtract logged: the same walk,
  // queue and result, over the log's arrays and the shadow words alone (no
  // object is read). A member the walk passes unreached has its position
  // put in its word's count (0 then, and needed no more), so a visit that
  // reaches it later finds its edges.
  // When most edges lead far (edges_far in collector.cpp), the walk
  // prefetches the words of the edges ahead of it.
  static MarkResult mark_edges(const EdgeLog& log, const RegionView& shadow,
                               bool backwards) noexcept;
  // subtract_refs_young for a young generation that also watches the order
  // of references: `ordered` is true when every reference within the
  // generation points forward in the list, or every one backwards (and
  // none from an object to itself), or, with `by_roots` set, when
  // references lead both ways but the roots' proof of subtract_refs_young
  // holds. Then nothing in the generation is garbage, and keep_all finishes.
  static std::size_t subtract_refs_ordered(GcList& young, std::uint16_t heap_id,
                                           int generation, bool& ordered, bool& by_roots,
                                           std::vector<GcHead*>* fixed = nullptr) noexcept;
  // The same order, watched alone (no gc_refs): true, with `walked` the
  // generation's size, when it is ordered (every object then carries
  // kPassed); false as soon as references have led both ways (after
  // clearing the kPassed it set: `walked` objects were traversed).
  // An object whose type promises fixed references and whose traversal met
  // no tracked object leaves the list as the walk passes it (nothing in an
  // ordered generation is garbage): `untracked` counts them.
  static bool young_ordered(GcList& young, std::uint16_t heap_id, int generation,
                            std::size_t& walked, std::size_t& untracked) noexcept;
  // After the survivors are known (links restored, collector flags
  // cleared), each candidate noted by a subtract walk that survived is
  // traversed, its referents' headers read; if none is tracked it leaves
  // the collector's lists for good (CPython's untrack_tuples): what it
  // holds never changes, so it can never be part of a cycle. Garbage among
  // them stays garbage. Returns how many left; clears `fixed`.
  static std::size_t untrack_fixed(std::vector<GcHead*>& fixed,
                                   std::uint16_t heap_id) noexcept;
  // Every object stays: prev links restored, collector flags cleared,
  // stamped `new_gen`. Returns how many.
  // `links_intact`: no gc_refs were written (young_ordered), so only the
  // flags change.
  static std::size_t keep_all(GcList& young, std::uint16_t new_gen,
                              bool links_intact = false) noexcept;
  // Keeps the objects reached (kReached, or kShadowReached in the shadow's
  // word) in their order (stamped `new_gen`, prev links restored, collector
  // flags cleared; shadow words are left as they are, for the caller to
  // clear); the rest go to `unreachable`.
  // It starts after what the mark kept already (`marked`).
  static std::size_t sweep_reached(GcList& young, GcList& unreachable, std::uint16_t new_gen,
                                   const MarkResult& marked,
                                   const RegionView& shadow = {}) noexcept;
  // After a shadow mark that reached every object (as its walk passed it,
  // or later, queued in the array: no header written), all of them in the
  // region: the words go back to zero arena by
  // arena (no walk of the heap), and the younger generations' objects get
  // generation `new_gen`. Instead of sweep_reached.
  // When `relink`, the list is first relinked in address order (see
  // relink_by_address).
  void keep_all_in_shadow(GcList& young, std::uint16_t new_gen, const RegionView& shadow,
                          std::size_t members, bool relink) noexcept;
  // Relinks `young` (its `members` objects, each with a member word) in the
  // order of their blocks in this heap's pools, each given generation
  // `new_gen`; false (nothing changed) when the pools hold a different
  // number of members.
  bool relink_by_address(GcList& young, std::uint16_t new_gen, const RegionView& shadow,
                         std::size_t members) noexcept;
  // Legacy-finalizer objects and everything they reach leave the trash. The
  // second returns how many objects it moved.
  static TrashSummary move_legacy_finalizers(GcList& unreachable, GcList& finalizers) noexcept;
  static std::size_t move_legacy_finalizer_reachable(GcList& finalizers) noexcept;
  // Clears every weakref to the trash, then calls the callbacks of those
  // weakrefs that are not trash themselves. Returns the number of weakrefs
  // freed by dropping them after their callback; sets `called_back` when a
  // callback ran.
  std::size_t handle_weakrefs(GcList& unreachable, GcList& old, bool& called_back) noexcept;
  // Calls finalize() once on each trash object that has one. Returns whether
  // any was called.
  static bool finalize_garbage(GcList& unreachable) noexcept;
  // Recomputes reachability inside the trash: what a finalizer resurrected
  // goes to `old`, the rest to `still_unreachable`, whose size is returned.
  std::size_t handle_resurrected_objects(GcList& unreachable, GcList& still_unreachable,
                                         GcList& old) noexcept;
  // Breaks the cycles (clear()) or, under DEBUG_SAVEALL, saves the objects.
  void delete_garbage(GcList& collectable, GcList& old) noexcept;
  // Appends legacy-finalizer objects (all, under DEBUG_SAVEALL) to garbage.
  void handle_legacy_finalizers(GcList& finalizers, GcList& old) noexcept;

 private:
  // Moves a surviving object to the old generation (and stamps it so).
  void to_old(GcHead* gc, GcList& old) noexcept;

  HeapState& h_;
  // untrack_fixed's candidates, kept between collections for its capacity.
  std::vector<GcHead*> fixed_;
  std::uint16_t old_gen_ = 0;  // the generation survivors are promoted to
  // Objects that entered generation 2 other than as survivors of the walk
  // (resurrected, alive after clear(), legacy-finalizer garbage): growth.
  std::size_t entered_old_ = 0;
};

// The shadow's switch and counters (tests and benchmarks).
// set_shadow_min: from now on every full collection of at least `objects`
// objects keeps its state in the shadow; -1 restores the default (by the
// heap's shape, HeapShape in collector.cpp). Returns the previous setting.
// RCGC_GC_SHADOW_MIN sets it at startup.
long long set_shadow_min(long long objects) noexcept;
// For tests: the most objects the mark's queue holds in its array (SIZE_MAX
// by default, as much as memory allows); past it, objects are queued
// through their gc_refs fields. Returns the previous limit.
std::size_t set_mark_queue_limit(std::size_t objects) noexcept;
// For tests: what the shadow mark's guess of its way (mark_backwards) says,
// whatever the list: 0 forwards, 1 backwards, -1 (default) the guess
// itself. The heap's record of the last marks' ways still applies
// (mark_direction). Returns the previous setting.
int set_mark_direction_guess(int way) noexcept;
// For tests: the most edges the EdgeLog may hold (SIZE_MAX by default, as
// much as memory allows, up to 2^32 - 1; 0: no log). Past it the log is
// lost and the mark traverses the objects. Returns the previous limit.
std::size_t set_edge_log_limit(std::size_t edges) noexcept;
// For tests: the most entries one of the EdgeLog's mappings may have
// (SIZE_MAX by default); a larger one is refused, as the system may refuse
// it. Returns the previous limit.
std::size_t set_edge_mapping_limit(std::size_t entries) noexcept;
// The subtract walk shared with the helper thread (src/gc/helper.hpp):
// from now on every full collection in the shadow of at least `objects`
// objects shares it; -1 (the default) turns it off. Returns the previous
// setting. RCGC_GC_PARALLEL sets it at startup.
long long set_parallel_min(long long objects) noexcept;
// The split subtract walk (both threads traverse): from now on every full
// collection in the shadow of at least `objects` objects that logs its
// edges, of a heap whose last such collection found no order, splits it;
// -1 turns it off. Returns the previous setting. RCGC_GC_SPLIT sets it at
// startup.
long long set_split_min(long long objects) noexcept;
// Tests: every full collection in the shadow that logs its edges and has
// at least the split minimum of objects splits, whatever its heap's order
// or its walks' times (RCGC_GC_SPLIT=always sets it with a minimum of 0).
// Returns the previous setting.
bool set_split_always(bool on) noexcept;
// Tests: the two threads of a split walk take their chunks of the list in
// turns (one each, from its two ends, the collecting thread first), so
// that the helper walks about half of any list longer than a chunk (256
// objects). Returns the previous setting.
bool set_split_alternate(bool on) noexcept;
struct ShadowCounters {
  std::size_t collections = 0;  // full collections that used the shadow
  std::size_t backwards = 0;    // of which marked walking the list backwards
  std::size_t without_sweep = 0;  // of which finished by keep_all_in_shadow
  std::size_t leaves = 0;  // members the mark did not traverse (kShadowLeaf)
  std::size_t edge_marks = 0;  // collections marked from the EdgeLog
  std::size_t relinks = 0;     // lists relinked in address order
  std::size_t edge_buffer_growths = 0;  // edge buffers copied to a larger one
  std::size_t ordered = 0;  // that kept every member by the order alone, without a mark
  std::size_t unordered_unlogged = 0;  // that expected that, logged no edges, and had to mark
  std::size_t mappings_reused = 0;  // EdgeLog mappings kept from an earlier collection
  std::size_t prefetched_marks = 0;  // of edge_marks, that prefetched (edges_far)
  std::size_t parallel_walks = 0;  // subtract walks shared with the helper thread
  std::size_t split_walks = 0;     // subtract walks split between two threads
  std::size_t split_helper_objects = 0;  // objects the helper walked in them
};
ShadowCounters shadow_counters() noexcept;
// The EdgeLog mappings kept for the next full collection (ScratchCache in
// collector.cpp): given back to the OS when a heap is destroyed (a heap
// that is gone keeps nothing mapped for its collections), and their size,
// for tests.
void release_collector_scratch() noexcept;
std::size_t collector_scratch_bytes() noexcept;
// For tests: whether op is among the objects remembered as big (more than
// 4096 references reported by one traversal), which the lookaheads do not
// traverse again and the shape sample skips; and forgetting them all.
bool big_object_hint(const Object* op) noexcept;
void clear_big_object_hints() noexcept;
// Young collections (tests).
struct YoungCounters {
  std::size_t order_first = 0;  // that checked the order alone first
  std::size_t not_ordered = 0;  // of which found references both ways
  // that found references both ways and kept everything by the roots' proof
  std::size_t by_roots = 0;
};
YoungCounters young_counters() noexcept;
// Full collections that kept their state in the headers (not the shadow).
struct ListCounters {
  std::size_t collections = 0;
  std::size_t ordered = 0;  // of which kept every member by the order alone, without a mark
};
ListCounters list_counters() noexcept;

// The generation bits of an object's flags.
inline void set_generation(Object* op, std::uint16_t gen) noexcept {
  std::uint16_t& f = ObjectAccess::flags(op);
  f = static_cast<std::uint16_t>((f & ~kGenMask) | (gen << kGenShift));
}

}  // namespace rcgc::detail
