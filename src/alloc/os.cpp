// rcgc allocator, OS layer (Linux/POSIX).
#include "alloc/os.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace rcgc::detail {
namespace {

void* map_anonymous(std::size_t size, int prot, int flags) noexcept {
  void* p = ::mmap(nullptr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void* map_fixed(void* at, std::size_t size, int prot, int flags) noexcept {
  void* p = ::mmap(at, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

bool is_aligned(const void* p, std::size_t alignment) noexcept {
  return (reinterpret_cast<std::uintptr_t>(p) & (alignment - 1)) == 0;
}

// First try an exact mapping (the kernel often hands out aligned ranges next
// to earlier ones); otherwise over-map by `alignment` and trim both ends.
void* map_aligned(std::size_t size, std::size_t alignment, int prot, int flags) noexcept {
  void* p = map_anonymous(size, prot, flags);
  if (p == nullptr || is_aligned(p, alignment)) return p;
  ::munmap(p, size);
  auto* raw = static_cast<char*>(map_anonymous(size + alignment, prot, flags));
  if (raw == nullptr) return nullptr;
  auto base = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = (base + alignment - 1) & ~(std::uintptr_t{alignment} - 1);
  std::size_t head = aligned - base;
  if (head != 0) ::munmap(raw, head);
  std::size_t tail = alignment - head;
  if (tail != 0) ::munmap(reinterpret_cast<char*>(aligned) + size, tail);
  return reinterpret_cast<void*>(aligned);
}

}  // namespace

void* os_map_aligned(std::size_t size) noexcept {
  return map_aligned(size, size, PROT_READ | PROT_WRITE, 0);
}

void* os_reserve(std::size_t size, std::size_t alignment) noexcept {
  return map_aligned(size, alignment, PROT_NONE, MAP_NORESERVE);
}

bool os_commit(void* p, std::size_t size) noexcept {
  return map_fixed(p, size, PROT_READ | PROT_WRITE, 0) != nullptr;
}

bool os_make_writable(void* p, std::size_t size) noexcept {
  return ::mprotect(p, size, PROT_READ | PROT_WRITE) == 0;
}

void os_decommit(void* p, std::size_t size) noexcept {
  if (map_fixed(p, size, PROT_NONE, MAP_NORESERVE) != nullptr) return;
  // Refused (a limit on the number of mappings): the pages still go, and
  // the range is no longer accessible.
  ::madvise(p, size, MADV_DONTNEED);
  ::mprotect(p, size, PROT_NONE);
}

void os_free_lazily(void* p, std::size_t size) noexcept { ::madvise(p, size, MADV_FREE); }

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

std::size_t os_scratch_size(std::size_t size) noexcept {
  const std::size_t unit = size >= kHugePage ? kHugePage : 4096;
  return (size + unit - 1) & ~(unit - 1);
}

void* os_map_scratch(std::size_t size) noexcept {
  const std::size_t bytes = os_scratch_size(size);
  if (bytes < kHugePage) return map_anonymous(bytes, PROT_READ | PROT_WRITE, 0);
  void* p = map_aligned(bytes, kHugePage, PROT_READ | PROT_WRITE, 0);
  if (p != nullptr) ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint: refused, small pages
  return p;
}

std::size_t os_address_space_limit() noexcept {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<std::size_t>(rl.rlim_cur);
}

void os_unmap(void* p, std::size_t size) noexcept { ::munmap(p, size); }

bool os_is_readable(const void* p) noexcept {
  static const long page = ::sysconf(_SC_PAGESIZE);
  auto addr = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t(page - 1);
  unsigned char vec = 0;
  // mincore fails with ENOMEM exactly when the page is not mapped.
  if (::mincore(reinterpret_cast<void*>(addr), 1, &vec) == 0) return true;
  return errno != ENOMEM;
}

std::size_t os_resident_bytes() noexcept {
  int fd = ::open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long size = 0, resident = 0;
  if (std::sscanf(buf, "%lu %lu", &size, &resident) != 2) return 0;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace rcgc::detail
