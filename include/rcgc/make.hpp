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

// Mode::referents' visitor: does an object reference a tracked object (or
// one of another heap)? A frozen object is tracked (linked in the permanent
// generation).
class ReferentCheck : public Visitor {
 public:
  explicit ReferentCheck(std::uint16_t heap_id) noexcept
      : Visitor(nullptr, Mode::referents, heap_id) {}
  bool met() const noexcept { return met_tracked_; }
};

// Whether op references a tracked object, or one of another heap than
// heap_id (also Collector::untrack_fixed's test).
inline bool references_tracked(const Object* op, std::uint16_t heap_id) noexcept {
  ReferentCheck v(heap_id);
  op->traverse(v);
  return v.met();
}

// Whether a new T, made in heap `heap_id`, promises fixed references and
// holds no reference to a tracked object: then it can never be part of a
// cycle. T is the object's exact type here, so its own hooks are called
// directly (inlined) where they are accessible, else through Object.
template <class T>
__attribute__((flatten)) bool born_untracked(const T* obj, std::uint16_t heap_id) noexcept {
  const Object* base = obj;
  if constexpr (requires(const T* o) { o->T::references_fixed(); }) {
    if (!obj->T::references_fixed()) return false;
  } else if (!base->references_fixed()) {
    return false;
  }
  if constexpr (requires(const T* o, Visitor& w) { o->T::traverse(w); }) {
    ReferentCheck v(heap_id);
    obj->T::traverse(v);
    return !v.met();
  } else {
    return !references_tracked(base, heap_id);
  }
}

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
  bool link = tracked;
  if constexpr (tracked && (flags & kTypeHook) != 0) link = !born_untracked(obj, h.id);
  h.adopt_object(base, flags, link);
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
