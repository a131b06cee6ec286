// sys.unraisablehook: where exceptions that cannot propagate go.
#include <cstdio>
#include <mutex>
#include <typeinfo>

#include "core/describe.hpp"
#include "rcgc/gc.hpp"

namespace rcgc {
namespace {

std::mutex hook_mutex;
UnraisableHook& hook_slot() {
  static UnraisableHook hook;
  return hook;
}

// Prints what CPython's default hook prints, minus the traceback:
//   Exception ignored in: <where>
//   <exception type>: <message>
void default_hook(std::exception_ptr error, const std::string& where) {
  std::fprintf(stderr, "Exception ignored in: %s\n", where.c_str());
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", detail::demangle(typeid(e).name()).c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "unknown exception\n");
  }
  std::fflush(stderr);
}

}  // namespace

UnraisableHook set_unraisable_hook(UnraisableHook hook) {
  std::lock_guard lock(hook_mutex);
  UnraisableHook previous = std::move(hook_slot());
  hook_slot() = std::move(hook);
  return previous;
}

void write_unraisable(std::exception_ptr error, const std::string& where) noexcept {
  UnraisableHook hook;
  {
    std::lock_guard lock(hook_mutex);
    hook = hook_slot();
  }
  try {
    if (hook)
      hook(error, where);
    else
      default_hook(error, where);
  } catch (...) {
    // A hook that throws: fall back to the default report, as CPython does.
    default_hook(std::current_exception(), "the unraisable hook");
  }
}

}  // namespace rcgc
