// rcgc raw memory: the pymalloc layer, like PyObject_Malloc & co.
//
// Requests of 1..512 bytes come from the current heap's pools (16-byte size
// classes), larger ones from the system allocator; the backend is chosen at
// start-up by RCGC_MALLOC (pymalloc, malloc, mimalloc, each with _debug;
// "debug" = pymalloc_debug). See docs/allocator.md.
//
// Like the C functions, these return nullptr when memory runs out (and
// calloc when count * size overflows); they never throw. Memory belongs to
// the heap that allocated it: free() returns it there whichever heap is
// current. Blocks are 16-byte aligned.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace rcgc::mem {

// Where a call was made, like std::source_location (which clang 14 with
// libstdc++ 12 lacks): the default argument records the caller's line.
struct SourceSite {
  const char* file = nullptr;
  unsigned line = 0;
  static constexpr SourceSite current(const char* file = __builtin_FILE(),
                                      unsigned line = __builtin_LINE()) noexcept {
    return SourceSite{file, line};
  }
};

// n bytes (n == 0 gives a unique minimal block). `where` is recorded by the
// debug hooks and named in their reports.
void* malloc(std::size_t n,
             SourceSite where = SourceSite::current()) noexcept;
// count * size zeroed bytes; nullptr when the product overflows.
void* calloc(std::size_t count, std::size_t size,
             SourceSite where = SourceSite::current()) noexcept;
// realloc semantics: p == nullptr allocates; on failure returns nullptr and
// leaves p intact; moves between pools and the system allocator across 512.
void* realloc(void* p, std::size_t n,
              SourceSite where = SourceSite::current()) noexcept;
// Frees a block of any heap; nullptr is ignored.
void free(void* p) noexcept;

// sys._debugmallocstats() for the current heap: text, and the same as JSON.
void print_stats(std::FILE* out = stderr);
std::string stats_json();
// With debug hooks: checks every block of the current heap, aborting with a
// report on corruption. Without them: nothing.
void verify();

}  // namespace rcgc::mem
