// rcgc allocator: rcgc::detail::Allocator and the backend dispatch.
#include <malloc.h>

#include <cstring>
#include <new>

#include "alloc/allocator_impl.hpp"
#include "alloc/backends.hpp"

namespace rcgc::detail {
namespace {

// RCGC_MALLOC is read when the program starts (a bad value stops it there),
// not at the first allocation deep inside it.
[[maybe_unused]] const bool g_options_read = (alloc_options(), true);

void* check(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

std::size_t min_size(std::size_t a, std::size_t b) noexcept { return a < b ? a : b; }

// mimalloc aligns a block to its size class only: sizes rounded up to 16
// keep every block 16-byte aligned, as the contract promises.
std::size_t mi_size(std::size_t n) noexcept {
  return n <= 16 ? 16 : (n + 15) & ~std::size_t{15};
}

}  // namespace

// ---- AllocatorImpl ---------------------------------------------------------

AllocatorImpl::AllocatorImpl() : options_(alloc_options()) {
  if (options_.debug) debug_.emplace(*this, options_.verify_every);
  update_fast();
}

AllocatorImpl::~AllocatorImpl() = default;

void AllocatorImpl::update_fast() noexcept {
  fast_ = options_.backend == Backend::pymalloc && !options_.debug && fail_countdown_ < 0;
}

void AllocatorImpl::fail_after(long n) noexcept {
  fail_countdown_ = n < 0 ? -1 : n;
  update_fast();
}

void AllocatorImpl::check_injected_failure() {
  if (fail_countdown_ < 0) [[likely]] return;
  if (fail_countdown_ == 0) throw std::bad_alloc();
  --fail_countdown_;
}

void* AllocatorImpl::allocate_slow(std::size_t n, Domain d, const AllocSite& site,
                                   bool tracked) {
  check_injected_failure();
  if (debug_) return debug_->allocate(n, d, site, tracked);
  return raw_allocate(n, tracked);
}

void* AllocatorImpl::raw_allocate(std::size_t n, bool tracked) {
  switch (options_.backend) {
    case Backend::pymalloc:
      if (n <= kMaxSmallSize) {
        const std::size_t c = size_class_of(n == 0 ? 1 : n);
        return tracked ? pools_.allocate_tracked_class(c) : pools_.allocate_class(c);
      }
      return check(std::malloc(n));
    case Backend::malloc:
      return check(std::malloc(n == 0 ? 1 : n));
    case Backend::mimalloc:
      return check(mimalloc_api().malloc(mi_size(n)));
  }
  throw std::bad_alloc();
}

void AllocatorImpl::raw_free(void* p) noexcept {
  switch (alloc_options().backend) {
    case Backend::pymalloc:
      if (AddressMap::contains(p)) PoolAllocator::free_block(p);
      else std::free(p);
      return;
    case Backend::malloc:
      std::free(p);
      return;
    case Backend::mimalloc:
      mimalloc_api().free(p);
      return;
  }
}

void AllocatorImpl::deallocate_slow(void* p, Domain d) noexcept {
  switch (g_free_mode.load(std::memory_order_acquire)) {
    case FreeMode::unset:  // no allocator made yet: p can only be foreign
      alloc_options();
      deallocate_inline(p, d);
      return;
    case FreeMode::pools:
      deallocate_inline(p, d);
      return;
    case FreeMode::malloc:
      std::free(p);
      return;
    case FreeMode::mimalloc:
      if (p != nullptr) mimalloc_api().free(p);
      return;
    case FreeMode::debug:
      DebugHooks::deallocate(p, d, nullptr);
      return;
  }
}

void AllocatorImpl::deallocate_owned(void* p) noexcept {
  if (debug_) DebugHooks::deallocate(p, Domain::object, &*debug_);
  else deallocate_inline(p, Domain::object);
}

void* AllocatorImpl::reallocate(void* p, std::size_t n, Domain d, const AllocSite& site) {
  if (p == nullptr) return allocate_slow(n, d, site);
  check_injected_failure();
  if (debug_) return debug_->reallocate(p, n, d, site);
  return raw_reallocate(p, n);
}

void* AllocatorImpl::raw_reallocate(void* p, std::size_t n) {
  switch (options_.backend) {
    case Backend::pymalloc: return pools_reallocate(p, n);
    case Backend::malloc: return check(std::realloc(p, n == 0 ? 1 : n));
    case Backend::mimalloc: return check(mimalloc_api().realloc(p, mi_size(n)));
  }
  throw std::bad_alloc();
}

// Pool blocks keep their place when shrinking by less than a quarter (as
// CPython does); everything else moves, between pools and the system
// allocator as the size crosses 512 bytes.
void* AllocatorImpl::pools_reallocate(void* p, std::size_t n) {
  if (AddressMap::contains(p)) {
    std::size_t bs = PoolAllocator::block_size(p);
    if (n <= bs && 4 * n > 3 * bs) return p;
    void* q = raw_allocate(n);
    std::memcpy(q, p, min_size(n, bs));
    PoolAllocator::free_block(p);
    return q;
  }
  if (n > kMaxSmallSize) return check(std::realloc(p, n));
  void* q = raw_allocate(n);
  std::memcpy(q, p, min_size(n, ::malloc_usable_size(p)));
  std::free(p);
  return q;
}

void AllocatorImpl::collect_stats(AllocStats& out) const noexcept {
  out = AllocStats{};
  out.backend = options_.name;
  out.pools_enabled = options_.backend == Backend::pymalloc;
  if (out.pools_enabled) pools_.collect_stats(out.pools);
  if (debug_) debug_->collect_stats(out.debug);
}

void AllocatorImpl::verify() const noexcept {
  if (debug_) debug_->verify();
}

// ---- Allocator -------------------------------------------------------------

Allocator::Allocator() : impl_(std::make_unique<AllocatorImpl>()) { update_fast_pools(); }

void Allocator::update_fast_pools() noexcept {
  fast_pools_ = impl_->fast() ? &impl_->pools() : nullptr;
}
Allocator::~Allocator() = default;

void* Allocator::allocate(std::size_t n) {
  return allocate_inline(*this, n, Domain::object, __builtin_return_address(0));
}

void* Allocator::allocate(std::size_t n, Domain domain, const AllocSite& site) {
  return allocate_inline(*this, n, domain, site);
}

void* Allocator::allocate_zeroed(std::size_t count, std::size_t size) {
  return allocate_zeroed(count, size, Domain::object,
                         AllocSite{nullptr, 0, __builtin_return_address(0)});
}

void* Allocator::allocate_zeroed(std::size_t count, std::size_t size, Domain domain,
                                 const AllocSite& site) {
  std::size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) throw std::bad_alloc();
  void* p = allocate_inline(*this, total, domain, site);
  std::memset(p, 0, total);
  return p;
}

void* Allocator::reallocate(void* p, std::size_t n) {
  return impl_->reallocate(p, n, Domain::object,
                           AllocSite{nullptr, 0, __builtin_return_address(0)});
}

void* Allocator::reallocate(void* p, std::size_t n, Domain domain, const AllocSite& site) {
  return impl_->reallocate(p, n, domain, site);
}

void Allocator::deallocate(void* p) noexcept { deallocate_inline(p, Domain::object); }
void Allocator::deallocate(void* p, Domain domain) noexcept { deallocate_inline(p, domain); }
void Allocator::deallocate_owned(void* p) noexcept { impl_->deallocate_owned(p); }

const char* Allocator::backend_name() noexcept { return alloc_options().name; }
bool Allocator::pools_enabled() noexcept {
  return alloc_options().backend == Backend::pymalloc;
}
bool Allocator::debug_enabled() noexcept { return alloc_options().debug; }

bool Allocator::in_pools(const void* p) noexcept {
  return AddressMap::contains(p) &&
         (reinterpret_cast<std::uintptr_t>(p) & (kArenaSize - 1)) >= kPoolSize;
}

void Allocator::fail_after(long n) noexcept {
  impl_->fail_after(n);
  update_fast_pools();
}

void Allocator::print_stats(std::FILE* out) const {
  AllocStats s;
  impl_->collect_stats(s);
  print_stats_text(s, out);
}

std::string Allocator::stats_json() const {
  AllocStats s;
  impl_->collect_stats(s);
  return stats_to_json(s);
}

void Allocator::verify() const { impl_->verify(); }

}  // namespace rcgc::detail
