// rcgc allocator statistics as text (like sys._debugmallocstats()) and JSON.
#include "alloc/stats.hpp"

#include <cinttypes>

namespace rcgc::detail {
namespace {

struct Field {
  const char* name;
  std::size_t value;
};

// The summary figures, declared once for both formats.
template <typename F>
void for_each_summary(const AllocStats& s, F&& f) {
  const PoolStats& p = s.pools;
  const Field fields[] = {
      {"arenas_allocated", p.arenas_allocated},   {"arenas_reclaimed", p.arenas_reclaimed},
      {"arenas_highwater", p.arenas_highwater},   {"arenas_current", p.arenas_current},
      {"arenas_spare", p.arenas_spare},           {"bytes_in_use", p.bytes_in_use},
      {"bytes_free_blocks", p.bytes_free_blocks}, {"bytes_pool_headers", p.bytes_pool_headers},
      {"bytes_unused_pools", p.bytes_unused_pools},
      {"bytes_quantization", p.bytes_quantization},
      {"bytes_arena_headers", p.bytes_arena_headers},
      {"bytes_arenas_mapped", p.arenas_current * kArenaSize},
  };
  for (const Field& field : fields) f(field);
}

void print_classes(const PoolStats& p, std::FILE* out) {
  std::fprintf(out, "class   size   num pools   blocks in use  avail blocks\n");
  std::fprintf(out, "-----   ----   ---------   -------------  ------------\n");
  for (std::size_t c = 0; c < kNumSizeClasses; ++c) {
    const ClassStats& cs = p.classes[c];
    if (cs.pools == 0) continue;
    std::fprintf(out, "%5zu %6zu %11zu %15zu %13zu\n", c, class_block_size(c), cs.pools,
                 cs.blocks_in_use, cs.blocks_available);
  }
}

}  // namespace

void print_stats_text(const AllocStats& s, std::FILE* out) {
  std::fprintf(out, "Small block threshold = %zu, in %zu size classes.\n", kMaxSmallSize,
               kNumSizeClasses);
  std::fprintf(out, "rcgc allocator backend: %s\n\n", s.backend);
  if (s.pools_enabled) {
    print_classes(s.pools, out);
    std::fprintf(out, "\n");
    for_each_summary(s, [out](const Field& f) {
      std::fprintf(out, "# %-28s = %15zu\n", f.name, f.value);
    });
  } else {
    std::fprintf(out, "(no pools: the backend allocates every block)\n");
  }
  if (s.debug.enabled) {
    std::fprintf(out, "\ndebug hooks: %zu live blocks (%zu bytes requested), %zu quarantined, "
                      "%zu allocations so far\n",
                 s.debug.live_blocks, s.debug.live_bytes, s.debug.quarantined_blocks,
                 s.debug.serial);
  }
}

std::string stats_to_json(const AllocStats& s) {
  std::string j = "{\"backend\":\"";
  j += s.backend;
  j += "\",\"pools_enabled\":";
  j += s.pools_enabled ? "true" : "false";
  j += ",\"size_classes\":[";
  for (std::size_t c = 0; c < kNumSizeClasses; ++c) {
    const ClassStats& cs = s.pools.classes[c];
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "%s{\"class\":%zu,\"size\":%zu,\"pools\":%zu,\"blocks_in_use\":%zu,"
                  "\"blocks_available\":%zu}",
                  c == 0 ? "" : ",", c, class_block_size(c), cs.pools, cs.blocks_in_use,
                  cs.blocks_available);
    j += buf;
  }
  j += "]";
  for_each_summary(s, [&j](const Field& f) {
    j += ",\"";
    j += f.name;
    j += "\":";
    j += std::to_string(f.value);
  });
  j += ",\"debug\":{\"enabled\":";
  j += s.debug.enabled ? "true" : "false";
  j += ",\"live_blocks\":" + std::to_string(s.debug.live_blocks);
  j += ",\"live_bytes\":" + std::to_string(s.debug.live_bytes);
  j += ",\"quarantined_blocks\":" + std::to_string(s.debug.quarantined_blocks);
  j += ",\"serial\":" + std::to_string(s.debug.serial);
  j += "}}";
  return j;
}

}  // namespace rcgc::detail
