// rcgc allocator, OS layer: every system call the allocator makes.
#pragma once

#include <cstddef>

namespace rcgc::detail {

// Maps `size` bytes of zeroed, read-write memory aligned to `size` (a power
// of two). Returns nullptr when the OS refuses.
void* os_map_aligned(std::size_t size) noexcept;
// Returns a mapping made by os_map_aligned to the OS.
void os_unmap(void* p, std::size_t size) noexcept;
// True when the byte at p is mapped (a system call; for the debug hooks,
// which must not fault on a wild pointer).
bool os_is_readable(const void* p) noexcept;
// Bytes of the process's memory resident in RAM (/proc/self/statm).
std::size_t os_resident_bytes() noexcept;

}  // namespace rcgc::detail
