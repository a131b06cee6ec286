// rcgc allocator, pool layer: size-classed blocks in 16 KiB pools inside
// 1 MiB arenas (CPython's obmalloc design; see docs/allocator.md).
//
//   arena (1 MiB, 1 MiB aligned)
//   +------------------------------+--------+--------+-----+---------+
//   | pool 0: Arena header         | pool 1 | pool 2 | ... | pool 63 |
//   |  owner, lists, Pool pools_[64]  (first 4 KiB page; rest unused)  |
//   +------------------------------+--------+--------+-----+---------+
//   pool i (16 KiB, one size class): blocks only, headers live in pool 0
//   +---------+---------+-----+---------+-------+
//   | block 0 | block 1 | ... | block k | waste |   block = class size
//   +---------+---------+-----+---------+-------+
//
// All pool headers of an arena share one page, so freeing touches the block
// and that page (one TLB entry per arena, as mimalloc's segment header).
// The owner of a block is found from its address alone: arena = p & ~(1M-1),
// pool header = arena->pools_[(p >> 14) & 63]; the arena names the
// PoolAllocator (heap) that owns it, so a block always goes home.
//
// Threading: a PoolAllocator and its arenas are used by one thread at a time;
// only the process-wide AddressMap is shared (see address_map.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "alloc/address_map.hpp"
#include "alloc/alloc_config.hpp"

namespace rcgc::detail {

class PoolAllocator;
struct PoolStats;

struct Block;

// Where a free block keeps its free-list link: at its start, except in a
// tracked lane, whose blocks start with the object's GcHead. There the
// link goes after it, in the object's header (kTrackedLinkOffset): popping
// a block then reads the cache line the new object is written to, and the
// GcHead of an object that is never linked in a generation (make<T> left a
// node holding nothing tracked out, docs/design.md) is never touched. A
// 48-byte node then costs the caches the bytes it uses.
inline constexpr std::size_t kTrackedLinkOffset = 16;  // sizeof(GcHead)
static_assert(kNumSizeClasses == 32 && kTrackedLinkOffset == 16,
              "link_offset_of_lane maps lane bit 5 to offset 16");
constexpr std::size_t link_offset_of_lane(std::size_t lane) noexcept {
  return (lane & kNumSizeClasses) >> 1;  // tracked lanes are 32..63
}
// The link of a free block whose lane has link offset `off`.
inline Block*& link_of(Block* b, std::size_t off) noexcept {
  return *reinterpret_cast<Block**>(reinterpret_cast<char*>(b) + off);
}

// Invariants (for a pool in use, owner alive):
//   used_ + |freelist| + (uncarved blocks) == capacity
//   in owner's used_ list  ⇔  relink_at_ == 0; then freeblock_ != nullptr
//   not in the list  ⇔  relink_at_ != 0: the pool filled up and has since
//                  got back fewer than capacity - relink_at_ blocks (it
//                  rejoins the list when used_ falls to relink_at_, so
//                  that a pool on the list has several blocks to give)
//   used_ == 0  ⇔  on its arena's free_pools_ list
//   retained_   ⇒  the pool was the only pool of its class when it emptied
//                  and was kept (instead of going back to the arena, so
//                  alloc/free pairs do not re-carve a pool each time, like
//                  mimalloc's page retire); it is the head of its used_
//                  list, counted in its arena's nretained_, and used_
//                  includes one phantom block (used_ == 1: empty)
struct Pool {
  Block* freeblock_;           // free list of carved blocks
  std::uint32_t used_;         // blocks handed out
  std::uint16_t relink_at_;    // free's slow path runs when used_ falls to it
  std::uint8_t size_class_;    // its lane: 0..31, or 32..63 for tracked objects
  std::uint8_t retained_;
  Pool* next_;                 // used_[class] list, or arena's free list
  Pool* prev_;                 // used_[class] list only
  std::uint32_t next_offset_;  // first never-carved block
  std::uint32_t max_offset_;   // highest offset a block may start at
  std::uint32_t block_size_;
  std::uint32_t index_;        // 1..63 within the arena
};

// Invariants:
//   nfree_pools_ == |free_pools_| + (kPoolsPerArena - next_fresh_)
//   in_usable_  ⇔  0 < nfree_pools_ < kUsablePools
//   nfree_pools_ + nretained_ == kUsablePools with every retained pool empty
//                ⇒ the arena is released (unless it is the owner's last)
//   owner_ == nullptr  ⇔  orphaned: its heap died with blocks still alive;
//                  the arena is unmapped when its last block is freed.
struct Arena {
  PoolAllocator* owner_;
  Pool* free_pools_;           // emptied pools, linked through next_
  std::uint32_t nfree_pools_;  // emptied + never used
  std::uint32_t next_fresh_;   // first never-used pool index (1..64)
  std::uint32_t nretained_;    // pools with retained_ set
  bool in_usable_;
  std::uint8_t kind_;          // arena_kind_of_lane of every pool it serves
  Arena* next_;                // owner's usable list of its kind, ascending nfree_pools_
  Arena* prev_;
  Arena* all_next_;            // every arena of the owner
  Arena* all_prev_;
  Pool pools_[kPoolsPerArena];  // pools_[0] unused (it is this header)
};
static_assert(sizeof(Arena) <= 4096);

inline Arena* arena_of(const void* p) noexcept {
  return reinterpret_cast<Arena*>(reinterpret_cast<std::uintptr_t>(p) &
                                  ~(std::uintptr_t{kArenaSize} - 1));
}
inline Pool* pool_of(const void* p) noexcept {
  auto index = (reinterpret_cast<std::uintptr_t>(p) >> kPoolShift) & (kPoolsPerArena - 1);
  return &arena_of(p)->pools_[index];
}
// First byte of a pool's blocks.
inline char* pool_data(const Pool* pool) noexcept {
  return reinterpret_cast<char*>(arena_of(pool)) + std::size_t{pool->index_} * kPoolSize;
}

// The pymalloc allocator of one heap.
class PoolAllocator {
 public:
  PoolAllocator() noexcept;
  ~PoolAllocator();  // orphans arenas that still hold live blocks
  PoolAllocator(const PoolAllocator&) = delete;
  PoolAllocator& operator=(const PoolAllocator&) = delete;

  // A block of lane c (a class 0..31, or tracked_lane of one) when a pool of
  // the lane has free blocks;
  // nullptr (changing nothing) when a new pool is needed. Never throws: the
  // common case, inline.
  void* try_allocate_class(std::size_t c) noexcept {
    if (void* p = try_allocate_class_leaf(c, link_offset_of_lane(c))) [[likely]] return p;
    Pool* pool = used_[c];
    if (pool == nullptr) return nullptr;
    Block* b = pool->freeblock_;  // the pool's last free block
    pool->freeblock_ = nullptr;
    ++pool->used_;
    on_last_block(pool);
    return b;
  }
  // The same, but nullptr also when the block would be its pool's last (a
  // caller's slow path then takes it through try_allocate_class): calls
  // nothing, so a fast path built on it stays a leaf function, without a
  // frame (HeapState::allocate_tracked). `off`: link_offset_of_lane(c),
  // given so that a caller that knows its lane has it as a constant.
  void* try_allocate_class_leaf(std::size_t c, std::size_t off) noexcept {
    Pool* pool = used_[c];
    if (pool == nullptr) [[unlikely]] return nullptr;
    Block* b = pool->freeblock_;
    Block* next = link_of(b, off);
    if (next == nullptr) [[unlikely]] return nullptr;
    pool->freeblock_ = next;
    ++pool->used_;
    // The next block of this class may be cold (freed long ago, in a
    // random order): start loading its link now, not at the next call.
    __builtin_prefetch(&link_of(next, off), 1, 3);
    return b;
  }
  // A block of lane c. Throws std::bad_alloc.
  void* allocate_class(std::size_t c) {
    if (void* p = try_allocate_class(c)) [[likely]] return p;
    return allocate_from_new_pool(c);
  }
  // A block of class c (0..31) in the tracked objects' lane. The lane is
  // formed only on the slow path: the fast path's load takes the offset in
  // its displacement, adding no instruction to make<T>.
  void* allocate_tracked_class(std::size_t c) {
    if (void* p = try_allocate_class(tracked_lane(c))) [[likely]] return p;
    return allocate_tracked_from_new_pool(c);
  }

  // Frees a block of any PoolAllocator; p must satisfy owns_block(p).
  // `off`: the link offset of the block's lane (link_offset_of_lane), when
  // the caller knows what the block holds (0 for raw memory and untracked
  // objects, kTrackedLinkOffset for tracked objects), else kLinkOffsetOfPool:
  // read from its pool (a load and two instructions more).
  static constexpr std::size_t kLinkOffsetOfPool = ~std::size_t{0};
  static void free_block(void* p, std::size_t off = kLinkOffsetOfPool) noexcept {
    Pool* pool = pool_of(p);
    if (off == kLinkOffsetOfPool) off = link_offset_of_lane(pool->size_class_);
    Block* b = static_cast<Block*>(p);
    link_of(b, off) = pool->freeblock_;
    pool->freeblock_ = b;
    if (--pool->used_ == pool->relink_at_) [[unlikely]] on_free_slow(pool);
  }

  // True for any address inside a mapped arena (lock-free, never faults).
  static bool in_arena(const void* p) noexcept {
    return AddressMap::contains(p);
  }
  // Usable size of a block p (owns p).
  static std::size_t block_size(const void* p) noexcept {
    return pool_of(p)->block_size_;
  }
  // Stricter than in_arena: p is the start of a block in a pool in use.
  static bool is_block_start(const void* p) noexcept;
  // The allocator that owns an arena block (nullptr when orphaned).
  static PoolAllocator* owner_of(const void* p) noexcept {
    return arena_of(p)->owner_;
  }

  // Calls f(block) for every carved block of every pool of a tracked lane
  // in use (free blocks among them), arena by arena, in address order
  // within each arena.
  template <class F>
  void for_each_tracked_block(F&& f) const noexcept {
    for (const Arena* a = all_; a != nullptr; a = a->all_next_) {
      for (std::uint32_t i = 1; i < a->next_fresh_; ++i) {
        const Pool* pool = &a->pools_[i];
        if (pool->used_ == 0 || pool->size_class_ < kNumSizeClasses) continue;
        char* data = pool_data(pool);
        for (std::uint32_t off = 0; off < pool->next_offset_; off += pool->block_size_)
          f(data + off);
      }
    }
  }

  // The heap whose tracked objects this allocator's tracked lanes hold:
  // each pool given to a tracked lane from now on carries its id in the
  // region's pool table (ArenaRegion::set_pool_tag), for the collector.
  void set_heap(std::uint16_t heap) noexcept { heap_ = heap; }

  // Blocks in use in the pools of the tracked lanes (at least as many as the
  // tracked objects in them; a retained pool counts one more).
  std::size_t tracked_blocks_in_use() const noexcept;

  void collect_stats(PoolStats& out) const noexcept;
  // Zeroes the arena region's shadow words of every arena in use
  // (ArenaRegion::clear_shadow).
  void clear_shadow() const noexcept;

 private:
  void on_last_block(Pool* pool) noexcept;
  void* allocate_from_new_pool(std::size_t c);
  __attribute__((noinline)) void* allocate_tracked_from_new_pool(std::size_t c) {
    return allocate_from_new_pool(tracked_lane(c));
  }
  void extend_pool(Pool* pool) noexcept;
  static void on_free_slow(Pool* pool) noexcept;
  void link_used(Pool* pool) noexcept;
  void unlink_used(Pool* pool) noexcept;
  void on_pool_empty(Arena* a, Pool* pool) noexcept;
  void maybe_release(Arena* a) noexcept;
  bool release_retained(Arena* a) noexcept;
  void drop_spares() noexcept;
  void unmap_one_spare() noexcept;
  Pool* take_pool(std::size_t kind);
  void return_pool(Arena* a, Pool* pool) noexcept;
  Arena* new_arena(std::size_t kind);
  void release_arena(Arena* a) noexcept;
  void usable_unlink(Arena* a) noexcept;
  void usable_after_take(Arena* a) noexcept;
  void usable_after_return(Arena* a, std::uint32_t old_nfree) noexcept;
  void usable_insert(Arena* a) noexcept;
  Arena* most_idle_arena() const noexcept;

  Pool* used_[kNumLanes] = {};  // pools with free blocks, by lane (alloc_config.hpp)
  std::uint16_t heap_ = 0;      // set_heap
  Pool* used_tail_[kNumLanes] = {};
  // Arenas with free pools, fullest first, by kind (alloc_config.hpp).
  Arena* usable_[kNumArenaKinds] = {};
  Arena* last_by_nfree_[kNumArenaKinds][kPoolsPerArena] = {};  // last usable with n free
  Arena* all_ = nullptr;                  // every arena in use (not the spares)
  std::size_t arenas_of_kind_[kNumArenaKinds] = {};  // of all_
  Arena* spares_ = nullptr;  // fully free arenas kept mapped, through all_next_
  std::size_t nspares_ = 0;  // at most max(1, arenas in use)

  std::size_t arenas_allocated_ = 0;  // mapped over the lifetime
  std::size_t arenas_reclaimed_ = 0;  // unmapped again
  std::size_t arenas_current_ = 0;    // mapped now (including the spares)
  std::size_t arenas_highwater_ = 0;
};

}  // namespace rcgc::detail
