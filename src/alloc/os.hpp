// rcgc allocator, OS layer: every system call the allocator makes.
#pragma once

#include <cstddef>

namespace rcgc::detail {

// Maps `size` bytes of zeroed, read-write memory aligned to `size` (a power
// of two). Returns nullptr when the OS refuses.
void* os_map_aligned(std::size_t size) noexcept;
// Returns a mapping made by os_map_aligned (or os_reserve) to the OS.
void os_unmap(void* p, std::size_t size) noexcept;
// Reserves `size` bytes of address space aligned to `alignment` (a power of
// two), inaccessible and without backing. Returns nullptr when refused.
void* os_reserve(std::size_t size, std::size_t alignment) noexcept;
// Within a reservation: maps [p, p + size) as zeroed read-write memory
// (false when refused); makes it read-write keeping its contents; gives its
// pages back and makes it inaccessible again; lets the kernel take its
// pages when it needs them (they then read zero).
bool os_commit(void* p, std::size_t size) noexcept;
bool os_make_writable(void* p, std::size_t size) noexcept;
void os_decommit(void* p, std::size_t size) noexcept;
void os_free_lazily(void* p, std::size_t size) noexcept;
// Scratch memory for one collection (the collector's EdgeLog): `size`
// bytes rounded up to whole pages (os_scratch_size), zeroed, read-write;
// from 2 MiB up, in transparent huge pages where the kernel allows them
// (MADV_HUGEPAGE): a table of 20 MB then costs a dozen page faults, not
// five thousand. nullptr when refused. Returned with os_unmap(p,
// os_scratch_size(size)).
void* os_map_scratch(std::size_t size) noexcept;
std::size_t os_scratch_size(std::size_t size) noexcept;
// The process's limit on address space (RLIMIT_AS) in bytes; 0: none.
std::size_t os_address_space_limit() noexcept;
// True when the byte at p is mapped (a system call; for the debug hooks,
// which must not fault on a wild pointer).
bool os_is_readable(const void* p) noexcept;
// Bytes of the process's memory resident in RAM (/proc/self/statm).
std::size_t os_resident_bytes() noexcept;

}  // namespace rcgc::detail
