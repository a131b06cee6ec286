// rcgc: make<T>(), the only way to create a managed object.
#pragma once

#include <new>
#include <typeinfo>
#include <type_traits>
#include <utility>

#include "rcgc/detail/heap_state.hpp"
#include "rcgc/ref.hpp"

namespace rcgc {
namespace detail {

[[noreturn]] void fatal_base_offset(const char* type_name) noexcept;

// Constructs a T in heap `h`. The Object base must sit at offset 0 of T (it
// does for every single-inheritance type, and whenever Object is T's first
// polymorphic base): the GcHead precedes it in memory.
template <class T, class... Args>
Ref<T> make_in(HeapState& h, Args&&... args) {
  static_assert(std::is_base_of_v<Object, T>, "make<T>: T must derive from rcgc::Object");
  static_assert(alignof(T) <= 16, "make<T>: over-aligned types are not supported");
  constexpr std::uint16_t flags = type_flags<T>();
  constexpr bool tracked = (flags & kTracked) != 0;
  void* mem = h.allocate_object(sizeof(T), tracked);
  T* obj;
  try {
    obj = ::new (mem) T(std::forward<Args>(args)...);
  } catch (...) {
    h.abandon_object(mem, tracked);
    throw;
  }
  Object* base = obj;
  if (RCGC_UNLIKELY(static_cast<void*>(base) != static_cast<void*>(obj)))
    fatal_base_offset(typeid(T).name());
  h.adopt_object(base, flags);
  return Ref<T>(obj, kAdopt);
}

}  // namespace detail

// Creates a T on the current heap: the returned Ref holds the only reference.
// May run an automatic collection first (generation 0 threshold).
template <class T, class... Args>
Ref<T> make(Args&&... args) {
  return detail::make_in<T>(detail::current_heap_state(), std::forward<Args>(args)...);
}

}  // namespace rcgc
