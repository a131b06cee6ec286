// rcgc allocator, OS layer (Linux/POSIX).
#include "alloc/os.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace rcgc::detail {
namespace {

void* map_anonymous(std::size_t size) noexcept {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

bool is_aligned(const void* p, std::size_t alignment) noexcept {
  return (reinterpret_cast<std::uintptr_t>(p) & (alignment - 1)) == 0;
}

}  // namespace

// First try an exact mapping (the kernel often hands out aligned ranges next
// to earlier ones); otherwise over-map by `size` and trim both ends.
void* os_map_aligned(std::size_t size) noexcept {
  void* p = map_anonymous(size);
  if (p == nullptr || is_aligned(p, size)) return p;
  ::munmap(p, size);
  auto* raw = static_cast<char*>(map_anonymous(2 * size));
  if (raw == nullptr) return nullptr;
  auto base = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = (base + size - 1) & ~(std::uintptr_t{size} - 1);
  std::size_t head = aligned - base;
  if (head != 0) ::munmap(raw, head);
  std::size_t tail = size - head;
  if (tail != 0) ::munmap(reinterpret_cast<char*>(aligned) + size, tail);
  return reinterpret_cast<void*>(aligned);
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
