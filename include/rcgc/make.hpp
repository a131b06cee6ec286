// rcgc: make<T>(), the only way to create a managed object.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <typeinfo>
#include <type_traits>
#include <utility>

#include "rcgc/detail/heap_state.hpp"
#include "rcgc/ref.hpp"

namespace rcgc {
namespace detail {

[[noreturn]] void fatal_base_offset(const char* type_name) noexcept;
[[noreturn]] void fatal_fixed_referent(const char* type_name) noexcept;

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

// Allocates and constructs a T in heap `h`, with a GC header before it if
// `tracked`; the memory goes back if the constructor throws. The Object
// base must sit at offset 0 of T (it does for every single-inheritance
// type, and whenever Object is T's first polymorphic base): the GcHead
// precedes it in memory.
template <class T, bool tracked, class... Args>
RCGC_ALWAYS_INLINE T* construct_in(HeapState& h, Args&&... args) {
  static_assert(std::is_base_of_v<Object, T>, "make<T>: T must derive from rcgc::Object");
  static_assert(alignof(T) <= 16, "make<T>: over-aligned types are not supported");
  void* mem = h.allocate_object(sizeof(T), tracked);
  T* obj;
  try {
    obj = ::new (mem) T(std::forward<Args>(args)...);
  } catch (...) {
    h.abandon_object(mem, tracked);
    throw;
  }
  const Object* base = obj;
  if (RCGC_UNLIKELY(static_cast<const void*>(base) != static_cast<void*>(obj)))
    fatal_base_offset(typeid(T).name());
  return obj;
}

// Constructs a T in heap `h` (make<T>).
template <class T, class... Args>
Ref<T> make_in(HeapState& h, Args&&... args) {
  constexpr std::uint16_t flags = type_flags<T>();
  constexpr bool tracked = (flags & kTracked) != 0;
  T* obj = construct_in<T, tracked>(h, std::forward<Args>(args)...);
  Object* base = obj;
  bool link = tracked;
  if constexpr (tracked && (flags & kTypeHook) != 0) link = !born_untracked(obj, h.id);
  h.adopt_object(base, flags, link);
  return Ref<T>(obj, kAdopt);
}

// A pointer that converts implicitly to const Object* (not void*, not a
// pointer to an incomplete type or through a private or ambiguous base:
// those make the object as make<T> does).
template <class A>
concept ObjectPointer = std::is_pointer_v<A> && requires(A p, void (*f)(const Object*)) { f(p); };
// make_fixed: an argument make_fixed_in can see through. A Ref (or a
// pointer to an Object) is a reference to check; numbers, enumerations,
// nullptr and character data hold none. Any other argument (a container of
// Refs, a user type) might hold references make_fixed cannot see: then the
// object is made as make<T> makes it.
template <class A>
inline constexpr bool kSeenThrough =
    std::is_arithmetic_v<A> || std::is_enum_v<A> || std::is_same_v<A, std::nullptr_t> ||
    std::is_same_v<A, std::string> || std::is_same_v<A, std::string_view> ||
    std::is_same_v<A, const char*> || std::is_same_v<A, char*> || ObjectPointer<A>;
template <class T>
inline constexpr bool kSeenThrough<Ref<T>> = true;
template <class A>
inline constexpr bool kSeenThroughArray =  // a string literal
    std::is_array_v<A> && std::is_same_v<std::remove_cv_t<std::remove_extent_t<A>>, char>;

// Whether one argument holds no tracked object of heap `heap_id` (nor one
// of another heap): holds_untracked (ref.hpp), Mode::referents' test.
template <class A>
bool argument_untracked(const A& a, std::uint16_t heap_id) noexcept {
  using D = std::remove_cvref_t<A>;
  if constexpr (IsRef<D>::value) {
    return holds_untracked(a.get(), heap_id);
  } else if constexpr (ObjectPointer<D>) {
    return holds_untracked(a, heap_id);
  } else {
    return true;
  }
}

// make_fixed's other case: an argument holds a tracked object, or one
// make_fixed cannot see through. Out of line, so that the common case's
// checks inline (make_fixed_in is flattened).
template <class T, class... Args>
RCGC_NOINLINE Ref<T> make_fixed_tracked_in(HeapState& h, Args&&... args) {
  return make_in<T>(h, std::forward<Args>(args)...);
}

// make_fixed<T> in heap `h` (rcgc::make_fixed).
template <class T, class... Args>
__attribute__((flatten)) Ref<T> make_fixed_in(HeapState& h, Args&&... args) {
  constexpr std::uint16_t flags = type_flags<T>();
  static_assert((flags & kTracked) != 0,
                "make_fixed<T>: T declares no traverse(), so make<T> already makes it without a "
                "GC header");
  static_assert(declares_references_fixed<T>(),
                "make_fixed<T>: T must declare references_fixed() (its references are those its "
                "constructor is given, never changed)");
  static_assert((flags & (kHasFinalize | kHasLegacy)) == 0,
                "make_fixed<T>: a type with a finalizer (which may resurrect the object) "
                "cannot wait in the trashcan's queue without a GC header: use make<T>");
  constexpr bool seen = ((kSeenThrough<std::remove_cvref_t<Args>> ||
                          kSeenThroughArray<std::remove_reference_t<Args>>) && ...);
  if constexpr (!seen) {
    return make_in<T>(h, std::forward<Args>(args)...);
  } else {
    if (RCGC_UNLIKELY(!(argument_untracked(args, h.id) && ...)))
      return make_fixed_tracked_in<T>(h, std::forward<Args>(args)...);
    // No GC header: the block holds the object alone, as an untracked
    // type's does, and the object is never tracked.
    T* obj = construct_in<T, false>(h, std::forward<Args>(args)...);
    Object* base = obj;
    // The promise checked: a constructor that took a tracked object from
    // elsewhere (or an object that says its references may still change)
    // would need the header it was not given.
    if (RCGC_UNLIKELY(!born_untracked(obj, h.id))) fatal_fixed_referent(typeid(T).name());
    h.adopt_object(base, static_cast<std::uint16_t>(flags & ~kTracked), false);
    return Ref<T>(obj, kAdopt);
  }
}

}  // namespace detail

// Creates a T on the current heap: the returned Ref holds the only reference.
// May run an automatic collection first (generation 0 threshold).
template <class T, class... Args>
Ref<T> make(Args&&... args) {
  return detail::make_in<T>(detail::current_heap_state(), std::forward<Args>(args)...);
}

// Creates a T whose references are those its constructor is given (a
// Python tuple's), as make<T> does, but when no argument holds a tracked
// object (all of them untracked, null, or no references: numbers,
// enumerations, strings) without the 16-byte GC header: such an object can
// never be part of a cycle, so it is never tracked and needs none (make<T>
// gives it the header all the same and leaves it untracked). T must
// declare traverse() and references_fixed(), and no finalizer. Arguments
// make_fixed cannot see through (a std::vector of Refs, a user type) make
// the object as make<T> does. A constructor that takes a reference to a
// tracked object from elsewhere breaks the promise: fatal error.
template <class T, class... Args>
Ref<T> make_fixed(Args&&... args) {
  return detail::make_fixed_in<T>(detail::current_heap_state(), std::forward<Args>(args)...);
}

}  // namespace rcgc
