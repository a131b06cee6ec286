// rcgc allocator: the arena region (see region.hpp).
#include "alloc/region.hpp"

#include <algorithm>
#include <bit>
#include <mutex>

#include "alloc/address_map.hpp"
#include "alloc/alloc_config.hpp"
#include "alloc/os.hpp"

namespace rcgc::detail {

std::atomic<std::uintptr_t> ArenaRegion::base_{0};
std::size_t ArenaRegion::size_ = 0;
std::uint32_t* ArenaRegion::shadow_ = nullptr;

namespace {

constexpr std::size_t kMaxSlots = ArenaRegion::kMaxReserve / kArenaSize;
constexpr std::size_t kShadowPerArena = kArenaSize >> kRegionGranuleShift << 2;

std::mutex g_mutex;
bool g_tried = false;      // the reservation was attempted
std::uintptr_t g_base = 0;  // under g_mutex (base_ is its published copy)
std::size_t g_slots = 0;    // slots in the reservation
std::uint64_t g_used[kMaxSlots / 64];  // one bit per slot: an arena is mapped there
// The pool table (RegionView::pool_tags): 4 MiB of zeros, backed only
// where written (2 bytes per pool, 128 per arena).
std::uint16_t g_pool_tags[kMaxSlots * kPoolsPerArena];
std::size_t g_in_use = 0;
std::size_t g_hint = 0;          // no free slot below word g_hint
std::size_t g_limit = kMaxSlots;  // set_slot_limit

// Reserves the region (aligned to an arena, in g_base and g_slots) and its
// shadow, both inaccessible; returns the shadow. Under g_mutex.
std::uint32_t* reserve() noexcept {
  g_tried = true;
  const std::size_t size = ArenaRegion::reserve_size_for(os_address_space_limit());
  if (size == 0) return nullptr;
  void* region = os_reserve(size, kArenaSize);
  if (region == nullptr) return nullptr;
  void* shadow = os_reserve(size >> kRegionGranuleShift << 2, 4096);
  if (shadow == nullptr) {
    os_unmap(region, size);
    return nullptr;
  }
  g_base = reinterpret_cast<std::uintptr_t>(region);
  g_slots = size / kArenaSize;
  return static_cast<std::uint32_t*>(shadow);
}

char* shadow_slice(std::uint32_t* shadow, std::size_t slot) noexcept {
  return reinterpret_cast<char*>(shadow) + slot * kShadowPerArena;
}

}  // namespace

std::size_t ArenaRegion::reserve_size_for(std::size_t limit) noexcept {
  constexpr std::size_t kMin = std::size_t{64} << 20;
  std::size_t size = limit == 0 ? kMaxReserve : std::min(kMaxReserve, limit / 8);
  size -= size % kArenaSize;
  return size < kMin ? 0 : size;
}

void* ArenaRegion::map_arena() noexcept {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_tried) {
      shadow_ = reserve();
      if (g_base != 0) {
        size_ = g_slots * kArenaSize;
        base_.store(g_base, std::memory_order_release);
      }
    }
    if (g_base != 0 && g_in_use < g_limit) {
      for (std::size_t w = g_hint; w < (g_slots + 63) / 64; ++w) {
        std::uint64_t used = g_used[w];
        if (used == ~std::uint64_t{0}) continue;
        g_hint = w;
        std::size_t slot = w * 64 + static_cast<std::size_t>(std::countr_one(used));
        if (slot >= g_slots) break;  // the region is full
        // The slot's shadow slice: read-write from its first arena on (again
        // for a later one: it keeps its zero words).
        if (!os_make_writable(shadow_slice(shadow_, slot), kShadowPerArena)) break;
        std::uintptr_t at = g_base + slot * kArenaSize;
        if (!os_commit(reinterpret_cast<void*>(at), kArenaSize)) break;
        g_used[w] = used | (std::uint64_t{1} << (slot % 64));
        ++g_in_use;
        return reinterpret_cast<void*>(at);
      }
    }
  }
  return os_map_aligned(kArenaSize);  // no region, or it is full
}

void ArenaRegion::unmap_arena(void* arena) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(arena);
  std::uintptr_t base = base_.load(std::memory_order_acquire);
  if (base == 0 || a - base >= size_) {
    os_unmap(arena, kArenaSize);
    return;
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  std::size_t slot = (a - base) / kArenaSize;
  // Back to reserved-only: the pages go, and a stale pointer into the arena
  // faults as it did when arenas were unmapped (the debug hooks ask
  // in_empty_slot first).
  os_decommit(arena, kArenaSize);
  // The shadow slice stays writable: zero words (the invariant), whose
  // pages the kernel may take back or hand to the next arena mapped here
  // without a page fault.
  os_free_lazily(shadow_slice(shadow_, slot), kShadowPerArena);
  g_used[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
  --g_in_use;
  if (slot / 64 < g_hint) g_hint = slot / 64;
}

bool ArenaRegion::in_empty_slot(const void* p) noexcept {
  // Every arena in use is in the address map (lock-free to read); the
  // region's own bitmap is for handing out slots, under g_mutex.
  std::uintptr_t base = base_.load(std::memory_order_acquire);
  return base != 0 && reinterpret_cast<std::uintptr_t>(p) - base < size_ &&
         !AddressMap::contains(p);
}

void ArenaRegion::clear_shadow(const void* arena) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(arena);
  std::uintptr_t base = base_.load(std::memory_order_acquire);
  if (base == 0 || a - base >= size_) return;
  std::uint32_t* w = shadow_ + (a - base) / kArenaSize * (kShadowPerArena / sizeof(std::uint32_t));
  constexpr std::size_t kLine = 16;  // 64 bytes of words at a time
  for (std::size_t i = 0; i < kShadowPerArena / sizeof(std::uint32_t); i += kLine) {
    std::uint32_t any = 0;
    for (std::size_t k = 0; k < kLine; ++k) any |= w[i + k];
    if (any != 0)
      for (std::size_t k = 0; k < kLine; ++k) w[i + k] = 0;
  }
}

const std::uint16_t* ArenaRegion::pool_tags() noexcept { return g_pool_tags; }

void ArenaRegion::set_pool_tag(const void* pool, std::uint16_t heap) noexcept {
  const std::uintptr_t d =
      reinterpret_cast<std::uintptr_t>(pool) - base_.load(std::memory_order_acquire);
  if (d < size_) g_pool_tags[d >> kPoolShift] = heap;
}

void ArenaRegion::clear_pool_tags(const void* arena) noexcept {
  for (std::size_t i = 0; i < kPoolsPerArena; ++i)
    set_pool_tag(static_cast<const char*>(arena) + i * kPoolSize, 0);
}

std::size_t ArenaRegion::set_slot_limit(std::size_t slots) noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::size_t previous = g_limit;
  g_limit = slots < kMaxSlots ? slots : kMaxSlots;
  return previous;
}

std::size_t ArenaRegion::arenas_in_region() noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_in_use;
}

}  // namespace rcgc::detail
