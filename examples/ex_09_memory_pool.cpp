// Seeds 000/002/004: the memory pool ("大内存用malloc, 小内存用内存池").
// Requests up to 512 bytes come from pools of 16-byte size classes carved
// from 1 MiB arenas; larger ones go to the system allocator. Freed arenas go
// back to the OS. RCGC_MALLOC=malloc or =debug changes the backend, like
// PYTHONMALLOC.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <rcgc/rcgc.hpp>

int main() {
  const char* backend = std::getenv("RCGC_MALLOC");
  std::printf("RCGC_MALLOC=%s\n", backend ? backend : "(unset: pymalloc)");

  void* small = rcgc::mem::malloc(24);    // size class 32 bytes, from a pool
  void* large = rcgc::mem::malloc(4096);  // past 512 bytes: the system allocator
  std::printf("malloc(24) -> %p (pooled), malloc(4096) -> %p (system)\n", small, large);
  small = rcgc::mem::realloc(small, 1000);  // grows past 512: moves out of the pool
  std::printf("realloc(small, 1000) -> %p\n", small);
  rcgc::mem::free(small);
  rcgc::mem::free(large);

  std::vector<void*> blocks;
  for (int i = 0; i < 100000; ++i) blocks.push_back(rcgc::mem::malloc(16 + (i % 32) * 16));
  std::printf("\n--- after 100000 small blocks ---\n");
  rcgc::mem::print_stats(stdout);
  for (void* p : blocks) rcgc::mem::free(p);
  std::printf("\n--- after freeing them (empty arenas returned to the OS) ---\n");
  rcgc::mem::print_stats(stdout);
  return 0;
}
