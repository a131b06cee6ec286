// rcgc: Python's memory management for C++. The one header to include.
#pragma once

#include "rcgc/config.hpp"      // IWYU pragma: export
#include "rcgc/dict.hpp"        // IWYU pragma: export
#include "rcgc/gc.hpp"          // IWYU pragma: export
#include "rcgc/heap.hpp"        // IWYU pragma: export
#include "rcgc/immortal.hpp"    // IWYU pragma: export
#include "rcgc/leaks.hpp"       // IWYU pragma: export
#include "rcgc/make.hpp"        // IWYU pragma: export
#include "rcgc/memory_profiler.hpp"  // IWYU pragma: export
#include "rcgc/objgraph.hpp"    // IWYU pragma: export
#include "rcgc/object.hpp"      // IWYU pragma: export
#include "rcgc/ref.hpp"         // IWYU pragma: export
#include "rcgc/tracemalloc.hpp" // IWYU pragma: export
#include "rcgc/weakref.hpp"     // IWYU pragma: export
#if __has_include("rcgc/mem.hpp")
#include "rcgc/mem.hpp"         // IWYU pragma: export
#endif
