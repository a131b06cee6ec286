// rcgc allocator: the arena region (see region.hpp).
#include "alloc/region.hpp"

#include <sys/mman.h>

#include <bit>
#include <mutex>

#include "alloc/alloc_config.hpp"
#include "alloc/os.hpp"

namespace rcgc::detail {

std::atomic<std::uintptr_t> ArenaRegion::base_{0};
std::uint32_t* ArenaRegion::shadow_ = nullptr;

namespace {

constexpr std::size_t kSlots = ArenaRegion::kReserve / kArenaSize;
constexpr std::size_t kShadowBytes = ArenaRegion::kReserve >> ArenaRegion::kGranuleShift << 2;
constexpr std::size_t kShadowPerArena = kArenaSize >> ArenaRegion::kGranuleShift << 2;

std::mutex g_mutex;
bool g_tried = false;               // the reservation was attempted
std::uintptr_t g_base = 0;          // under g_mutex (base_ is its published copy)
std::uint64_t g_used[kSlots / 64];  // one bit per slot: an arena is mapped there
std::size_t g_in_use = 0;
std::size_t g_hint = 0;             // no free slot below word g_hint
std::size_t g_limit = kSlots;       // set_slot_limit

void* map_fixed(std::uintptr_t at, std::size_t size, int prot, int extra) noexcept {
  void* p = ::mmap(reinterpret_cast<void*>(at), size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Reserves the region (aligned to an arena, in g_base) and returns its
// shadow. Under g_mutex.
std::uint32_t* reserve() noexcept {
  g_tried = true;
  void* raw = ::mmap(nullptr, ArenaRegion::kReserve + kArenaSize, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  void* shadow = ::mmap(nullptr, kShadowBytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (shadow == MAP_FAILED) {
    ::munmap(raw, ArenaRegion::kReserve + kArenaSize);
    return nullptr;
  }
  auto start = reinterpret_cast<std::uintptr_t>(raw);
  std::uintptr_t base = (start + kArenaSize - 1) & ~(std::uintptr_t{kArenaSize} - 1);
  if (base != start) ::munmap(raw, base - start);
  std::uintptr_t tail = start + ArenaRegion::kReserve + kArenaSize - (base + ArenaRegion::kReserve);
  if (tail != 0) ::munmap(reinterpret_cast<void*>(base + ArenaRegion::kReserve), tail);
  g_base = base;
  return static_cast<std::uint32_t*>(shadow);
}

}  // namespace

void* ArenaRegion::map_arena() noexcept {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_tried) {
      shadow_ = reserve();
      if (g_base != 0) base_.store(g_base, std::memory_order_release);
    }
    if (g_base != 0 && g_in_use < g_limit) {
      for (std::size_t w = g_hint; w < kSlots / 64; ++w) {
        if (g_used[w] == ~std::uint64_t{0}) continue;
        g_hint = w;
        std::size_t slot = w * 64 + static_cast<std::size_t>(std::countr_one(g_used[w]));
        std::uintptr_t at = g_base + slot * kArenaSize;
        if (map_fixed(at, kArenaSize, PROT_READ | PROT_WRITE, 0) == nullptr) break;
        g_used[w] |= std::uint64_t{1} << (slot % 64);
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
  if (base == 0 || a - base >= kReserve) {
    os_unmap(arena, kArenaSize);
    return;
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  std::size_t slot = (a - base) / kArenaSize;
  // Back to reserved-only: the pages go, and a stale pointer into the arena
  // faults as it did when arenas were unmapped.
  map_fixed(a, kArenaSize, PROT_NONE, MAP_NORESERVE);
  ::madvise(reinterpret_cast<char*>(shadow_) + slot * kShadowPerArena, kShadowPerArena,
            MADV_FREE);
  g_used[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
  --g_in_use;
  if (slot / 64 < g_hint) g_hint = slot / 64;
}

void ArenaRegion::clear_shadow(const void* arena) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(arena);
  std::uintptr_t base = base_.load(std::memory_order_acquire);
  if (base == 0 || a - base >= kReserve) return;
  auto* w = reinterpret_cast<std::uint64_t*>(reinterpret_cast<char*>(shadow_) +
                                             (a - base) / kArenaSize * kShadowPerArena);
  constexpr std::size_t kLine = 8;  // 64 bytes of words at a time
  for (std::size_t i = 0; i < kShadowPerArena / sizeof(std::uint64_t); i += kLine) {
    std::uint64_t any = 0;
    for (std::size_t k = 0; k < kLine; ++k) any |= w[i + k];
    if (any != 0)
      for (std::size_t k = 0; k < kLine; ++k) w[i + k] = 0;
  }
}

std::size_t ArenaRegion::set_slot_limit(std::size_t slots) noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::size_t previous = g_limit;
  g_limit = slots < kSlots ? slots : kSlots;
  return previous;
}

std::size_t ArenaRegion::arenas_in_region() noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_in_use;
}

}  // namespace rcgc::detail
