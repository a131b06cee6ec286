// rcgc::gc — Python's gc module, acting on the current heap.
//
// Names, defaults and results follow CPython 3.11's gc module: thresholds
// (700, 10, 10), get_count() as allocations minus deallocations of tracked
// objects, collect() returning collected + uncollectable, the DEBUG_* bits
// with the same values and the same stderr lines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "rcgc/ref.hpp"

namespace rcgc {

// An ordered collection of strong references, returned by get_objects(),
// get_referrers(), get_referents(). A std::vector, so std::ranges work.
using ObjectList = std::vector<Ref<Object>>;

namespace gc {

inline constexpr unsigned DEBUG_STATS = 1;
inline constexpr unsigned DEBUG_COLLECTABLE = 2;
inline constexpr unsigned DEBUG_UNCOLLECTABLE = 4;
inline constexpr unsigned DEBUG_SAVEALL = 32;
inline constexpr unsigned DEBUG_LEAK =
    DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;
// rcgc's own (CPython has no such flag): after each collection, one line on
// stderr with the time of each of its phases, in the order they ran:
//   gc: phases of generation 2 (shadow): subtract 1.234 ms, mark 0.567 ms, ...
// The path in parentheses is "shadow", "list" (a full collection that keeps
// its counts in the headers) or "young". See docs/design.md.
inline constexpr unsigned DEBUG_PHASES = 64;

inline constexpr int kNumGenerations = 3;

// gc.get_stats()[g].
struct GenerationStats {
  std::size_t collections = 0;
  std::size_t collected = 0;
  std::size_t uncollectable = 0;
};

// gc.callbacks: the phase and the info dict.
enum class Phase { start, stop };
struct CollectInfo {
  int generation = 0;
  std::size_t collected = 0;      // 0 at start
  std::size_t uncollectable = 0;  // 0 at start
  std::size_t candidates = 0;     // objects examined (0 at start)
  double duration = 0.0;          // seconds (0 at start)
};
using Callback = std::function<void(Phase, const CollectInfo&)>;
using CallbackId = std::uint64_t;

// gc.garbage: uncollectable objects (legacy finalizers), or everything
// unreachable under DEBUG_SAVEALL. The user breaks their cycles by hand and
// then releases them.
class GarbageList {
 public:
  using value_type = Ref<Object>;
  using iterator = std::vector<Ref<Object>>::iterator;
  using const_iterator = std::vector<Ref<Object>>::const_iterator;

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  Ref<Object>& operator[](std::size_t i) { return items_.at(i); }
  const Ref<Object>& operator[](std::size_t i) const { return items_.at(i); }
  void push_back(Ref<Object> r) { items_.push_back(std::move(r)); }
  // Removes element i (like `del gc.garbage[i]`).
  void erase(std::size_t i);
  // Empties the list. The items are detached first and released afterwards,
  // so a finalizer that runs meanwhile may use the (already empty) list.
  void clear() noexcept;

 private:
  std::vector<Ref<Object>> items_;
};

// Runs a collection of `generation` (0..2) and returns the number of
// unreachable objects found (collected + uncollectable). Returns 0 when a
// collection is already running. Throws std::invalid_argument otherwise.
std::size_t collect(int generation = 2);

void enable() noexcept;
void disable() noexcept;
bool isenabled() noexcept;

std::array<int, 3> get_threshold() noexcept;
// threshold0 == 0 turns automatic collection off. Negative values throw
// std::invalid_argument.
void set_threshold(int threshold0);
void set_threshold(int threshold0, int threshold1);
void set_threshold(int threshold0, int threshold1, int threshold2);

std::array<int, 3> get_count() noexcept;
std::array<GenerationStats, 3> get_stats() noexcept;

GarbageList& garbage() noexcept;

void set_debug(unsigned flags) noexcept;
unsigned get_debug() noexcept;

CallbackId add_callback(Callback cb);
// Returns false if no callback has that id.
bool remove_callback(CallbackId id) noexcept;

// All tracked objects (not frozen ones); generation -1 means all three.
// Throws std::invalid_argument for a generation outside -1..2.
ObjectList get_objects(int generation = -1);
// Tracked objects whose traverse() visits any of `objs`.
ObjectList get_referrers(const Object* obj);
ObjectList get_referrers(const std::vector<const Object*>& objs);
template <class T>
ObjectList get_referrers(const Ref<T>& r) {
  return get_referrers(static_cast<const Object*>(r.get()));
}
// What obj's traverse() visits (each visit once, in order).
ObjectList get_referents(const Object* obj);
// The same for several objects, one after the other (Python's *objs).
ObjectList get_referents(const std::vector<const Object*>& objs);
template <class T>
ObjectList get_referents(const Ref<T>& r) {
  return get_referents(static_cast<const Object*>(r.get()));
}

bool is_tracked(const Object* obj) noexcept;
template <class T>
bool is_tracked(const Ref<T>& r) noexcept {
  return is_tracked(static_cast<const Object*>(r.get()));
}
bool is_finalized(const Object* obj) noexcept;
template <class T>
bool is_finalized(const Ref<T>& r) noexcept {
  return is_finalized(static_cast<const Object*>(r.get()));
}

// Moves every tracked object into the permanent generation, which is never
// scanned (for fork() copy-on-write). unfreeze() moves them back into the
// oldest generation.
void freeze() noexcept;
void unfreeze() noexcept;
std::size_t get_freeze_count() noexcept;

}  // namespace gc

// sys.unraisablehook: receives every exception that cannot propagate (from
// finalizers, weakref callbacks and gc callbacks). Process-wide. The default
// prints "Exception ignored in: <where>" and the exception to stderr.
using UnraisableHook = std::function<void(std::exception_ptr, const std::string& where)>;
// Installs `hook` (an empty function restores the default); returns the
// previous one.
UnraisableHook set_unraisable_hook(UnraisableHook hook);
// Hands the current exception (call from a catch block) to the hook.
void write_unraisable(std::exception_ptr error, const std::string& where) noexcept;

}  // namespace rcgc
