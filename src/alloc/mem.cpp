// rcgc::mem: the public raw-memory functions, on the current heap.
#include "rcgc/mem.hpp"

#include <new>

#include "alloc/allocator_impl.hpp"
#include "rcgc/detail/current_allocator.hpp"

namespace rcgc::mem {

using detail::AllocSite;
using detail::Domain;

namespace {
AllocSite site_of(const SourceSite& where, const void* caller) noexcept {
  return AllocSite{where.file, where.line, caller};
}
}  // namespace

// The slow path gets the call site; the fast path never builds it.
[[gnu::noinline]] static void* malloc_slow(detail::AllocatorImpl* impl, std::size_t n,
                                           SourceSite where, const void* caller) noexcept {
  try {
    return impl->allocate_slow(n, Domain::mem, site_of(where, caller));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* malloc(std::size_t n, SourceSite where) noexcept {
  detail::AllocatorImpl* impl = detail::current_allocator().impl();
  if (impl->fast() && n - 1 < detail::kMaxSmallSize) [[likely]] {
    try {
      return impl->pools().allocate_class(detail::size_class_of(n));
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }
  return malloc_slow(impl, n, where, __builtin_return_address(0));
}

void* calloc(std::size_t count, std::size_t size, SourceSite where) noexcept {
  try {
    return detail::current_allocator().allocate_zeroed(
        count, size, Domain::mem, site_of(where, __builtin_return_address(0)));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* realloc(void* p, std::size_t n, SourceSite where) noexcept {
  try {
    return detail::current_allocator().reallocate(
        p, n, Domain::mem, site_of(where, __builtin_return_address(0)));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void free(void* p) noexcept { detail::deallocate_inline(p, Domain::mem); }

void print_stats(std::FILE* out) { detail::current_allocator().print_stats(out); }
std::string stats_json() { return detail::current_allocator().stats_json(); }
void verify() { detail::current_allocator().verify(); }

}  // namespace rcgc::mem
