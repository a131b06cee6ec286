// rcgc allocator: the process-wide address map, "is this pointer in one of
// our arenas?" answered in O(1) for ANY pointer value (CPython 3.10+'s
// obmalloc radix tree plays the same role).
//
// Arenas are 1 MiB aligned, so an address's arena number is addr >> 20. A
// two-level radix tree holds one bit per arena number of a 48-bit space:
//
//   addr:  | 63..48 | 47......36 | 35.......20 | 19........0 |
//          |  zero  | root index |  leaf bit   | in-arena    |
//
//   root_[4096] ──► Leaf (8 KiB, 65536 bits) ──► bit set ⇔ arena mapped
//
// Invariants:
//   * bit(a) == 1 ⇔ an rcgc arena is mapped at a & ~(1 MiB - 1);
//   * a root slot, once set, is never cleared (leaves live forever: at most
//     4096 × 8 KiB of bookkeeping for a full 256 TiB address space);
//   * writers (arena map/unmap, any thread) hold mutex_; readers take no
//     lock: they load the root slot with acquire and the word relaxed. A
//     thread can only hold a pointer into an arena after the mapping
//     happened-before (it received the pointer through some synchronization),
//     so it never sees a stale "not ours" for a live block.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "alloc/alloc_config.hpp"

namespace rcgc::detail {

class AddressMap {
 public:
  static constexpr unsigned kLeafBits = 16;
  static constexpr unsigned kRootBits = kAddressBits - kArenaShift - kLeafBits;
  static constexpr std::size_t kLeafWords = (std::size_t{1} << kLeafBits) / 64;

  struct Leaf {
    std::atomic<std::uint64_t> words[kLeafWords];
  };

  // True when addr lies inside a mapped rcgc arena. Lock-free, never faults.
  static bool contains(std::uintptr_t addr) noexcept {
    std::uintptr_t root = addr >> (kArenaShift + kLeafBits);
    if (root >= (std::uintptr_t{1} << kRootBits)) [[unlikely]] return false;
    Leaf* leaf = root_[root].load(std::memory_order_acquire);
    if (leaf == nullptr) return false;
    std::uintptr_t bit = (addr >> kArenaShift) & ((1u << kLeafBits) - 1);
    std::uint64_t word = leaf->words[bit >> 6].load(std::memory_order_relaxed);
    return (word >> (bit & 63)) & 1;
  }
  static bool contains(const void* p) noexcept {
    return contains(reinterpret_cast<std::uintptr_t>(p));
  }

  // Records / forgets an arena base. insert() fails (false) for an address
  // outside the 48-bit space or when a leaf cannot be allocated.
  static bool insert(const void* arena_base) noexcept;
  static void erase(const void* arena_base) noexcept;

 private:
  static std::atomic<Leaf*> root_[std::size_t{1} << kRootBits];
};

}  // namespace rcgc::detail
