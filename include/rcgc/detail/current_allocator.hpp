// rcgc internal: the allocator of this thread's current heap (defined by the
// heap layer in src/core).
#pragma once

#include "rcgc/detail/allocator.hpp"

namespace rcgc::detail {
Allocator& current_allocator() noexcept;
}  // namespace rcgc::detail
