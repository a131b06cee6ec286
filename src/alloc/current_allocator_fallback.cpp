// TEMPORARY (alloc work in progress): stands in for the heap layer's
// current_allocator() until src/core defines it (weak: a real definition
// wins). Delete this file then.
#include "rcgc/detail/current_allocator.hpp"

namespace rcgc::detail {
__attribute__((weak)) Allocator& current_allocator() noexcept {
  static Allocator* allocator = new Allocator();  // never destroyed
  return *allocator;
}
}  // namespace rcgc::detail
