// rcgc allocator: the numbers that shape every layer (src/alloc/).
//
//   arena  1 MiB, aligned to 1 MiB, obtained from mmap   (os.cpp, arena.cpp)
//   pool   16 KiB slice of an arena, one size class      (pool.hpp)
//   block  16..512 bytes in steps of 16 (32 classes)      (pool.hpp)
//
// Pool 0 of every arena holds the arena header, so an arena serves 63 pools.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rcgc::detail {

inline constexpr std::size_t kAlignment = 16;
inline constexpr std::size_t kMaxSmallSize = 512;
inline constexpr std::size_t kNumSizeClasses = kMaxSmallSize / kAlignment;  // 32

inline constexpr unsigned kArenaShift = 20;
inline constexpr std::size_t kArenaSize = std::size_t{1} << kArenaShift;  // 1 MiB
inline constexpr unsigned kPoolShift = 14;
inline constexpr std::size_t kPoolSize = std::size_t{1} << kPoolShift;  // 16 KiB
inline constexpr std::size_t kPoolsPerArena = kArenaSize / kPoolSize;   // 64
inline constexpr std::size_t kUsablePools = kPoolsPerArena - 1;        // 63

// A pool that filled up rejoins its class's list when 1/kRelinkShare of its
// blocks (at least one) came back (pool.cpp, extend_pool).
inline constexpr std::uint32_t kRelinkShare = 8;

// User space addresses this allocator can map (x86-64 and AArch64 with
// 48-bit virtual addresses; arenas above are refused, never misclassified).
inline constexpr unsigned kAddressBits = 48;

constexpr std::size_t size_class_of(std::size_t n) noexcept {  // n in 1..512
  return (n - 1) >> 4;
}
constexpr std::size_t class_block_size(std::size_t c) noexcept {
  return (c + 1) << 4;
}
// Pools are kept in lanes: one per size class for blocks of raw memory and
// untracked objects, and one more per class for tracked objects (class +
// kNumSizeClasses), so that the collector's walks of the tracked objects,
// which follow allocation order, stream through memory holding only them
// (docs/allocator.md, "Lanes").
inline constexpr std::size_t kNumLanes = 2 * kNumSizeClasses;
constexpr std::size_t tracked_lane(std::size_t c) noexcept { return c + kNumSizeClasses; }
constexpr std::size_t class_of_lane(std::size_t lane) noexcept { return lane % kNumSizeClasses; }
// Arenas have a kind: each tracked lane has arenas of its own, and the
// other lanes (untracked objects, raw blocks) share the rest. A walk of the
// tracked objects in allocation order then streams through memory holding
// only them: in this VM a sequential walk that skips every other 16 KiB
// runs at a quarter of the speed of one through contiguous memory, and two
// streams whose 16 KiB pools alternate at about a third of the speed of two
// apart (docs/allocator.md, "Arena kinds"). A kind whose arenas are all
// full borrows a pool from another kind's arena that has half its pools or
// more emptied, rather than map a new one (PoolAllocator::take_pool).
inline constexpr std::size_t kNumArenaKinds = 1 + kNumSizeClasses;
constexpr std::size_t arena_kind_of_lane(std::size_t lane) noexcept {
  return lane >= kNumSizeClasses ? lane - kNumSizeClasses + 1 : 0;
}

}  // namespace rcgc::detail
