// rcgc allocator backends: mimalloc through dlopen (see backends.hpp).
#include "alloc/backends.hpp"

#include <mutex>

#ifdef RCGC_HAVE_MIMALLOC
#include <dlfcn.h>
#endif

namespace rcgc::detail {
namespace {

MimallocApi g_mimalloc;

#ifdef RCGC_HAVE_MIMALLOC
#ifndef RCGC_MIMALLOC_SONAME
#define RCGC_MIMALLOC_SONAME "libmimalloc.so.2"
#endif

template <typename F>
bool bind(void* lib, const char* name, F& out) noexcept {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  return out != nullptr;
}

const char* open_mimalloc() noexcept {
  void* lib = ::dlopen(RCGC_MIMALLOC_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return "cannot dlopen " RCGC_MIMALLOC_SONAME;
  MimallocApi api;
  if (!bind(lib, "mi_malloc", api.malloc) || !bind(lib, "mi_calloc", api.calloc) ||
      !bind(lib, "mi_realloc", api.realloc) || !bind(lib, "mi_free", api.free))
    return "mi_malloc/mi_calloc/mi_realloc/mi_free missing in " RCGC_MIMALLOC_SONAME;
  g_mimalloc = api;
  return nullptr;
}
#endif

}  // namespace

bool load_mimalloc(const char** why) noexcept {
#ifdef RCGC_HAVE_MIMALLOC
  static const char* error = open_mimalloc();
  if (why != nullptr) *why = error;
  return error == nullptr;
#else
  if (why != nullptr)
    *why = "rcgc was built without mimalloc (install libmimalloc-dev and rebuild)";
  return false;
#endif
}

const MimallocApi& mimalloc_api() noexcept { return g_mimalloc; }

}  // namespace rcgc::detail
