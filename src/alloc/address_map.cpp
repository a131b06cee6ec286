// rcgc allocator: the process-wide address map (see address_map.hpp).
#include "alloc/address_map.hpp"

#include <mutex>

#include "alloc/os.hpp"

namespace rcgc::detail {
namespace {

std::mutex& map_mutex() noexcept {
  static std::mutex m;  // constant-initialized: usable from static init
  return m;
}

struct BitRef {
  std::size_t root;
  std::size_t word;
  std::uint64_t mask;
};

bool locate(const void* arena_base, BitRef& ref) noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(arena_base);
  ref.root = a >> (kArenaShift + AddressMap::kLeafBits);
  if (ref.root >= (std::size_t{1} << AddressMap::kRootBits)) return false;
  std::uintptr_t bit = (a >> kArenaShift) & ((1u << AddressMap::kLeafBits) - 1);
  ref.word = bit >> 6;
  ref.mask = std::uint64_t{1} << (bit & 63);
  return true;
}

}  // namespace

std::atomic<AddressMap::Leaf*> AddressMap::root_[std::size_t{1} << kRootBits];

bool AddressMap::insert(const void* arena_base) noexcept {
  BitRef ref;
  if (!locate(arena_base, ref)) return false;
  std::lock_guard lock(map_mutex());
  Leaf* leaf = root_[ref.root].load(std::memory_order_relaxed);
  if (leaf == nullptr) {
    // Leaves come straight from the OS (zeroed): the map never calls malloc.
    leaf = static_cast<Leaf*>(os_map_aligned(sizeof(Leaf)));
    if (leaf == nullptr) return false;
    root_[ref.root].store(leaf, std::memory_order_release);
  }
  leaf->words[ref.word].fetch_or(ref.mask, std::memory_order_relaxed);
  return true;
}

void AddressMap::erase(const void* arena_base) noexcept {
  BitRef ref;
  if (!locate(arena_base, ref)) return;
  std::lock_guard lock(map_mutex());
  Leaf* leaf = root_[ref.root].load(std::memory_order_relaxed);
  if (leaf != nullptr)
    leaf->words[ref.word].fetch_and(~ref.mask, std::memory_order_relaxed);
}

}  // namespace rcgc::detail
