// rcgc::mem: the public raw-memory functions, on the current heap.
#include "rcgc/mem.hpp"

#include <new>

#include "alloc/allocator_impl.hpp"
#include "rcgc/detail/heap_state.hpp"

namespace rcgc::mem {

using detail::AllocSite;
using detail::Domain;

namespace {
AllocSite site_of(const SourceSite& where, const void* caller) noexcept {
  return AllocSite{where.file, where.line, caller};
}

detail::Allocator& current_allocator() noexcept { return detail::current_heap_state().alloc; }
}  // namespace

// Everything but the pool fast path: a new pool or carving, other sizes,
// other backends, debug hooks, failure injection. Only here is the call
// site built.
[[gnu::noinline]] static void* malloc_slow(std::size_t n, const char* file, unsigned line,
                                           const void* caller) noexcept {
  try {
    detail::Allocator& a = current_allocator();
    if (detail::PoolAllocator* pools = a.fast_pools();
        pools != nullptr && n - 1 < detail::kMaxSmallSize)
      return pools->allocate_class(detail::size_class_of(n));
    return a.impl()->allocate_slow(n, Domain::mem, AllocSite{file, line, caller});
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

// The fast path: a thread-local load (the current heap), the heap's pools,
// the class's head pool, a pop from its free list. No stack frame.
// Never inlined (not even by LTO): the return address names the caller.
RCGC_NOINLINE void* malloc(std::size_t n, SourceSite where) noexcept {
  detail::HeapState* heap = detail::tls_current_heap;
  if (heap != nullptr) [[likely]] {
    detail::PoolAllocator* pools = heap->alloc.fast_pools();
    if (pools != nullptr && n - 1 < detail::kMaxSmallSize) [[likely]] {
      if (void* p = pools->try_allocate_class(detail::size_class_of(n))) [[likely]]
        return p;
    }
  }
  return malloc_slow(n, where.file, where.line, __builtin_return_address(0));
}

RCGC_NOINLINE void* calloc(std::size_t count, std::size_t size, SourceSite where) noexcept {
  try {
    return current_allocator().allocate_zeroed(
        count, size, Domain::mem, site_of(where, __builtin_return_address(0)));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

RCGC_NOINLINE void* realloc(void* p, std::size_t n, SourceSite where) noexcept {
  try {
    return current_allocator().reallocate(
        p, n, Domain::mem, site_of(where, __builtin_return_address(0)));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

// Raw blocks come from the untracked lanes: link offset 0.
void free(void* p) noexcept { detail::deallocate_inline(p, Domain::mem, 0); }

void print_stats(std::FILE* out) { current_allocator().print_stats(out); }
std::string stats_json() { return current_allocator().stats_json(); }
void verify() { current_allocator().verify(); }

}  // namespace rcgc::mem
