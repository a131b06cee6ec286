// rcgc allocator, arena layer: mapping arenas, keeping the usable list
// ordered by free pools (CPython's usable_arenas + nfp2lasta), releasing
// empty arenas, and walking arenas for statistics.
//
// usable_ is sorted by ascending nfree_pools_ (the fullest arena first):
//
//   usable_ ─► [1] ─► [1] ─► [4] ─► [4] ─► [4] ─► [17] ─► nullptr
//                      ▲                    ▲       ▲
//        last_by_nfree_[1]    last_by_nfree_[4]   last_by_nfree_[17]
//
// A pool taken or returned changes one arena's count by one, so the arena
// moves at most to the other end of its group: O(1) with last_by_nfree_.
#include <new>

#include "alloc/os.hpp"
#include "alloc/pool.hpp"
#include "alloc/stats.hpp"

namespace rcgc::detail {

Arena* PoolAllocator::new_arena() {
  Arena* a = spare_;
  spare_ = nullptr;
  if (a == nullptr) {
    a = static_cast<Arena*>(os_map_aligned(kArenaSize));
    if (a == nullptr) throw std::bad_alloc();
    if (!AddressMap::insert(a)) {
      os_unmap(a, kArenaSize);
      throw std::bad_alloc();
    }
    ++arenas_allocated_;
    if (++arenas_current_ > arenas_highwater_) arenas_highwater_ = arenas_current_;
  }
  a->owner_ = this;
  a->free_pools_ = nullptr;
  a->nfree_pools_ = kUsablePools;
  a->next_fresh_ = 1;
  a->all_prev_ = nullptr;
  a->all_next_ = all_;
  if (all_ != nullptr) all_->all_prev_ = a;
  all_ = a;
  // Only called when usable_ is empty: the new arena is the whole list.
  a->prev_ = a->next_ = nullptr;
  a->in_usable_ = true;
  usable_ = a;
  last_by_nfree_[kUsablePools] = a;
  return a;
}

void PoolAllocator::release_arena(Arena* a) noexcept {
  if (a->all_prev_ != nullptr)
    a->all_prev_->all_next_ = a->all_next_;
  else
    all_ = a->all_next_;
  if (a->all_next_ != nullptr) a->all_next_->all_prev_ = a->all_prev_;
  if (spare_ == nullptr) {
    spare_ = a;
    return;
  }
  AddressMap::erase(a);
  os_unmap(a, kArenaSize);
  ++arenas_reclaimed_;
  --arenas_current_;
}

void PoolAllocator::usable_unlink(Arena* a) noexcept {
  std::uint32_t n = a->nfree_pools_;
  if (last_by_nfree_[n] == a)
    last_by_nfree_[n] =
        (a->prev_ != nullptr && a->prev_->nfree_pools_ == n) ? a->prev_ : nullptr;
  if (a->prev_ != nullptr)
    a->prev_->next_ = a->next_;
  else
    usable_ = a->next_;
  if (a->next_ != nullptr) a->next_->prev_ = a->prev_;
  a->next_ = a->prev_ = nullptr;
  a->in_usable_ = false;
}

// `a` is the head (fewest free pools) and just lost one free pool: it stays
// the head; with none left it leaves the list.
void PoolAllocator::usable_after_take(Arena* a) noexcept {
  std::uint32_t n = a->nfree_pools_;
  if (last_by_nfree_[n] == a) last_by_nfree_[n] = nullptr;  // head: no prev
  a->nfree_pools_ = n - 1;
  if (n - 1 == 0) {
    usable_ = a->next_;
    if (usable_ != nullptr) usable_->prev_ = nullptr;
    a->next_ = a->prev_ = nullptr;
    a->in_usable_ = false;
    return;
  }
  last_by_nfree_[n - 1] = a;  // the minimum: alone in its group
}

// `a` went from old_nfree to old_nfree + 1 free pools: it becomes the first
// arena of the next group (right after the last one of its old group).
void PoolAllocator::usable_after_return(Arena* a, std::uint32_t old_nfree) noexcept {
  std::uint32_t n = old_nfree;
  if (!a->in_usable_) {  // was full: now the emptiest-of-none, goes first
    a->prev_ = nullptr;
    a->next_ = usable_;
    if (usable_ != nullptr) usable_->prev_ = a;
    usable_ = a;
    a->in_usable_ = true;
  } else {
    Arena* last = last_by_nfree_[n];
    if (last == a) {
      last_by_nfree_[n] =
          (a->prev_ != nullptr && a->prev_->nfree_pools_ == n) ? a->prev_ : nullptr;
    } else {
      // Unlink, then insert after `last` (it stays last of its group).
      if (a->prev_ != nullptr)
        a->prev_->next_ = a->next_;
      else
        usable_ = a->next_;
      if (a->next_ != nullptr) a->next_->prev_ = a->prev_;
      a->prev_ = last;
      a->next_ = last->next_;
      if (last->next_ != nullptr) last->next_->prev_ = a;
      last->next_ = a;
    }
  }
  if (last_by_nfree_[n + 1] == nullptr) last_by_nfree_[n + 1] = a;
}

void PoolAllocator::collect_stats(PoolStats& out) const noexcept {
  out = PoolStats{};
  for (const Arena* a = all_; a != nullptr; a = a->all_next_) {
    auto* base = reinterpret_cast<const char*>(a);
    for (std::uint32_t i = 1; i < a->next_fresh_; ++i) {
      auto* pool = reinterpret_cast<const Pool*>(base + std::size_t{i} * kPoolSize);
      if (pool->used_ == 0) continue;  // on the arena's free list
      std::size_t bs = pool->block_size_;
      std::size_t capacity = (kPoolSize - kPoolHeaderSize) / bs;
      ClassStats& cs = out.classes[pool->size_class_];
      ++cs.pools;
      cs.blocks_in_use += pool->used_;
      cs.blocks_available += capacity - pool->used_;
      out.bytes_in_use += pool->used_ * bs;
      out.bytes_free_blocks += (capacity - pool->used_) * bs;
      out.bytes_pool_headers += kPoolHeaderSize;
      out.bytes_quantization += kPoolSize - kPoolHeaderSize - capacity * bs;
    }
    out.bytes_unused_pools += std::size_t{a->nfree_pools_} * kPoolSize;
    out.bytes_arena_headers += kPoolSize;
  }
  if (spare_ != nullptr) {
    out.arenas_spare = 1;
    out.bytes_unused_pools += kUsablePools * kPoolSize;
    out.bytes_arena_headers += kPoolSize;
  }
  out.arenas_allocated = arenas_allocated_;
  out.arenas_reclaimed = arenas_reclaimed_;
  out.arenas_highwater = arenas_highwater_;
  out.arenas_current = arenas_current_;
}

}  // namespace rcgc::detail
