// rcgc: Heap, the unit of isolation (allocator + collector + gc state), like
// a CPython interpreter.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rcgc/detail/heap_state.hpp"

namespace rcgc {

class Heap;

// Makes a heap the calling thread's current heap until destroyed; then the
// previous one is current again. Movable, not copyable. A heap may be current
// on one thread at a time: entering it on a second thread while a scope is
// alive on the first stops the program with a message.
class HeapScope {
 public:
  HeapScope(HeapScope&& other) noexcept;
  HeapScope& operator=(HeapScope&&) = delete;
  HeapScope(const HeapScope&) = delete;
  ~HeapScope();

 private:
  friend class Heap;
  explicit HeapScope(detail::HeapState* heap) noexcept;
  detail::HeapState* heap_;
  detail::HeapState* previous_;
  bool active_ = true;
};

class Heap {
 public:
  Heap();
  // Runs full collections until nothing more is found, then frees the heap.
  // Objects still referenced after that are not freed under those references:
  // the heap's memory stays mapped ("orphaned") so they remain valid, and a
  // line on stderr reports them (in debug builds).
  ~Heap();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // Makes this heap current on this thread until the guard dies. The guard
  // must not outlive the heap.
  [[nodiscard]] HeapScope enter() noexcept;

  // The heap id stamped on every object made here (1..65535).
  std::uint16_t id() const noexcept;
  // Objects made on this heap and not yet freed (tracked and untracked).
  std::size_t live_objects() const noexcept;
  // Runs the expensive consistency check of the generation lists, the
  // reference counts (no tracked object has gc_refs < 0) and the allocator.
  void verify() const;

  detail::HeapState& state() noexcept { return *state_; }

 private:
  detail::HeapState* state_;
};

// The heap this thread is using now.
std::uint16_t current_heap_id() noexcept;
// Objects made on the current heap and not yet freed.
std::size_t live_objects() noexcept;

}  // namespace rcgc
