// rcgc allocator, arena layer: mapping arenas, keeping the usable list
// ordered by free pools (CPython's usable_arenas + nfp2lasta), releasing
// empty arenas, and walking arenas for statistics.
//
// An arena serves the pools of one kind of lane (tracked objects or the
// rest; alloc_config.hpp), and each kind has its usable list, sorted by
// ascending nfree_pools_ (the fullest arena first):
//
//   usable_[k] ─► [1] ─► [1] ─► [4] ─► [4] ─► [4] ─► [17] ─► nullptr
//                      ▲                    ▲       ▲
//        last_by_nfree_[1]    last_by_nfree_[4]   last_by_nfree_[17]
//
// A pool taken or returned changes one arena's count by one, so the arena
// moves at most to the other end of its group: O(1) with last_by_nfree_.
#include <new>

#include "alloc/os.hpp"
#include "alloc/region.hpp"
#include "alloc/pool.hpp"
#include "alloc/stats.hpp"

namespace rcgc::detail {

Arena* PoolAllocator::new_arena(std::size_t kind) {
  Arena* a = spares_;
  if (a != nullptr) {
    spares_ = a->all_next_;
    --nspares_;
  } else {
    a = static_cast<Arena*>(ArenaRegion::map_arena());
    if (a == nullptr) throw std::bad_alloc();
    if (!AddressMap::insert(a)) {
      ArenaRegion::unmap_arena(a);
      throw std::bad_alloc();
    }
    ++arenas_allocated_;
    if (++arenas_current_ > arenas_highwater_) arenas_highwater_ = arenas_current_;
  }
  a->owner_ = this;
  a->kind_ = static_cast<std::uint8_t>(kind);
  ++arenas_of_kind_[kind];
  a->free_pools_ = nullptr;
  a->nfree_pools_ = kUsablePools;
  a->next_fresh_ = 1;
  a->nretained_ = 0;
  a->all_prev_ = nullptr;
  a->all_next_ = all_;
  if (all_ != nullptr) all_->all_prev_ = a;
  all_ = a;
  // Only called when the kind's usable list is empty: the new arena is the
  // whole list.
  a->prev_ = a->next_ = nullptr;
  a->in_usable_ = true;
  usable_[kind] = a;
  last_by_nfree_[kind][kUsablePools] = a;
  return a;
}

void PoolAllocator::release_arena(Arena* a) noexcept {
  --arenas_of_kind_[a->kind_];
  if (a->all_prev_ != nullptr)
    a->all_prev_->all_next_ = a->all_next_;
  else
    all_ = a->all_next_;
  if (a->all_next_ != nullptr) a->all_next_->all_prev_ = a->all_prev_;
  a->all_next_ = spares_;
  spares_ = a;
  ++nspares_;
  // Keep no more spares than arenas in use (and one when none is): a heap
  // whose size swings keeps its arenas (no unmap, no page faults to refill
  // them), while a heap that shrinks for good gives back all but one.
  std::size_t in_use = arenas_current_ - nspares_;
  while (nspares_ > (in_use > 1 ? in_use : 1)) unmap_one_spare();
}

void PoolAllocator::unmap_one_spare() noexcept {
  Arena* a = spares_;
  spares_ = a->all_next_;
  --nspares_;
  AddressMap::erase(a);
  ArenaRegion::unmap_arena(a);
  ++arenas_reclaimed_;
  --arenas_current_;
}

// Gives `a` back once nothing in it is in use: every pool free, or free but
// for retained empty pools. The owner's last arena of its kind keeps its
// retained pools (so alloc/free pairs stay cheap) and the spares are
// unmapped instead: at most one arena of each kind without live blocks
// stays mapped.
void PoolAllocator::maybe_release(Arena* a) noexcept {
  if (a->nfree_pools_ + a->nretained_ != kUsablePools) return;
  if (a->nretained_ != 0) {
    if (arenas_of_kind_[a->kind_] == 1) {
      drop_spares();
      return;
    }
    if (!release_retained(a)) return;
  }
  if (a->in_usable_) usable_unlink(a);
  release_arena(a);
}

// Frees the retained pools of `a` when all of them are empty; false (and
// nothing done) when one holds blocks again.
bool PoolAllocator::release_retained(Arena* a) noexcept {
  for (Pool* head : used_)
    if (head != nullptr && head->retained_ && arena_of(head) == a && head->used_ != 1)
      return false;
  if (a->in_usable_) usable_unlink(a);
  for (Pool* head : used_) {
    if (head == nullptr || !head->retained_ || arena_of(head) != a) continue;
    unlink_used(head);
    head->next_ = a->free_pools_;
    a->free_pools_ = head;
    ++a->nfree_pools_;
  }
  return true;
}

void PoolAllocator::drop_spares() noexcept {
  while (spares_ != nullptr) unmap_one_spare();
}

void PoolAllocator::usable_unlink(Arena* a) noexcept {
  Arena*& head = usable_[a->kind_];
  Arena** last_of = last_by_nfree_[a->kind_];
  std::uint32_t n = a->nfree_pools_;
  if (last_of[n] == a)
    last_of[n] =
        (a->prev_ != nullptr && a->prev_->nfree_pools_ == n) ? a->prev_ : nullptr;
  if (a->prev_ != nullptr)
    a->prev_->next_ = a->next_;
  else
    head = a->next_;
  if (a->next_ != nullptr) a->next_->prev_ = a->prev_;
  a->next_ = a->prev_ = nullptr;
  a->in_usable_ = false;
}

// `a` is the head (fewest free pools) and just lost one free pool: it stays
// the head; with none left it leaves the list.
void PoolAllocator::usable_after_take(Arena* a) noexcept {
  Arena*& head = usable_[a->kind_];
  Arena** last_of = last_by_nfree_[a->kind_];
  std::uint32_t n = a->nfree_pools_;
  if (last_of[n] == a) last_of[n] = nullptr;  // head: no prev
  a->nfree_pools_ = n - 1;
  if (n - 1 == 0) {
    head = a->next_;
    if (head != nullptr) head->prev_ = nullptr;
    a->next_ = a->prev_ = nullptr;
    a->in_usable_ = false;
    return;
  }
  last_of[n - 1] = a;  // the minimum: alone in its group
}

// `a` went from old_nfree to old_nfree + 1 free pools: it becomes the first
// arena of the next group (right after the last one of its old group).
void PoolAllocator::usable_after_return(Arena* a, std::uint32_t old_nfree) noexcept {
  Arena*& head = usable_[a->kind_];
  Arena** last_of = last_by_nfree_[a->kind_];
  std::uint32_t n = old_nfree;
  if (!a->in_usable_) {  // was full: now the emptiest-of-none, goes first
    a->prev_ = nullptr;
    a->next_ = head;
    if (head != nullptr) head->prev_ = a;
    head = a;
    a->in_usable_ = true;
  } else {
    Arena* last = last_of[n];
    if (last == a) {
      last_of[n] =
          (a->prev_ != nullptr && a->prev_->nfree_pools_ == n) ? a->prev_ : nullptr;
    } else {
      // Unlink, then insert after `last` (it stays last of its group).
      if (a->prev_ != nullptr)
        a->prev_->next_ = a->next_;
      else
        head = a->next_;
      if (a->next_ != nullptr) a->next_->prev_ = a->prev_;
      a->prev_ = last;
      a->next_ = last->next_;
      if (last->next_ != nullptr) last->next_->prev_ = a;
      last->next_ = a;
    }
  }
  if (last_of[n + 1] == nullptr) last_of[n + 1] = a;
}

// `a`, out of its usable list, goes back in after the last arena with as
// many free pools or fewer (none free: it stays out).
void PoolAllocator::usable_insert(Arena* a) noexcept {
  Arena*& head = usable_[a->kind_];
  Arena** last_of = last_by_nfree_[a->kind_];
  const std::uint32_t n = a->nfree_pools_;
  if (n == 0) return;
  Arena* after = nullptr;
  for (std::uint32_t m = n; m >= 1 && after == nullptr; --m) after = last_of[m];
  a->prev_ = after;
  a->next_ = after != nullptr ? after->next_ : head;
  if (a->next_ != nullptr) a->next_->prev_ = a;
  if (after != nullptr)
    after->next_ = a;
  else
    head = a;
  last_of[n] = a;
  a->in_usable_ = true;
}

// Among the arenas with the most free pools of each kind, the one with the
// most pools emptied since they were used (their pages are resident; pools
// never used cost no memory), if that is half its pools or more; else
// nullptr. The slow path of take_pool only.
Arena* PoolAllocator::most_idle_arena() const noexcept {
  Arena* best = nullptr;
  std::uint32_t best_emptied = kUsablePools / 2 - 1;
  for (const auto& last_of : last_by_nfree_) {
    std::uint32_t n = kUsablePools;
    while (n > best_emptied && last_of[n] == nullptr) --n;
    if (n <= best_emptied) continue;
    Arena* a = last_of[n];
    const std::uint32_t emptied = n - (kPoolsPerArena - a->next_fresh_);
    if (emptied > best_emptied) {
      best = a;
      best_emptied = emptied;
    }
  }
  return best;
}

void PoolAllocator::clear_shadow() const noexcept {
  for (const Arena* a = all_; a != nullptr; a = a->all_next_) ArenaRegion::clear_shadow(a);
}

std::size_t PoolAllocator::tracked_blocks_in_use() const noexcept {
  std::size_t n = 0;
  for (const Arena* a = all_; a != nullptr; a = a->all_next_)
    for (std::uint32_t i = 1; i < a->next_fresh_; ++i)
      if (a->pools_[i].size_class_ >= kNumSizeClasses) n += a->pools_[i].used_;
  return n;
}

void PoolAllocator::collect_stats(PoolStats& out) const noexcept {
  out = PoolStats{};
  for (const Arena* a = all_; a != nullptr; a = a->all_next_) {
    for (std::uint32_t i = 1; i < a->next_fresh_; ++i) {
      const Pool* pool = &a->pools_[i];
      if (pool->used_ == 0) continue;  // on the free list
      std::size_t bs = pool->block_size_;
      std::size_t capacity = kPoolSize / bs;
      std::size_t used = pool->used_ - pool->retained_;  // minus the phantom
      ClassStats& cs = out.classes[class_of_lane(pool->size_class_)];
      ++cs.pools;
      cs.blocks_in_use += used;
      cs.blocks_available += capacity - used;
      out.bytes_in_use += used * bs;
      out.bytes_free_blocks += (capacity - used) * bs;
      out.bytes_pool_headers += sizeof(Pool);
      out.bytes_quantization += kPoolSize - capacity * bs;
    }
    out.bytes_unused_pools += std::size_t{a->nfree_pools_} * kPoolSize;
    out.bytes_arena_headers += kPoolSize;
  }
  out.arenas_spare = nspares_;
  out.bytes_unused_pools += nspares_ * kUsablePools * kPoolSize;
  out.bytes_arena_headers += nspares_ * kPoolSize;
  out.arenas_allocated = arenas_allocated_;
  out.arenas_reclaimed = arenas_reclaimed_;
  out.arenas_highwater = arenas_highwater_;
  out.arenas_current = arenas_current_;
}

}  // namespace rcgc::detail
