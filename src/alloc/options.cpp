// rcgc allocator options (see options.hpp).
#include "alloc/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "alloc/backends.hpp"

namespace rcgc::detail {

std::atomic<FreeMode> g_free_mode{FreeMode::unset};

namespace {

struct MallocChoice {
  const char* name;
  Backend backend;
  bool debug;
};

constexpr MallocChoice kChoices[] = {
    {"pymalloc", Backend::pymalloc, false}, {"pymalloc_debug", Backend::pymalloc, true},
    {"malloc", Backend::malloc, false},     {"malloc_debug", Backend::malloc, true},
    {"mimalloc", Backend::mimalloc, false}, {"mimalloc_debug", Backend::mimalloc, true},
    {"debug", Backend::pymalloc, true},
};

unsigned long read_verify_every() noexcept {
  const char* v = std::getenv("RCGC_MALLOC_VERIFY");
  return v == nullptr ? 0 : std::strtoul(v, nullptr, 10);
}

FreeMode free_mode_of(const AllocOptions& o) noexcept {
  if (o.debug) return FreeMode::debug;
  switch (o.backend) {
    case Backend::pymalloc: return FreeMode::pools;
    case Backend::malloc: return FreeMode::malloc;
    case Backend::mimalloc: return FreeMode::mimalloc;
  }
  return FreeMode::pools;
}

AllocOptions read_options() noexcept {
  AllocOptions o;
  const char* value = std::getenv("RCGC_MALLOC");
  if (!parse_malloc_option(value, o)) die_bad_malloc_option(value);
  const char* why = nullptr;
  if (o.backend == Backend::mimalloc && !load_mimalloc(&why)) {
    std::fprintf(stderr, "rcgc: RCGC_MALLOC=%s: mimalloc is not available: %s\n",
                 value, why);
    std::exit(2);
  }
  o.verify_every = read_verify_every();
  g_free_mode.store(free_mode_of(o), std::memory_order_release);
  return o;
}

}  // namespace

bool parse_malloc_option(const char* value, AllocOptions& out) noexcept {
  if (value == nullptr || *value == '\0') value = "pymalloc";
  for (const MallocChoice& c : kChoices) {
    if (std::strcmp(value, c.name) != 0) continue;
    out.backend = c.backend;
    out.debug = c.debug;
    out.name = c.debug && c.backend == Backend::pymalloc ? "pymalloc_debug" : c.name;
    return true;
  }
  return false;
}

void die_bad_malloc_option(const char* value) noexcept {
  std::fprintf(stderr,
               "rcgc: RCGC_MALLOC=%s is not a valid value; valid values are:", value);
  for (const MallocChoice& c : kChoices) std::fprintf(stderr, " %s", c.name);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  std::exit(2);
}

const AllocOptions& alloc_options() noexcept {
  static const AllocOptions options = read_options();
  return options;
}

}  // namespace rcgc::detail
