// rcgc allocator statistics: declared once here, filled by the layers,
// printed as text or JSON by stats.cpp (sys._debugmallocstats() figures).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "alloc/alloc_config.hpp"

namespace rcgc::detail {

struct ClassStats {
  std::size_t pools = 0;             // pools serving this class
  std::size_t blocks_in_use = 0;     // handed out
  std::size_t blocks_available = 0;  // free or not yet carved, in those pools
};

struct PoolStats {
  ClassStats classes[kNumSizeClasses];
  std::size_t arenas_allocated = 0;   // mapped over the heap's lifetime
  std::size_t arenas_reclaimed = 0;   // returned to the OS
  std::size_t arenas_highwater = 0;   // most mapped at once
  std::size_t arenas_current = 0;     // mapped now (including the spares)
  std::size_t arenas_spare = 0;       // fully free, kept mapped (<= max(1, in use))
  std::size_t bytes_in_use = 0;       // in allocated blocks
  std::size_t bytes_free_blocks = 0;  // in available blocks of used pools
  std::size_t bytes_pool_headers = 0;
  std::size_t bytes_unused_pools = 0;   // free pools (incl. never used, spares)
  std::size_t bytes_quantization = 0;   // pool tails too small for a block
  std::size_t bytes_arena_headers = 0;  // pool 0 of every arena
};

// What the debug hooks add to the report (all zero without them).
struct DebugStats {
  bool enabled = false;
  std::size_t live_blocks = 0;
  std::size_t live_bytes = 0;       // requested sizes
  std::size_t quarantined_blocks = 0;
  std::size_t serial = 0;           // allocations made so far
};

struct AllocStats {
  const char* backend = "pymalloc";
  bool pools_enabled = false;
  PoolStats pools;
  DebugStats debug;
};

void print_stats_text(const AllocStats& s, std::FILE* out);
std::string stats_to_json(const AllocStats& s);

}  // namespace rcgc::detail
