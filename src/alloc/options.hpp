// rcgc allocator options: one table of runtime settings, each read from an
// RCGC_* environment variable once, at the first use of an allocator (or at
// start-up: allocator.cpp forces it from a static initializer).
//
//   RCGC_MALLOC         pymalloc (default) | malloc | mimalloc, each with an
//                       optional "_debug"; "debug" = "pymalloc_debug"
//   RCGC_MALLOC_VERIFY  with debug hooks: verify every block each N calls
//                       (0, the default: only at free/realloc/verify()/exit)
#pragma once

#include <atomic>
#include <memory>
#include <cstdint>

namespace rcgc::detail {

enum class Backend : std::uint8_t { pymalloc, malloc, mimalloc };

struct AllocOptions {
  Backend backend = Backend::pymalloc;
  bool debug = false;
  unsigned long verify_every = 0;
  const char* name = "pymalloc";  // canonical RCGC_MALLOC spelling
};

// Parses an RCGC_MALLOC value (nullptr or "" = default). False if unknown.
bool parse_malloc_option(const char* value, AllocOptions& out) noexcept;
// Prints the valid values to stderr and exits with status 2.
[[noreturn]] void die_bad_malloc_option(const char* value) noexcept;
// The process's options; the first call reads the environment (and exits
// on a bad RCGC_MALLOC, or when mimalloc was asked for but is unavailable).
const AllocOptions& alloc_options() noexcept;

// How Allocator::deallocate dispatches; set once by alloc_options().
// `traced_pools`: pools while tracemalloc traces (set_tracing), so that
// every free takes the slow path, which forgets the block's trace.
enum class FreeMode : std::uint8_t { unset, pools, malloc, mimalloc, debug, traced_pools };
extern std::atomic<FreeMode> g_free_mode;

// tracemalloc (src/tools/tracemalloc.cpp). While g_tracing, no allocator
// takes its pool fast path, so every block passes AllocatorImpl's slow
// paths, which record it (trace_allocation) and forget it when freed
// (trace_free). set_tracing switches every allocator of the process.
extern std::atomic<bool> g_tracing;
void set_tracing(bool on) noexcept;
struct AllocSite;
void trace_allocation(void* p, std::size_t n, const AllocSite& site) noexcept;
// Forgets p's trace; returns it (size 0 when p had none), which a failed
// reallocation puts back with trace_restore.
struct TraceEntry {
  std::size_t size = 0;
  std::shared_ptr<const void> traceback;  // tracemalloc's own
  std::uint64_t epoch = 0;  // trace_restore ignores an entry older than the last clear
};
TraceEntry trace_free(void* p) noexcept;
void trace_restore(void* p, const TraceEntry& entry) noexcept;

}  // namespace rcgc::detail
