// rcgc allocator backends other than the pools: the system allocator and
// mimalloc. mimalloc is opened with dlopen(RTLD_LOCAL) on first use rather
// than linked: Debian's libmimalloc.so also defines malloc/free, and linking
// it would silently replace glibc malloc in every program using rcgc (and
// turn the "malloc" backend into mimalloc).
#pragma once

#include <cstddef>

namespace rcgc::detail {

struct MimallocApi {
  void* (*malloc)(std::size_t) = nullptr;
  void* (*calloc)(std::size_t, std::size_t) = nullptr;
  void* (*realloc)(void*, std::size_t) = nullptr;
  void (*free)(void*) = nullptr;
};

// Loads mimalloc once; false (with a reason in *why) when it is not compiled
// in or cannot be opened.
bool load_mimalloc(const char** why) noexcept;
// The loaded functions (load_mimalloc() returned true before).
const MimallocApi& mimalloc_api() noexcept;

}  // namespace rcgc::detail
