// The collector's helper thread, and the stream its jobs read.
//
// One per process: a full collection in the shadow holds the shadow for the
// whole process (g_shadow_busy), and only such a collection hands work to
// the helper (Collector::shadow_subtract: the collecting thread walks and
// traverses, the helper applies the visits to the shadow's words). The
// helper runs no user code: traverse() and everything else a type defines
// stay on the collecting thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace rcgc::detail {

// A single-producer, single-consumer ring of 32-bit entries. Positions are
// counts from the start (never wrap); an entry's slot is its position
// modulo kSize. The producer is given spans of free slots and publishes
// how far it wrote; the consumer publishes how far it read.
class Stream {
 public:
  static constexpr std::size_t kSize = std::size_t{1} << 16;  // 256 KiB

  // The stream of the process (one helper, one stream); nullptr without
  // memory.
  static Stream* get() noexcept;
  // Empty again, for a new job (neither side running).
  void reset() noexcept;

  // Producer. A span of free slots starting at the position after what was
  // written so far; `end` its end. Waits while the ring is full.
  std::uint32_t* first_span(std::uint32_t*& end) noexcept { return next_span(nullptr, end); }
  // Publishes the entries up to `out` (in the current span) and returns the
  // next span, which continues at `out` if the ring has room there.
  std::uint32_t* next_span(std::uint32_t* out, std::uint32_t*& end) noexcept;
  // Publishes the entries written up to `out`.
  void publish(const std::uint32_t* out) noexcept {
    head_.store(span_pos_ + static_cast<std::size_t>(out - span_at_), std::memory_order_release);
  }

  // Consumer: how far it may read from `pos` (more than pos), waiting
  // until something is published there; what it read before pos is free
  // again. At most an eighth of the ring at a time, so that the producer
  // gets room back as it goes.
  std::size_t readable(std::size_t pos) noexcept;
  std::uint32_t at(std::size_t pos) const noexcept { return buf_[pos & (kSize - 1)]; }

 private:

  std::uint32_t* buf_ = nullptr;
  // Producer's: the position and slot where the current span starts.
  std::size_t span_pos_ = 0;
  std::uint32_t* span_at_ = nullptr;
  alignas(64) std::atomic<std::size_t> head_{0};  // written by the producer
  alignas(64) std::atomic<std::size_t> tail_{0};  // written by the consumer
};

// The helper thread. start() hands it a job and returns at once (false if
// there is no helper: no memory, or the thread could not be made); finish()
// waits until the job has returned. One job at a time, from the thread that
// holds the shadow.
class Helper {
 public:
  using Job = void (*)(void* arg) noexcept;
  static bool start(Job job, void* arg) noexcept;
  static void finish() noexcept;
};

// The fewest objects a full collection in the shadow must have for its
// subtract walk to be shared with the helper; SIZE_MAX (the default): never.
// Off by default: on this project's 2-vCPU host it made some heaps' walks
// faster and others' slower (docs/benchmarks.md, session 21).
// RCGC_GC_PARALLEL=N (objects) sets it at startup; set_parallel_min (the
// collector's test hooks) from then on.
std::size_t parallel_min() noexcept;
// How many subtract walks the helper has shared (tests).
extern std::atomic<std::size_t> g_parallel_walks;

// The fewest objects a full collection in the shadow must have for its
// subtract walk to be split between the collecting thread and the helper
// (Collector's split walk: both traverse); SIZE_MAX: never.
// RCGC_GC_SPLIT=N (objects) sets it at startup; set_split_min from then on.
std::size_t split_min() noexcept;
// Every full collection in the shadow that logs its edges and has at least
// split_min() objects splits its walk, whatever the heap's order or the
// walks' times (tests; RCGC_GC_SPLIT=always).
bool split_always() noexcept;
// Tests: the two threads of a split walk take their chunks in turns, so
// that each takes half of a list (set_split_alternate).
bool split_alternate() noexcept;
// How many subtract walks were split, and how many objects the helper
// walked in them (tests).
extern std::atomic<std::size_t> g_split_walks;
extern std::atomic<std::size_t> g_split_helper_objects;

// A wait for the other thread: spins a little (`spins` counts), then yields.
void pause_briefly(unsigned& spins) noexcept;

}  // namespace rcgc::detail
