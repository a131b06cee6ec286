// rcgc allocator, pool layer: the slow paths (new pools, carving, retained
// pools, returning pools to their arena). The fast paths are inline in
// pool.hpp; arena ordering and release are in arena.cpp.
#include "alloc/pool.hpp"

#include "alloc/os.hpp"
#include "alloc/region.hpp"

namespace rcgc::detail {
namespace {

// Carves up to one OS page of blocks from the pool's uncarved tail into a
// fresh free list; returns its head, nullptr when nothing is left.
Block* carve(Pool* pool) noexcept {
  std::uint32_t off = pool->next_offset_;
  if (off > pool->max_offset_) return nullptr;
  char* data = pool_data(pool);
  std::uint32_t bs = pool->block_size_;
  const std::size_t link = link_offset_of_lane(pool->size_class_);
  std::uint32_t end = (off & ~4095u) + 4096u;  // end of this page
  if (end - off < bs) end = off + bs;           // at least one block
  Block* head = reinterpret_cast<Block*>(data + off);
  Block* b = head;
  for (off += bs; off <= pool->max_offset_ && off + bs <= end; off += bs) {
    Block* n = reinterpret_cast<Block*>(data + off);
    link_of(b, link) = n;
    b = n;
  }
  link_of(b, link) = nullptr;
  pool->next_offset_ = off;
  return head;
}

void init_pool(Pool* pool, std::size_t c) noexcept {
  pool->used_ = 0;
  pool->relink_at_ = 0;
  pool->size_class_ = static_cast<std::uint8_t>(c);
  pool->retained_ = 0;
  pool->block_size_ = static_cast<std::uint32_t>(class_block_size(class_of_lane(c)));
  pool->next_offset_ = 0;
  pool->max_offset_ = static_cast<std::uint32_t>(kPoolSize - pool->block_size_);
  pool->next_ = pool->prev_ = nullptr;
  pool->freeblock_ = carve(pool);
}

void unmap_arena(Arena* a) noexcept {
  AddressMap::erase(a);
  ArenaRegion::unmap_arena(a);
}

// An orphaned arena (its heap is gone) only drains: pools are never reused.
void orphan_return_pool(Arena* a) noexcept {
  if (++a->nfree_pools_ == kUsablePools) unmap_arena(a);
}

}  // namespace

PoolAllocator::PoolAllocator() noexcept = default;

PoolAllocator::~PoolAllocator() {
  // Retained pools lose their phantom block; empty ones count as free.
  for (Pool* head : used_) {
    if (head == nullptr || !head->retained_) continue;
    head->retained_ = 0;
    if (--head->used_ == 0) ++arena_of(head)->nfree_pools_;
  }
  for (Arena* a = all_; a != nullptr;) {
    Arena* next = a->all_next_;
    if (a->nfree_pools_ == kUsablePools)
      unmap_arena(a);
    else {
      a->owner_ = nullptr;  // live blocks keep it mapped until freed
      ArenaRegion::clear_pool_tags(a);  // and its heap's id may be reused
    }
    a = next;
  }
  for (Arena* a = spares_; a != nullptr;) {
    Arena* next = a->all_next_;
    unmap_arena(a);
    a = next;
  }
}

bool PoolAllocator::is_block_start(const void* p) noexcept {
  if (!in_arena(p)) return false;
  auto off = reinterpret_cast<std::uintptr_t>(p) & (kPoolSize - 1);
  Pool* pool = pool_of(p);
  if (pool == &arena_of(p)->pools_[0]) return false;  // the header pool
  if (pool->used_ == 0 || pool->block_size_ == 0) return false;
  return off % pool->block_size_ == 0 && off < pool->next_offset_;
}

// The head pool just gave its last free block: carve more, or it leaves the
// list full. Then the next allocation of this class starts on the next
// pool, whose first free block was freed long ago and is likely cold: start
// loading it now.
void PoolAllocator::on_last_block(Pool* pool) noexcept {
  extend_pool(pool);
  if (Pool* head = used_[pool->size_class_])
    __builtin_prefetch(&link_of(head->freeblock_, link_offset_of_lane(pool->size_class_)), 1, 3);
}

void* PoolAllocator::allocate_from_new_pool(std::size_t c) {
  // A tracked lane's blocks hold an object (16 bytes or more) after its
  // GcHead, and a free one's link there (kTrackedLinkOffset): only classes
  // of 32 bytes and more ever have a tracked lane in use.
  Pool* pool = take_pool(arena_kind_of_lane(c));
  init_pool(pool, c);
  ArenaRegion::set_pool_tag(pool_data(pool), c >= kNumSizeClasses ? heap_ : 0);
  link_used(pool);
  return allocate_class(c);
}

// Called when the pool's free list just became empty: carve more, or the
// pool is full and leaves the used list (it is the list's head).
void PoolAllocator::extend_pool(Pool* pool) noexcept {
  if ((pool->freeblock_ = carve(pool)) != nullptr) return;
  unlink_used(pool);
  // Full: it rejoins the list once a share of its blocks came back (not at
  // the first one), so that list pools have several blocks to give and the
  // link/unlink slow paths run once per several allocations, not each one.
  std::uint32_t capacity = pool->used_;
  pool->relink_at_ = static_cast<std::uint16_t>(capacity - (capacity + kRelinkShare - 1) / kRelinkShare);
}

void PoolAllocator::on_free_slow(Pool* pool) noexcept {
  Arena* a = arena_of(pool);
  PoolAllocator* owner = a->owner_;
  if (pool->relink_at_ != 0) {  // was full; enough blocks came back
    pool->relink_at_ = 0;
    if (owner != nullptr) owner->link_used(pool);
    return;
  }
  if (owner == nullptr) {  // orphaned: drains only
    orphan_return_pool(a);
    return;
  }
  owner->on_pool_empty(a, pool);
}

// The only pool of its class stays (retained) so that the next allocation
// of that class does not take and carve a pool again. A retained pool holds
// one phantom block in used_, so alloc/free pairs on it never come back
// here: used_ == 1 && retained_ means empty.
void PoolAllocator::on_pool_empty(Arena* a, Pool* pool) noexcept {
  bool sole = pool->prev_ == nullptr && pool->next_ == nullptr;
  if (sole) {
    pool->retained_ = 1;
    pool->used_ = 1;
    ++a->nretained_;
    maybe_release(a);
    return;
  }
  unlink_used(pool);
  return_pool(a, pool);
}

// A pool joins the tail of its used list (as mimalloc re-queues a page that
// is no longer full): allocation keeps draining the head pool instead of
// bouncing between pools that just got one block back. An empty retained
// head is given back first (only a sole pool may stay empty).
void PoolAllocator::link_used(Pool* pool) noexcept {
  std::size_t c = pool->size_class_;
  Pool* head = used_[c];
  if (head != nullptr && head->retained_) {
    unlink_used(head);  // drops the phantom block
    if (head->used_ == 0) {
      return_pool(arena_of(head), head);
    } else {  // back at the front of the list
      head->prev_ = nullptr;
      head->next_ = used_[c];
      if (used_[c] != nullptr) used_[c]->prev_ = head;
      else used_tail_[c] = head;
      used_[c] = head;
    }
  }
  Pool* tail = used_tail_[c];
  pool->next_ = nullptr;
  pool->prev_ = tail;
  if (tail != nullptr)
    tail->next_ = pool;
  else
    used_[c] = pool;
  used_tail_[c] = pool;
}

void PoolAllocator::unlink_used(Pool* pool) noexcept {
  if (pool->retained_) {
    pool->retained_ = 0;
    --pool->used_;  // the phantom block
    --arena_of(pool)->nretained_;
  }
  if (pool->prev_ != nullptr)
    pool->prev_->next_ = pool->next_;
  else
    used_[pool->size_class_] = pool->next_;
  if (pool->next_ != nullptr)
    pool->next_->prev_ = pool->prev_;
  else
    used_tail_[pool->size_class_] = pool->prev_;
  pool->next_ = pool->prev_ = nullptr;
}

namespace {
// An arena's next pool: one emptied before, else one never used.
Pool* pop_pool(Arena* a) noexcept {
  Pool* pool = a->free_pools_;
  if (pool != nullptr) {
    a->free_pools_ = pool->next_;
  } else {
    pool = &a->pools_[a->next_fresh_];
    pool->index_ = a->next_fresh_++;
  }
  return pool;
}
}  // namespace

// Takes a pool from the fullest usable arena of the kind (the head of its
// usable_ list), so that emptier arenas can drain and go back to the OS.
// When the kind has none: a spare arena, else a pool borrowed from an arena
// of another kind that has half of its pools or more emptied (resident
// memory left idle, most_idle_arena), else a new arena.
Pool* PoolAllocator::take_pool(std::size_t kind) {
  Arena* a = usable_[kind];
  if (a == nullptr && spares_ == nullptr) {
    if (Arena* idle = most_idle_arena()) {
      usable_unlink(idle);
      Pool* pool = pop_pool(idle);
      --idle->nfree_pools_;
      usable_insert(idle);
      return pool;
    }
  }
  if (a == nullptr) a = new_arena(kind);
  Pool* pool = pop_pool(a);
  usable_after_take(a);
  return pool;
}

void PoolAllocator::return_pool(Arena* a, Pool* pool) noexcept {
  pool->used_ = 0;
  pool->next_ = a->free_pools_;
  a->free_pools_ = pool;
  std::uint32_t old_nfree = a->nfree_pools_++;
  usable_after_return(a, old_nfree);
  maybe_release(a);
}

}  // namespace rcgc::detail
