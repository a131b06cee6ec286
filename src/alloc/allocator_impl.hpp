// rcgc allocator: the state behind rcgc::detail::Allocator and the inline
// fast paths shared by allocator.cpp and mem.cpp.
//
//   Allocator ──► AllocatorImpl ──► [DebugHooks] ──► backend
//                                                    ├─ PoolAllocator (≤ 512 B) + malloc
//                                                    ├─ malloc
//                                                    └─ mimalloc (dlopen)
//
// fast_ is true for plain pymalloc without failure injection: allocation is
// then a size-class pop from a pool, freeing a radix-tree lookup plus a push.
#pragma once

#include <cstdlib>
#include <optional>

#include "alloc/address_map.hpp"
#include "alloc/debug_hooks.hpp"
#include "alloc/options.hpp"
#include "alloc/pool.hpp"
#include "alloc/region.hpp"
#include "alloc/stats.hpp"
#include "rcgc/detail/allocator.hpp"

namespace rcgc::detail {

class AllocatorImpl {
 public:
  AllocatorImpl();
  ~AllocatorImpl();

  bool fast() const noexcept { return fast_.load(std::memory_order_relaxed); }
  PoolAllocator& pools() noexcept { return pools_; }

  // Everything that is not the pool fast path. Throw std::bad_alloc.
  // `tracked`: a tracked object's block, which goes to a tracked lane
  // whatever the path (the collector's shadow relies on it: a block in an
  // untracked lane holds no tracked object).
  void* allocate_slow(std::size_t n, Domain d, const AllocSite& site, bool tracked = false);
  void* reallocate(void* p, std::size_t n, Domain d, const AllocSite& site);
  static void deallocate_slow(void* p, Domain d) noexcept;
  void deallocate_owned(void* p) noexcept;

  // The backend below the debug hooks. raw_free accepts any raw block of
  // any heap.
  void* raw_allocate(std::size_t n, bool tracked = false);
  static void raw_free(void* p) noexcept;

  void fail_after(long n) noexcept;
  void collect_stats(AllocStats& out) const noexcept;
  void verify() const noexcept;

 private:
  void* raw_reallocate(void* p, std::size_t n);
  void* pools_reallocate(void* p, std::size_t n);
  void check_injected_failure();
  void update_fast() noexcept;

  const AllocOptions& options_;
  std::atomic<bool> fast_{false};  // read by set_tracing from any thread
  long fail_countdown_ = -1;
  PoolAllocator pools_;
  std::optional<DebugHooks> debug_;  // destroyed before pools_
};

// The allocation site for the slow path (debug hooks): given, or built
// there from a return address, so that the fast path stores nothing for it.
inline const AllocSite& site_of(const AllocSite& site) noexcept { return site; }
inline AllocSite site_of(const void* caller) noexcept { return AllocSite{nullptr, 0, caller}; }

// Allocation fast path: n in 1..512 from the pools. `site`: an AllocSite or
// a caller's return address.
// `tracked`: a tracked object's block (its own lane of pools).
// The pools a block of n bytes comes from on the fast path (n in 1..512,
// the pools in use without the debug hooks); nullptr otherwise.
inline PoolAllocator* small_pools(const Allocator& a, std::size_t n) noexcept {
  return n - 1 < kMaxSmallSize ? a.fast_pools() : nullptr;
}

template <class Site>
inline __attribute__((always_inline)) void* allocate_inline(const Allocator& a, std::size_t n,
                                                            Domain d, const Site& site,
                                                            bool tracked = false) {
  if (PoolAllocator* pools = small_pools(a, n)) [[likely]]
    return tracked ? pools->allocate_tracked_class(size_class_of(n))
                   : pools->allocate_class(size_class_of(n));
  return a.impl()->allocate_slow(n, d, site_of(site), tracked);
}

// The pymalloc backend's free: a pool block (radix lookup), or a large
// block. `link_off`: as PoolAllocator::free_block's.
inline __attribute__((always_inline)) void free_to_pools(
    void* p, std::size_t link_off = PoolAllocator::kLinkOffsetOfPool) noexcept {
  if (ArenaRegion::in_region(p) || AddressMap::contains(p)) [[likely]]
    PoolAllocator::free_block(p, link_off);
  else
    std::free(p);
}

// Free fast path: free_to_pools, unless another backend (or tracemalloc)
// sends every free through deallocate_slow.
inline void deallocate_inline(void* p, Domain d,
                              std::size_t link_off = PoolAllocator::kLinkOffsetOfPool) noexcept {
  if (g_free_mode.load(std::memory_order_relaxed) == FreeMode::pools) [[likely]]
    return free_to_pools(p, link_off);
  AllocatorImpl::deallocate_slow(p, d);
}

}  // namespace rcgc::detail
