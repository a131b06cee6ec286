// rcgc compile-time options and assertions.
//
// RCGC_DEBUG_LEVEL selects how much checking is compiled in:
//   0  release: only always-on checks of misuse a user can cause
//   1  debug: + cheap internal checks (cross-heap references, list sanity)
//   2  + internal checks on every collection phase
//   3  + expensive whole-heap verification after each collection
// The default is 1 when NDEBUG is not defined, 0 otherwise.
#pragma once

#ifndef RCGC_DEBUG_LEVEL
#ifdef NDEBUG
#define RCGC_DEBUG_LEVEL 0
#else
#define RCGC_DEBUG_LEVEL 1
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RCGC_LIKELY(x) __builtin_expect(!!(x), 1)
#define RCGC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RCGC_NOINLINE __attribute__((noinline))
#define RCGC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define RCGC_LIKELY(x) (x)
#define RCGC_UNLIKELY(x) (x)
#define RCGC_NOINLINE
#define RCGC_ALWAYS_INLINE inline
#endif

namespace rcgc::detail {
// Prints "rcgc: fatal: <message>" to stderr and aborts. Never allocates: the
// message is formatted into a stack buffer.
[[noreturn]] void fatal(const char* fmt, ...) noexcept
    __attribute__((format(printf, 1, 2)));
}  // namespace rcgc::detail

// Always-on check of user-caused misuse: a clear message, then abort.
#define RCGC_CHECK(cond, ...)                                       \
  do {                                                              \
    if (RCGC_UNLIKELY(!(cond))) ::rcgc::detail::fatal(__VA_ARGS__); \
  } while (0)

// Internal invariant checks, compiled in at the given debug level.
#define RCGC_DCHECK_AT(level, cond)                                          \
  do {                                                                       \
    if constexpr (RCGC_DEBUG_LEVEL >= (level)) {                             \
      if (RCGC_UNLIKELY(!(cond)))                                            \
        ::rcgc::detail::fatal("internal check failed: %s (%s:%d)", #cond,    \
                              __FILE__, __LINE__);                           \
    }                                                                        \
  } while (0)
#define RCGC_DCHECK(cond) RCGC_DCHECK_AT(1, cond)
