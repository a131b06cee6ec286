// rcgc internal: the per-heap allocator interface.
//
// Every rcgc::Heap owns exactly one Allocator. Objects made with make<T>()
// and raw memory from rcgc::mem::malloc() come from the current heap's
// Allocator. The backend behind it (pymalloc-style pools, plain malloc,
// mimalloc, each optionally wrapped in debug hooks) is chosen once per process
// from RCGC_MALLOC; see src/alloc/.
//
// Contract:
//   * allocate(n) never returns nullptr; it throws std::bad_alloc.
//   * deallocate(p) accepts any pointer returned by any heap's allocate /
//     reallocate (or nullptr) and returns it to the heap that made it,
//     whichever heap is current ("raw memory belongs to its heap").
//   * Not thread-safe: a heap is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace rcgc::detail {

class AllocatorImpl;  // defined in src/alloc/
class PoolAllocator;  // defined in src/alloc/pool.hpp

// The API family a block was allocated through (CPython's memory domains):
// freeing it through another family is misuse the debug hooks report.
enum class Domain : std::uint8_t {
  object = 'o',  // Allocator::allocate / make<T>() and Allocator::deallocate
  mem = 'm',     // rcgc::mem::malloc / calloc / realloc / free
};

// Where an allocation was made, recorded by the debug hooks (and shown in
// their reports). Any field may be null / 0.
struct AllocSite {
  const char* file = nullptr;    // source file (rcgc::mem::SourceSite)
  std::uint32_t line = 0;
  const void* caller = nullptr;  // a return address (__builtin_return_address)
};

void set_tracing(bool on) noexcept;

class Allocator {
 public:
  Allocator();
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Allocates n bytes (n == 0 allowed), 16-byte aligned. Throws std::bad_alloc.
  void* allocate(std::size_t n);
  // Like calloc(count, size): zeroed, overflow-checked. Throws std::bad_alloc.
  void* allocate_zeroed(std::size_t count, std::size_t size);
  // realloc semantics: p == nullptr allocates; moves between pools and the
  // system allocator as the size crosses 512 bytes. Throws std::bad_alloc
  // (p is left intact then).
  void* reallocate(void* p, std::size_t n);
  // Frees a block from any heap's allocator; nullptr is ignored.
  static void deallocate(void* p) noexcept;

  // The same operations naming the API family and the allocation site (for
  // the debug hooks). The overloads above use Domain::object and their
  // caller's return address.
  void* allocate(std::size_t n, Domain domain, const AllocSite& site);
  void* allocate_zeroed(std::size_t count, std::size_t size, Domain domain,
                        const AllocSite& site);
  void* reallocate(void* p, std::size_t n, Domain domain, const AllocSite& site);
  static void deallocate(void* p, Domain domain) noexcept;
  // Frees p, which must come from THIS allocator: with debug hooks, a block
  // of another heap is reported ("freed through the wrong heap").
  void deallocate_owned(void* p) noexcept;

  // Backend chosen from RCGC_MALLOC for the whole process.
  static const char* backend_name() noexcept;  // "pymalloc", "malloc_debug", ...
  static bool pools_enabled() noexcept;        // pymalloc, with or without debug
  static bool debug_enabled() noexcept;        // debug hooks wrap the backend
  // True when p lies in one of the process's pymalloc arenas (any heap).
  // O(1) and safe for any pointer value.
  static bool in_pools(const void* p) noexcept;

  // Failure injection for tests: the (n+1)-th allocation from now, and every
  // one after it, throws std::bad_alloc; n < 0 turns injection off.
  void fail_after(long n) noexcept;

  // For the inline fast paths in src/alloc (rcgc::mem).
  AllocatorImpl* impl() const noexcept { return impl_.get(); }
  // The pools when allocation may take the pool fast path (plain pymalloc,
  // no failure injection), nullptr otherwise: one load from the heap.
  PoolAllocator* fast_pools() const noexcept {
    return fast_pools_.load(std::memory_order_relaxed);
  }
  // Recomputes fast_pools() (failure injection, tracemalloc; under the
  // process's allocator registry, src/alloc/allocator.cpp).
  void update_fast_pools() noexcept;

  // sys._debugmallocstats()-style report of this allocator.
  void print_stats(std::FILE* out) const;
  std::string stats_json() const;

  // Expensive consistency check of every block (debug hooks: guard bytes and
  // freed-fill patterns). Aborts with a report on corruption.
  void verify() const;

 private:
  friend void set_tracing(bool on) noexcept;
  std::unique_ptr<AllocatorImpl> impl_;
  // Written by another thread when tracemalloc starts or stops: atomic,
  // read relaxed (a plain load).
  std::atomic<PoolAllocator*> fast_pools_{nullptr};
};

}  // namespace rcgc::detail
