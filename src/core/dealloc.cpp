// Death by reference counting: finalizers, weakref callbacks, the trashcan.
//
// Order at death (CPython's subtype_dealloc):
//   1. finalize() if the type has one and it has not run (PEP 442); the
//      object is alive (count 1) meanwhile and may be resurrected.
//   2. untrack; weak references are cleared and their callbacks called.
//   3. legacy_finalize() (tp_del), tracked again meanwhile; it may resurrect.
//   4. destroy (the destructor releases what the object holds), return the
//      memory to the object's own heap.
//
// Trashcan: releasing a long chain would recurse once per link through
// destructors. Deaths nested more than kTrashcanDepth deep are queued
// (through the GcHead, free once untracked; an object without one, through
// its count, flags and heap id) and run by the outermost death, so the
// stack depth stays bounded whatever the length of the chain.
#include <cstring>
#include <exception>
#include <string>

#include "alloc/allocator_impl.hpp"
#include "core/describe.hpp"
#include "rcgc/detail/heap_state.hpp"
#include "rcgc/gc.hpp"

namespace rcgc::detail {
namespace {

using A = ObjectAccess;

// The 8 bytes after the vtable pointer: the count, the flags and the heap
// id, in that order (checked in debug builds), which the trashcan's queue
// borrows from an object without a header.
char* header_word(Object* op) noexcept {
  static_assert(sizeof(Object) == sizeof(void*) + sizeof(std::uintptr_t));
  char* w = reinterpret_cast<char*>(op) + sizeof(void*);
  RCGC_DCHECK(reinterpret_cast<char*>(&A::refcnt(op)) == w &&
              reinterpret_cast<char*>(&A::flags(op)) == w + 4);
  return w;
}

// Runs a finalizer with the object temporarily alive again (count 1).
// Returns true if the finalizer resurrected it.
// kFinalizing marks it meanwhile: a finalizer that releases a reference it
// does not own brings the count to 0, and release() reports that.
bool run_finalizer(Object* op, void (Object::*hook)(), const char* what) noexcept {
  std::uint32_t& rc = A::refcnt(op);
  rc = 1;
  set_flag(op, kFinalizing);
  try {
    (op->*hook)();
  } catch (...) {
    write_unraisable(std::current_exception(), std::string(what) + " of " + describe(op));
  }
  clear_flag(op, kFinalizing);
  return --rc != 0;
}

}  // namespace

// A death with something to run or undo first: a finalizer that has not
// run, a link in a generation, weak references, a legacy finalizer. Returns
// false when a finalizer resurrected the object.
bool HeapState::dealloc_hooks(Object* op) noexcept {
  const std::uint16_t f = A::flags(op);
  if ((f & (kHasFinalize | kFinalized)) == kHasFinalize) {
    set_flag(op, kFinalized);
    if (run_finalizer(op, &Object::finalize, "finalizer")) {
      track(op);  // resurrected (it may have waited untracked in the trash)
      return false;
    }
  }
  // From here the object is untracked, as in CPython's subtype_dealloc: a
  // collection started by a weakref callback must not see a count of 0.
  untrack(op);
  if (has_flag(op, kHasWeakrefs)) clear_weakrefs_at_death(op);
  if (f & kHasLegacy) {
    track(op);  // alive again while tp_del runs
    if (run_finalizer(op, &Object::legacy_finalize, "legacy finalizer")) return false;
    untrack(op);
  }
  return true;
}

// Inlined into release() and drain_trash(), its only callers. The common
// death (none of dealloc_hooks' cases: an object that was never tracked,
// or untracked by a collection, with no finalizer and no weak reference)
// tests one mask of flags (binary_trees rcgc 14 under callgrind: death,
// detail::release with all it inlines, 271M -> 215M instructions, 85 -> 67
// per node).
inline __attribute__((always_inline)) void HeapState::dealloc(Object* op) noexcept {
  const std::uint16_t f = A::flags(op);
  if (f & (kHasFinalize | kLinked | kHasWeakrefs | kHasLegacy)) [[unlikely]] {
    if (!dealloc_hooks(op)) return;
  }
  void* block = op;
  std::size_t link = 0;  // the block's lane's link offset (PoolAllocator::free_block)
  if (f & kTracked) {  // a type flag: dealloc_hooks changed no such bit
    if (gens[0].count > 0) --gens[0].count;
    block = as_gc(op);
    link = kTrackedLinkOffset;
  }
  --live_objects;
  if constexpr (RCGC_DEBUG_LEVEL >= 1) {
    // Until the block is reused, a stale pointer to it is recognizable as
    // freed (heap 0 is never registered): the collector names it so. Marked
    // before the destructor runs: after it, the header is no Object's.
    A::flags(op) = kMadeByHeap | kFreed;
    A::set_heap(op, 0);
  }
  op->~Object();
  deallocate_inline(block, Domain::object, link);
}

// Memory for a tracked object (make<T>): the allocator's pool fast path is
// inlined here, so the common case is one call from make<T>, and a leaf:
// everything else (a pool's last block, a new pool, the allocator's slow
// path, an automatic collection) is a tail call, so the fast path saves no
// register and builds no frame (binary-trees: 33 -> 24 instructions per
// allocation).
void* HeapState::allocate_tracked(std::size_t size) {
  const std::size_t n = size + sizeof(GcHead);
  void* mem = nullptr;
  if (PoolAllocator* pools = small_pools(alloc, n)) [[likely]]
    mem = pools->try_allocate_class_leaf(tracked_lane(size_class_of(n)), kTrackedLinkOffset);
  if (mem == nullptr) [[unlikely]] return allocate_tracked_slow(size, __builtin_return_address(0));
  return counted_tracked(mem);
}

void* HeapState::allocate_untracked(std::size_t size) {
  if (PoolAllocator* pools = small_pools(alloc, size)) [[likely]] {
    if (void* mem = pools->try_allocate_class_leaf(size_class_of(size), 0)) [[likely]] return mem;
  }
  return allocate_untracked_slow(size, __builtin_return_address(0));
}

void* HeapState::allocate_untracked_slow(std::size_t size, const void* caller) {
  return allocate_inline(alloc, size, Domain::object, caller);
}

void* HeapState::allocate_tracked_slow(std::size_t size, const void* caller) {
  return counted_tracked(
      allocate_inline(alloc, size + sizeof(GcHead), Domain::object, caller, /*tracked=*/true));
}

// The memory comes first: a failed allocation (std::bad_alloc) counts
// nothing, as CPython's gc_alloc.
inline void* HeapState::counted_tracked(void* block) noexcept {
  if (++gens[0].count > gens[0].threshold) [[unlikely]] return past_threshold(block);
  return static_cast<char*>(block) + sizeof(GcHead);
}

void* HeapState::past_threshold(void* block) noexcept {
  if (gens[0].threshold && enabled && !collecting) collect_automatic();
  return static_cast<char*>(block) + sizeof(GcHead);
}

// Inlined into release(), its only caller, as dealloc and the allocator's
// free fast path are into it: left to the compiler, it stopped inlining
// HeapState::release once the free path took a link offset (binary_trees
// rcgc 14 under callgrind: 657M -> 667M instructions, three more and a call
// per death).
inline __attribute__((always_inline)) void HeapState::release(Object* op) noexcept {
  RCGC_CHECK(!has_flag(op, kFinalizing),
             "finalizer of %p (type %s) released a reference it did not own",
             static_cast<void*>(op), typeid(*op).name());
  if (dealloc_depth >= kTrashcanDepth && defer_dealloc(op)) return;
  ++dealloc_depth;
  dealloc(op);
  --dealloc_depth;
  if (dealloc_depth == 0 && trash) drain_trash();
}

// Object::decref's out-of-line half.
void release(Object* op) noexcept { heap_of(op).release(op); }

bool HeapState::defer_dealloc(Object* op) noexcept {
  if (has_flag(op, kTracked)) {
    untrack(op);
    as_gc(op)->prev_bits = trash;
    trash = reinterpret_cast<std::uintptr_t>(as_gc(op));
    return true;
  }
  // No header. Its hooks run now, but for a finalizer (which may
  // resurrect it: it dies now, as before the trashcan knew such objects);
  // then only its destructor and its memory are left, which need neither
  // its count, nor its flags, nor its heap id.
  if (has_flag(op, kHasFinalize | kHasLegacy)) return false;
  if (has_flag(op, kHasWeakrefs)) clear_weakrefs_at_death(op);
  std::memcpy(header_word(op), &trash, sizeof trash);
  trash = reinterpret_cast<std::uintptr_t>(op) | 1;
  return true;
}

void HeapState::drain_trash() noexcept {
  ++dealloc_depth;
  while (trash) {
    if (!(trash & 1)) {
      GcHead* gc = reinterpret_cast<GcHead*>(trash);
      trash = gc->prev_bits;
      gc->prev_bits = 0;
      dealloc(from_gc(gc));
      continue;
    }
    // A queued object without a header (defer_dealloc): its hooks ran, so
    // flags without a hook's bit (nor kTracked) let dealloc only destroy
    // it and free its block.
    Object* op = reinterpret_cast<Object*>(trash & ~std::uintptr_t{1});
    std::memcpy(&trash, header_word(op), sizeof trash);
    A::refcnt(op) = 0;
    A::flags(op) = kMadeByHeap;
    A::set_heap(op, id);
    dealloc(op);
  }
  --dealloc_depth;
}

}  // namespace rcgc::detail
