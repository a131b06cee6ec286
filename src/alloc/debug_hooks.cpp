// rcgc allocator, debug hooks (see debug_hooks.hpp for the block layout).
#include "alloc/debug_hooks.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "alloc/allocator_impl.hpp"
#include "alloc/os.hpp"
#include "alloc/region.hpp"
#include "alloc/report.hpp"

namespace rcgc::detail {
namespace {

constexpr std::uint64_t kCheckMagic = 0x7263'6763'6465'6267ull;  // "rcgcdebg"
constexpr std::uint8_t kLive = 'L';
constexpr std::uint8_t kFreed = 'F';

std::uint64_t g_serial = 0;  // approximate across threads; only for reports

std::uint64_t check_of(const DebugHeader* h) noexcept {
  return reinterpret_cast<std::uintptr_t>(h) ^ h->serial ^ kCheckMagic;
}
unsigned char* user_of(DebugHeader* h) noexcept {
  return reinterpret_cast<unsigned char*>(h) + kDebugHeaderSize;
}
DebugHeader* header_of(const void* p) noexcept {
  return reinterpret_cast<DebugHeader*>(
      const_cast<unsigned char*>(static_cast<const unsigned char*>(p)) - kDebugHeaderSize);
}
unsigned char* rear_guard(DebugHeader* h) noexcept { return user_of(h) + h->size; }

bool all_bytes(const unsigned char* p, std::size_t n, unsigned char v) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != v) return false;
  return true;
}
// Index of the first byte that is not v, or n.
std::size_t first_not(const unsigned char* p, std::size_t n, unsigned char v) noexcept {
  std::size_t i = 0;
  while (i < n && p[i] == v) ++i;
  return i;
}

const char* domain_name(std::uint8_t d) noexcept {
  if (d == static_cast<std::uint8_t>(Domain::mem)) return "rcgc::mem::malloc/calloc/realloc";
  if (d == static_cast<std::uint8_t>(Domain::object)) return "Allocator::allocate (make<T>)";
  return "an unknown API";
}

void describe_block(Report& r, DebugHeader* h) noexcept {
  r.text("  block: ").dec(h->size).text(" bytes at ").ptr(user_of(h));
  r.text(", serial ").dec(h->serial).text(", allocated through ").text(domain_name(h->domain));
  r.text("\n  allocated at: ");
  if (h->file != nullptr) r.text(h->file).text(":").dec(h->line);
  else r.text("(unknown source line)");
  if (h->caller != nullptr) r.text(", caller ").ptr(h->caller).symbol(h->caller);
  r.text("\n");
}

void dump_bytes(Report& r, const char* label, const unsigned char* p, std::size_t n) noexcept {
  r.text("  ").text(label).text(":");
  for (std::size_t i = 0; i < n; ++i) r.text(" ").byte(p[i]);
  r.text("\n");
}

[[noreturn]] void fail(const char* what, const void* p, DebugHeader* h) noexcept {
  Report r;
  r.text("rcgc: debug allocator: ").text(what).text(" (pointer ").ptr(p).text(")\n");
  if (h != nullptr) {
    describe_block(r, h);
    dump_bytes(r, "front guard (expect fd)", h->guard, kGuardSize);
    if (h->state == kLive) dump_bytes(r, "rear guard (expect fd)", rear_guard(h), kGuardSize);
  }
  r.text("  fill patterns: fresh 0xcd, freed 0xdd, guard 0xfd\n");
  r.abort();
}

// Validates that p is a block made by the hooks, whatever its state; reports
// and aborts otherwise. Never faults on a wild pointer.
DebugHeader* checked_header(const void* p) noexcept {
  auto addr = reinterpret_cast<std::uintptr_t>(p);
  if ((addr & (kAlignment - 1)) != 0 || addr < kDebugHeaderSize)
    fail("free of a pointer not allocated by rcgc (misaligned)", p, nullptr);
  DebugHeader* h = header_of(p);
  char* last = reinterpret_cast<char*>(h) + kDebugHeaderSize - 1;
  // A slot of the arena region with no arena is mapped (PROT_NONE), which
  // mincore does not tell from readable memory: ask the region first.
  if (ArenaRegion::in_empty_slot(h) || ArenaRegion::in_empty_slot(last) || !os_is_readable(h) ||
      !os_is_readable(last))
    fail("free of a pointer not allocated by rcgc (no header)", p, nullptr);
  if (h->check != check_of(h)) {
    if (all_bytes(h->guard, kGuardSize, kGuardByte))
      fail("free of a pointer not allocated by rcgc (or its header was overwritten)", p, nullptr);
    fail("buffer underflow: header before the block overwritten, or a pointer not allocated by rcgc",
         p, nullptr);
  }
  return h;
}

void check_guards(DebugHeader* h) noexcept {
  if (!all_bytes(h->guard, kGuardSize, kGuardByte))
    fail("buffer underflow: bytes before the block were overwritten", user_of(h), h);
  if (!all_bytes(rear_guard(h), kGuardSize, kGuardByte))
    fail("buffer overflow: bytes after the block were overwritten", user_of(h), h);
}

void check_freed(DebugHeader* h) noexcept {
  std::size_t i = first_not(user_of(h), h->size, kFreedByte);
  if (i != h->size) {
    Report r;
    r.text("rcgc: debug allocator: use after free: byte ").dec(i).text(" of a freed block was written (pointer ")
        .ptr(user_of(h) + i).text(")\n");
    describe_block(r, h);
    std::size_t n = h->size - i < 16 ? h->size - i : 16;
    dump_bytes(r, "bytes from there (expect dd)", user_of(h) + i, n);
    r.abort();
  }
  if (!all_bytes(h->guard, kGuardSize, kGuardByte) ||
      !all_bytes(rear_guard(h), kGuardSize, kGuardByte))
    fail("use after free: guard bytes of a freed block were overwritten", user_of(h), h);
}

// The backend allocation under a debug block (for the pools: the same heap).
void release_to_backend(DebugHeader* h) noexcept { AllocatorImpl::raw_free(h); }

std::mutex& registry_mutex() noexcept {
  static std::mutex m;
  return m;
}
DebugHooks* g_registry = nullptr;

}  // namespace

DebugHooks::DebugHooks(AllocatorImpl& backend, unsigned long verify_every) noexcept
    : backend_(backend), verify_every_(verify_every) {
  register_self();
}

DebugHooks::~DebugHooks() {
  unregister_self();
  verify();
  while (q_count_ != 0) evict_oldest();
  for (DebugHeader* h = live_; h != nullptr; h = h->next) h->owner = nullptr;
}

void* DebugHooks::allocate(std::size_t n, Domain d, const AllocSite& site, bool tracked) {
  tick();
  if (n > SIZE_MAX - kDebugOverhead - kAlignment) throw std::bad_alloc();
  std::size_t padded = (n + kAlignment - 1) & ~(kAlignment - 1);
  auto* h = static_cast<DebugHeader*>(
      backend_.raw_allocate(kDebugHeaderSize + padded + kGuardSize, tracked));
  h->owner = this;
  h->size = n;
  h->serial = ++g_serial;
  h->file = site.file;
  h->line = site.line;
  h->caller = site.caller;
  h->check = check_of(h);
  h->domain = static_cast<std::uint8_t>(d);
  h->state = kLive;
  std::memset(h->pad, 0, sizeof h->pad);
  std::memset(h->guard, kGuardByte, kGuardSize);
  std::memset(user_of(h), kFreshByte, n);
  std::memset(rear_guard(h), kGuardByte, kGuardSize);
  link_live(h);
  return user_of(h);
}

void* DebugHooks::reallocate(void* p, std::size_t n, Domain d, const AllocSite& site) {
  if (p == nullptr) return allocate(n, d, site);
  DebugHeader* h = checked_header(p);
  if (h->state == kFreed) fail("realloc of a freed block (use after free)", p, h);
  if (h->state != kLive) fail("realloc of a pointer not allocated by rcgc", p, h);
  if (h->domain != static_cast<std::uint8_t>(d))
    fail("realloc through the wrong API (block allocated through another one)", p, h);
  check_guards(h);
  // Always move: a stale pointer to the old block is then caught as a use
  // after free instead of silently working.
  void* q = allocate(n, d, site);
  std::memcpy(q, p, n < h->size ? n : h->size);
  deallocate(p, d, nullptr);
  return q;
}

void DebugHooks::deallocate(void* p, Domain d, const DebugHooks* expected_owner) noexcept {
  if (p == nullptr) return;
  DebugHeader* h = checked_header(p);
  if (h->state == kFreed) fail("double free", p, h);
  if (h->state != kLive) fail("free of a pointer not allocated by rcgc", p, h);
  if (h->domain != static_cast<std::uint8_t>(d))
    fail("free through the wrong API (block allocated through another one)", p, h);
  if (expected_owner != nullptr && h->owner != expected_owner)
    fail("free through the wrong heap (block belongs to another heap's allocator)", p, h);
  check_guards(h);
  DebugHooks* owner = h->owner;
  if (owner == nullptr) {  // its heap is gone: no quarantine
    std::memset(user_of(h), kFreedByte, h->size);
    h->state = kFreed;
    release_to_backend(h);
    return;
  }
  owner->tick();
  owner->unlink_live(h);
  owner->quarantine(h);
}

std::size_t DebugHooks::requested_size(const void* p) noexcept {
  return header_of(p)->size;
}

void DebugHooks::link_live(DebugHeader* h) noexcept {
  h->prev = nullptr;
  h->next = live_;
  if (live_ != nullptr) live_->prev = h;
  live_ = h;
  ++live_blocks_;
  live_bytes_ += h->size;
}

void DebugHooks::unlink_live(DebugHeader* h) noexcept {
  if (h->prev != nullptr) h->prev->next = h->next;
  else live_ = h->next;
  if (h->next != nullptr) h->next->prev = h->prev;
  h->prev = h->next = nullptr;
  --live_blocks_;
  live_bytes_ -= h->size;
}

void DebugHooks::quarantine(DebugHeader* h) noexcept {
  std::memset(user_of(h), kFreedByte, h->size);
  h->state = kFreed;
  while (q_count_ != 0 &&
         (q_count_ == kQuarantineSlots || q_bytes_ + h->size > kQuarantineBytes))
    evict_oldest();
  quarantine_[(q_head_ + q_count_) % kQuarantineSlots] = h;
  ++q_count_;
  q_bytes_ += h->size;
}

void DebugHooks::evict_oldest() noexcept {
  DebugHeader* h = quarantine_[q_head_];
  check_freed(h);
  q_head_ = (q_head_ + 1) % kQuarantineSlots;
  --q_count_;
  q_bytes_ -= h->size;
  release_to_backend(h);
}

// Cheap continuous checking: one quarantined block per call, and a full
// verification every verify_every_ calls when RCGC_MALLOC_VERIFY asks.
void DebugHooks::tick() noexcept {
  if (q_count_ != 0) check_freed(quarantine_[(q_head_ + q_check_++ % q_count_) % kQuarantineSlots]);
  if (verify_every_ != 0 && ++calls_ % verify_every_ == 0) verify();
}

void DebugHooks::verify() const noexcept {
  for (DebugHeader* h = live_; h != nullptr; h = h->next) {
    if (h->check != check_of(h) || h->state != kLive)
      fail("heap corruption: a live block's header was overwritten", user_of(h), nullptr);
    check_guards(h);
  }
  for (std::size_t i = 0; i < q_count_; ++i)
    check_freed(quarantine_[(q_head_ + i) % kQuarantineSlots]);
}

void DebugHooks::verify_all() noexcept {
  std::lock_guard lock(registry_mutex());
  for (DebugHooks* d = g_registry; d != nullptr; d = d->reg_next_) d->verify();
}

void DebugHooks::collect_stats(DebugStats& out) const noexcept {
  out.enabled = true;
  out.live_blocks = live_blocks_;
  out.live_bytes = live_bytes_;
  out.quarantined_blocks = q_count_;
  out.serial = g_serial;
}

void DebugHooks::register_self() noexcept {
  static const bool at_exit = (std::atexit(&DebugHooks::verify_all), true);
  (void)at_exit;
  std::lock_guard lock(registry_mutex());
  reg_next_ = g_registry;
  if (g_registry != nullptr) g_registry->reg_prev_ = this;
  g_registry = this;
}

void DebugHooks::unregister_self() noexcept {
  std::lock_guard lock(registry_mutex());
  if (reg_prev_ != nullptr) reg_prev_->reg_next_ = reg_next_;
  else g_registry = reg_next_;
  if (reg_next_ != nullptr) reg_next_->reg_prev_ = reg_prev_;
}

}  // namespace rcgc::detail
