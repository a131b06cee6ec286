// rcgc allocator, pool layer: the slow paths (new pools, arena ordering,
// giving arenas back). The fast paths are inline in pool.hpp.
#include "alloc/pool.hpp"

#include <cstring>

#include "alloc/os.hpp"
#include "alloc/stats.hpp"

namespace rcgc::detail {
namespace {

Pool* pool_at(Arena* a, std::uint32_t index) noexcept {
  return reinterpret_cast<Pool*>(reinterpret_cast<char*>(a) +
                                 std::size_t{index} * kPoolSize);
}

char* pool_bytes(Pool* pool) noexcept { return reinterpret_cast<char*>(pool); }

// Carves up to one OS page of blocks from the pool's uncarved tail into a
// fresh free list; returns its head, nullptr when nothing is left.
Block* carve(Pool* pool) noexcept {
  std::uint32_t off = pool->next_offset_;
  if (off > pool->max_offset_) return nullptr;
  std::uint32_t bs = pool->block_size_;
  std::uint32_t end = (off & ~4095u) + 4096u;  // end of this page
  if (end - off < bs) end = off + bs;           // at least one block
  Block* head = reinterpret_cast<Block*>(pool_bytes(pool) + off);
  Block* b = head;
  for (off += bs; off <= pool->max_offset_ && off + bs <= end; off += bs) {
    Block* n = reinterpret_cast<Block*>(pool_bytes(pool) + off);
    b->next = n;
    b = n;
  }
  b->next = nullptr;
  pool->next_offset_ = off;
  return head;
}

void init_pool(Pool* pool, std::uint32_t index, std::size_t c) noexcept {
  pool->used_ = 0;
  pool->size_class_ = static_cast<std::uint32_t>(c);
  pool->block_size_ = static_cast<std::uint32_t>(class_block_size(c));
  pool->index_ = index;
  pool->next_offset_ = kPoolHeaderSize;
  pool->max_offset_ = static_cast<std::uint32_t>(kPoolSize - pool->block_size_);
  pool->next_ = pool->prev_ = nullptr;
  pool->freeblock_ = carve(pool);
}

void unmap_arena(Arena* a) noexcept {
  AddressMap::erase(a);
  os_unmap(a, kArenaSize);
}

// An orphaned arena (its heap is gone) only drains: pools are never reused.
void orphan_return_pool(Arena* a) noexcept {
  if (++a->nfree_pools_ == kUsablePools) unmap_arena(a);
}

}  // namespace

PoolAllocator::PoolAllocator() noexcept = default;

PoolAllocator::~PoolAllocator() {
  for (Arena* a = all_; a != nullptr;) {
    Arena* next = a->all_next_;
    a->owner_ = nullptr;  // live blocks keep it mapped until freed
    a = next;
  }
  if (spare_ != nullptr) unmap_arena(spare_);
}

bool PoolAllocator::is_block_start(const void* p) noexcept {
  if (!in_arena(p)) return false;
  auto off = reinterpret_cast<std::uintptr_t>(p) & (kPoolSize - 1);
  Pool* pool = pool_of(p);
  if (static_cast<void*>(pool) == static_cast<void*>(arena_of(p))) return false;
  if (pool->used_ == 0 || off < kPoolHeaderSize) return false;
  return (off - kPoolHeaderSize) % pool->block_size_ == 0 &&
         off < pool->next_offset_;
}

void* PoolAllocator::allocate_from_new_pool(std::size_t c) {
  Pool* pool = take_pool();
  init_pool(pool, pool->index_, c);
  link_used(pool);
  return allocate_class(c);
}

// Called when the pool's free list just became empty: carve more, or the
// pool is full and leaves the used list (it is the list's head).
void PoolAllocator::extend_pool(Pool* pool) noexcept {
  if ((pool->freeblock_ = carve(pool)) != nullptr) return;
  unlink_used(pool);
}

void PoolAllocator::on_free_slow(Pool* pool, bool was_full) noexcept {
  Arena* a = arena_of(pool);
  PoolAllocator* owner = a->owner_;
  if (owner == nullptr) {
    if (pool->used_ == 0) orphan_return_pool(a);
    return;
  }
  if (pool->used_ != 0) {  // was full: offer its blocks again
    owner->link_used(pool);
    return;
  }
  if (!was_full) owner->unlink_used(pool);
  owner->return_pool(a, pool);
}

void PoolAllocator::link_used(Pool* pool) noexcept {
  Pool*& head = used_[pool->size_class_];
  pool->prev_ = nullptr;
  pool->next_ = head;
  if (head != nullptr) head->prev_ = pool;
  head = pool;
}

void PoolAllocator::unlink_used(Pool* pool) noexcept {
  if (pool->prev_ != nullptr)
    pool->prev_->next_ = pool->next_;
  else
    used_[pool->size_class_] = pool->next_;
  if (pool->next_ != nullptr) pool->next_->prev_ = pool->prev_;
  pool->next_ = pool->prev_ = nullptr;
}

// Takes a pool from the fullest usable arena (the head of usable_), so that
// emptier arenas can drain and go back to the OS.
Pool* PoolAllocator::take_pool() {
  Arena* a = usable_ != nullptr ? usable_ : new_arena();
  Pool* pool = a->free_pools_;
  if (pool != nullptr) {
    a->free_pools_ = pool->next_;
  } else {
    pool = pool_at(a, a->next_fresh_);
    pool->index_ = a->next_fresh_++;
  }
  usable_after_take(a);
  return pool;
}

void PoolAllocator::return_pool(Arena* a, Pool* pool) noexcept {
  pool->next_ = a->free_pools_;
  a->free_pools_ = pool;
  std::uint32_t old_nfree = a->nfree_pools_++;
  usable_after_return(a, old_nfree);
  if (a->nfree_pools_ == kUsablePools) {
    usable_unlink(a);
    release_arena(a);
  }
}

}  // namespace rcgc::detail
