// rcgc allocator: rcgc::detail::Allocator and the backend dispatch.
#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

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
  fast_.store(options_.backend == Backend::pymalloc && !options_.debug && fail_countdown_ < 0,
              std::memory_order_relaxed);
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
  void* p = debug_ ? debug_->allocate(n, d, site, tracked) : raw_allocate(n, tracked);
  // Acquire: seeing tracing on, this thread's frees see traced_pools too
  // (set_tracing switches the free mode first), so they forget the trace.
  if (g_tracing.load(std::memory_order_acquire)) [[unlikely]] trace_allocation(p, n, site);
  return p;
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
  // Forgotten before the block is free: once it is, another thread may be
  // given the same address and trace it.
  if (g_tracing.load(std::memory_order_relaxed)) [[unlikely]] trace_free(p);
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
    case FreeMode::traced_pools:  // the trace forgotten above
      free_to_pools(p);
      return;
  }
}

void AllocatorImpl::deallocate_owned(void* p) noexcept {
  if (!debug_) return deallocate_inline(p, Domain::object);
  if (g_tracing.load(std::memory_order_relaxed)) [[unlikely]] trace_free(p);
  DebugHooks::deallocate(p, Domain::object, &*debug_);
}

void* AllocatorImpl::reallocate(void* p, std::size_t n, Domain d, const AllocSite& site) {
  if (p == nullptr) return allocate_slow(n, d, site);
  check_injected_failure();
  if (!g_tracing.load(std::memory_order_relaxed)) [[likely]]
    return debug_ ? debug_->reallocate(p, n, d, site) : raw_reallocate(p, n);
  // p's trace goes first (p is still this caller's: no other thread can be
  // given its address before the reallocation frees it).
  const TraceEntry old = trace_free(p);
  void* q;
  try {
    q = debug_ ? debug_->reallocate(p, n, d, site) : raw_reallocate(p, n);
  } catch (...) {
    trace_restore(p, old);  // p is intact
    throw;
  }
  trace_allocation(q, n, site);
  return q;
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

// ---- Allocator, and the process's allocators (tracemalloc switches them) ---

std::atomic<bool> g_tracing{false};

namespace {
// Never destroyed: heaps may die during static destruction.
std::mutex& registry_mutex() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<Allocator*>& registry() {
  static auto* v = new std::vector<Allocator*>;
  return *v;
}
// fast_pools_ for `a`, the registry's mutex held.
PoolAllocator* fast_pools_for(AllocatorImpl& impl) noexcept {
  return impl.fast() && !g_tracing.load(std::memory_order_relaxed) ? &impl.pools() : nullptr;
}
}  // namespace

void set_tracing(bool on) noexcept {
  alloc_options();  // g_free_mode set, so that it can be switched
  std::lock_guard lock(registry_mutex());
  // On: frees take the slow path before any block is traced (a block traced
  // and then freed by the fast path would stay traced). Off: no block is
  // traced any more before frees leave the slow path.
  FreeMode from = on ? FreeMode::pools : FreeMode::traced_pools;
  if (!on) g_tracing.store(false, std::memory_order_release);
  g_free_mode.compare_exchange_strong(from, on ? FreeMode::traced_pools : FreeMode::pools);
  if (on) g_tracing.store(true, std::memory_order_release);
  for (Allocator* a : registry())
    a->fast_pools_.store(fast_pools_for(*a->impl()), std::memory_order_relaxed);
}

Allocator::Allocator() : impl_(std::make_unique<AllocatorImpl>()) {
  std::lock_guard lock(registry_mutex());
  registry().push_back(this);
  fast_pools_.store(fast_pools_for(*impl_), std::memory_order_relaxed);
}

void Allocator::update_fast_pools() noexcept {
  std::lock_guard lock(registry_mutex());
  fast_pools_.store(fast_pools_for(*impl_), std::memory_order_relaxed);
}

Allocator::~Allocator() {
  std::lock_guard lock(registry_mutex());
  auto& v = registry();
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

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
