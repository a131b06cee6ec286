// rcgc allocator, debug hooks: wrap any backend like CPython's
// PYTHONMALLOC=debug (_PyMem_DebugMalloc & co.), and abort with a report on
// misuse.
//
// Every block is allocated from the backend with room around it:
//
//   base                                       user pointer (16-aligned)
//   v                                          v
//   +----------------------------+------------+------------------+-------------+
//   | DebugHeader: size, domain, | front guard| user bytes       | rear guard  |
//   | serial, state, site, links | 16 × 0xFD  | fresh: n × 0xCD  | 16 × 0xFD   |
//   +----------------------------+------------+------------------+-------------+
//   |<------------ 96 bytes ----------------->|<----- n -------->|<-- 16 ---->|
//
// Patterns: 0xCD fresh (never written), 0xDD freed, 0xFD guard (forbidden).
// A freed block is filled with 0xDD and kept in a small quarantine (FIFO);
// any byte that is no longer 0xDD when it is checked (on eviction, on a
// rotating check each call, at verify() and at exit) is a use after free.
//
// Invariants:
//   * header.check == address ^ serial ^ kCheckMagic for every block we made;
//   * state == kLive ⇔ on owner's live list; kFreed ⇔ in owner's quarantine
//     (or being released);
//   * owner == nullptr once the DebugHooks that made the block is destroyed
//     (the block is then freed straight to the backend).
#pragma once

#include <cstddef>
#include <cstdint>

#include "alloc/stats.hpp"
#include "rcgc/detail/allocator.hpp"

namespace rcgc::detail {

class AllocatorImpl;
class DebugHooks;

inline constexpr unsigned char kFreshByte = 0xCD;
inline constexpr unsigned char kFreedByte = 0xDD;
inline constexpr unsigned char kGuardByte = 0xFD;
inline constexpr std::size_t kGuardSize = 16;

struct DebugHeader {
  DebugHeader* prev;
  DebugHeader* next;
  DebugHooks* owner;
  std::size_t size;        // requested bytes
  std::uint64_t serial;    // n-th allocation of the process
  const char* file;        // allocation site (std::source_location), or null
  const void* caller;      // return address of the allocation call, or null
  std::uint64_t check;     // address ^ serial ^ kCheckMagic
  std::uint32_t line;
  std::uint8_t domain;     // Domain the block was allocated through
  std::uint8_t state;      // kLive / kFreed
  std::uint8_t pad[10];
  unsigned char guard[kGuardSize];  // front guard, right before the user bytes
};
inline constexpr std::size_t kDebugHeaderSize = sizeof(DebugHeader);
static_assert(kDebugHeaderSize == 96);
inline constexpr std::size_t kDebugOverhead = kDebugHeaderSize + kGuardSize;

class DebugHooks {
 public:
  explicit DebugHooks(AllocatorImpl& backend, unsigned long verify_every) noexcept;
  ~DebugHooks();
  DebugHooks(const DebugHooks&) = delete;
  DebugHooks& operator=(const DebugHooks&) = delete;

  // `tracked`: a tracked object's block (a tracked lane of the pools).
  void* allocate(std::size_t n, Domain d, const AllocSite& site, bool tracked = false);
  void* reallocate(void* p, std::size_t n, Domain d, const AllocSite& site);
  // Checks and frees p. expected_owner, when not null, is the heap p must
  // belong to (Allocator::deallocate_owned).
  static void deallocate(void* p, Domain d, const DebugHooks* expected_owner) noexcept;
  // Requested size of a live block made by the hooks.
  static std::size_t requested_size(const void* p) noexcept;

  void verify() const noexcept;       // every live and quarantined block
  static void verify_all() noexcept;  // every DebugHooks in the process
  void collect_stats(DebugStats& out) const noexcept;

 private:
  static constexpr std::size_t kQuarantineSlots = 256;
  static constexpr std::size_t kQuarantineBytes = std::size_t{4} << 20;

  void link_live(DebugHeader* h) noexcept;
  void unlink_live(DebugHeader* h) noexcept;
  void quarantine(DebugHeader* h) noexcept;
  void evict_oldest() noexcept;
  void tick() noexcept;
  void register_self() noexcept;
  void unregister_self() noexcept;

  AllocatorImpl& backend_;
  unsigned long verify_every_;
  unsigned long calls_ = 0;
  DebugHeader* live_ = nullptr;
  std::size_t live_blocks_ = 0;
  std::size_t live_bytes_ = 0;
  DebugHeader* quarantine_[kQuarantineSlots] = {};
  std::size_t q_head_ = 0;   // oldest entry
  std::size_t q_count_ = 0;
  std::size_t q_bytes_ = 0;
  std::size_t q_check_ = 0;  // rotating index of the next entry to check
  DebugHooks* reg_next_ = nullptr;
  DebugHooks* reg_prev_ = nullptr;
};

}  // namespace rcgc::detail
