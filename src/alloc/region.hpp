// rcgc allocator: the arena region, and the collector's shadow beside it.
//
// Arenas are mapped inside one reservation of address space (up to
// kMaxReserve, made at the first arena; PROT_NONE until an arena is mapped
// at a slot), so "is this pointer in an arena of ours?" is one subtraction
// and one comparison, with no memory read. When the reservation fails or is
// full, arenas come from the OS one by one as before; they are outside the
// region. The reservation is address space, not memory; it does count
// against RLIMIT_AS, so under a finite limit it takes at most an eighth of
// it (reserve_size_for).
//
// Beside the region lies its shadow: one 32-bit word per 32 bytes of the
// region (kRegionGranuleShift), reserved PROT_NONE; the slice of a slot is
// made read-write when an arena is first mapped there (128 KiB per 1 MiB
// arena, backed only once written). A full collection of a large heap
// keeps its per-object state there instead of in the objects' headers
// (collector.cpp, "shadow"): what a visit touches is a word in a table an
// eighth the size of the heap, not a cache line of the object. Tracked
// objects are at least 32 bytes apart, so two of them never share a word.
//
// Invariant: outside a shadow collection every word is zero. The collection
// that writes words resets them; an arena returned to the OS gets its
// shadow pages MADV_FREEd (they read zero whether or not the kernel took
// them).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace rcgc::detail {

inline constexpr unsigned kRegionGranuleShift = 5;  // one shadow word per 32 bytes

struct RegionView {
  std::uintptr_t base = 0;  // 0: no region (yet)
  std::uintptr_t size = 0;  // 0: no region; then word() is always nullptr
  std::uint32_t* shadow = nullptr;
  // One entry per 16 KiB pool of the region: the id of the heap whose
  // tracked objects the pool holds; 0 for a pool of an untracked lane.
  // Entries of pools not in use are stale (no live object is there).
  const std::uint16_t* pool_tags = nullptr;

  // The shadow word of the object at p; nullptr when p is outside.
  std::uint32_t* word(const void* p) const noexcept {
    std::uintptr_t d = reinterpret_cast<std::uintptr_t>(p) - base;
    return d < size ? shadow + (d >> kRegionGranuleShift) : nullptr;
  }
};

class ArenaRegion {
 public:
  static constexpr std::size_t kMaxReserve = std::size_t{32} << 30;  // 32 GiB: 32768 arenas
  // The reservation under an address-space limit of `limit` bytes (0: none):
  // kMaxReserve, or an eighth of the limit in whole arenas; 0 (no region)
  // below 64 MiB.
  static std::size_t reserve_size_for(std::size_t limit) noexcept;

  // A zeroed, read-write arena (kArenaSize, aligned to it): a slot of the
  // region, else (region full or unavailable) a mapping of its own.
  // nullptr when the OS refuses.
  static void* map_arena() noexcept;
  // Returns an arena from map_arena() to the OS.
  static void unmap_arena(void* arena) noexcept;
  // The region, for the collector (all zero before the first arena).
  static RegionView view() noexcept {
    RegionView v;
    v.base = base_.load(std::memory_order_acquire);
    if (v.base != 0) {
      v.size = size_;
      v.shadow = shadow_;
      v.pool_tags = pool_tags();
    }
    return v;
  }
  // True when p is in the region. A block this allocator handed out that
  // lies in the region is in one of its arenas (nothing else is mapped
  // there), so the free path asks this before the address map: two loads of
  // hot globals and two comparisons, against the map's two dependent loads.
  // (base != 0 too: size_ is set just before base_ is published.)
  static bool in_region(const void* p) noexcept {
    const std::uintptr_t base = base_.load(std::memory_order_acquire);
    return reinterpret_cast<std::uintptr_t>(p) - base < size_ && base != 0;
  }
  // True when p is in the region but in no arena (a slot never used, or
  // given back): reading it would fault. For the debug hooks, which must
  // report a wild pointer, not fault on it. Lock-free (the address map).
  static bool in_empty_slot(const void* p) noexcept;
  // Zeroes the shadow words of an arena (nothing for one outside the
  // region). Pages that hold only zeros are read, not written, so a page
  // never touched stays unbacked.
  static void clear_shadow(const void* arena) noexcept;
  // The pool table's entry for the pool at p (nothing outside the region):
  // `heap`, the id of the heap whose tracked objects it is given to, or 0.
  static void set_pool_tag(const void* pool, std::uint16_t heap) noexcept;
  // Every pool of an arena back to 0 (its heap is gone).
  static void clear_pool_tags(const void* arena) noexcept;
  // Arenas currently mapped in the region (for tests).
  static std::size_t arenas_in_region() noexcept;
  // Tests: at most `slots` arenas in the region from now on (as if it were
  // that small), the rest mapped outside it; returns the previous limit.
  static std::size_t set_slot_limit(std::size_t slots) noexcept;

 private:
  static const std::uint16_t* pool_tags() noexcept;
  static std::atomic<std::uintptr_t> base_;
  static std::size_t size_;       // written before base_ is published
  static std::uint32_t* shadow_;  // likewise
};

}  // namespace rcgc::detail
