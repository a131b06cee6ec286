// rcgc: Ref<T>, the counted strong reference (an intrusive smart pointer).
//
// Ref behaves like boost::intrusive_ptr: copying increments the object's
// count, destroying decrements it, and the object dies the moment the count
// reaches zero (CPython's immediate reclamation). Null is allowed.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <iterator>
#include <type_traits>
#include <utility>

#include "rcgc/object.hpp"

namespace rcgc {

namespace detail {
struct AdoptTag {};
inline constexpr AdoptTag kAdopt{};
}  // namespace detail

template <class T>
class Ref {
  template <class U> friend class Ref;

 public:
  using element_type = T;

  constexpr Ref() noexcept = default;
  constexpr Ref(std::nullptr_t) noexcept {}
  // From a raw pointer (for example `this` inside finalize()): adds a reference.
  explicit Ref(T* p) noexcept : p_(p) {
    if (p_) p_->incref();
  }
  // Takes over a reference already counted (make<T>() uses this).
  Ref(T* p, detail::AdoptTag) noexcept : p_(p) {}

  Ref(const Ref& other) noexcept : p_(other.p_) {
    if (p_) p_->incref();
  }
  Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  template <class U>
    requires std::is_convertible_v<U*, T*>
  Ref(const Ref<U>& other) noexcept : p_(other.p_) {
    if (p_) p_->incref();
  }
  template <class U>
    requires std::is_convertible_v<U*, T*>
  Ref(Ref<U>&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}

  ~Ref() {
    if (p_) p_->decref();
  }

  // Assignment stores the new value before the old one is released, so a
  // destructor run by that release never sees a half-updated Ref.
  Ref& operator=(const Ref& other) noexcept {
    Ref(other).swap(*this);
    return *this;
  }
  Ref& operator=(Ref&& other) noexcept {
    Ref(std::move(other)).swap(*this);
    return *this;
  }
  template <class U>
    requires std::is_convertible_v<U*, T*>
  Ref& operator=(const Ref<U>& other) noexcept {
    Ref(other).swap(*this);
    return *this;
  }
  template <class U>
    requires std::is_convertible_v<U*, T*>
  Ref& operator=(Ref<U>&& other) noexcept {
    Ref(std::move(other)).swap(*this);
    return *this;
  }
  Ref& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  void reset() noexcept {
    if (T* old = std::exchange(p_, nullptr)) old->decref();
  }
  void reset(T* p) noexcept { Ref(p).swap(*this); }
  void swap(Ref& other) noexcept { std::swap(p_, other.p_); }

  T* get() const noexcept { return p_; }
  T& operator*() const noexcept {
    RCGC_DCHECK(p_ != nullptr);
    return *p_;
  }
  T* operator->() const noexcept {
    RCGC_DCHECK(p_ != nullptr);
    return p_;
  }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  // The object's reference count (0 for a null Ref).
  long use_count() const noexcept { return p_ ? static_cast<long>(p_->refcount()) : 0; }

 private:
  T* p_ = nullptr;
};

template <class T, class U>
bool operator==(const Ref<T>& a, const Ref<U>& b) noexcept {
  return static_cast<const Object*>(a.get()) == static_cast<const Object*>(b.get());
}
template <class T>
bool operator==(const Ref<T>& a, std::nullptr_t) noexcept {
  return !a;
}
template <class T, class U>
std::strong_ordering operator<=>(const Ref<T>& a, const Ref<U>& b) noexcept {
  return std::compare_three_way{}(static_cast<const Object*>(a.get()),
                                  static_cast<const Object*>(b.get()));
}
template <class T>
void swap(Ref<T>& a, Ref<T>& b) noexcept {
  a.swap(b);
}

// Checked downcast (dynamic_cast): null when `r` does not point to a U.
template <class U, class T>
Ref<U> ref_cast(const Ref<T>& r) noexcept {
  return Ref<U>(dynamic_cast<U*>(r.get()));
}

// sys.getrefcount without the +1 of the call: the exact number of strong
// references. Immortal objects report detail::kImmortal or more.
template <class T>
std::size_t getrefcount(const Ref<T>& r) noexcept {
  return r ? r->refcount() : 0;
}
inline std::size_t getrefcount(const Object* op) noexcept {
  return op ? op->refcount() : 0;
}

namespace detail {
// Whether a reference to op (or null) keeps an object that holds it from
// needing tracking: op is untracked and of heap `heap_id` (an object of
// another heap counts as tracked). Mode::referents' test, and make_fixed's
// of its arguments.
inline bool holds_untracked(const Object* op, std::uint16_t heap_id) noexcept {
  return op == nullptr ||
         (ObjectAccess::heap(op) == heap_id && !(ObjectAccess::flags(op) & kLinked));
}
}  // namespace detail

template <Visitor::Mode M>
RCGC_ALWAYS_INLINE void Visitor::visit_as(Object* op, std::uintptr_t n) {
  using A = detail::ObjectAccess;
  if constexpr (M == Mode::order) {  // a young collection's check of the order alone
    const std::uint16_t f = A::flags(op);
    if (RCGC_UNLIKELY(A::heap(op) != heap_id_)) {
      // Debug builds: reported as by decref_young. Release builds: a
      // reference from outside.
      met_tracked_ = true;
      if constexpr (RCGC_DEBUG_LEVEL >= 1) return fn_(*this, op);
      return;
    }
    met_tracked_ |= (f & detail::kLinked) != 0;
    if ((f & member_bits_) != detail::kLinked) return;
    order_seen_ |= !(f & detail::kPassed) ? kForwards
                   : op == walk_at_       ? kBackwards | kForwards
                                          : kBackwards;
  } else if constexpr (M == Mode::decref_young || M == Mode::decref_order) {  // subtract_refs on a generation
    std::uint16_t& f = A::flags(op);
    // Debug builds: an object of another heap, freed, or not made by make is
    // reported by fn_. Release builds count it as a reference from outside.
    if (RCGC_UNLIKELY(A::heap(op) != heap_id_)) {
      if constexpr (RCGC_DEBUG_LEVEL >= 1) return fn_(*this, op);
      return;
    }
    // In the generations collected: linked, generation <= the one collected.
    if (!(f & detail::kLinked) || ((f & detail::kGenMask) >> detail::kGenShift) > generation_)
      return;
    std::uintptr_t& refs = detail::as_gc(op)->prev_bits;
    if (!(f & detail::kCollecting)) {  // first touch: gc_refs = refcnt
      f |= detail::kCollecting;
      refs = A::refcnt(op);
    }
    if constexpr (RCGC_DEBUG_LEVEL >= 1) {
      if (RCGC_UNLIKELY(refs < n)) return report_each(op, n);  // count too small
    }
    refs -= n;
    if constexpr (M == Mode::decref_order)
      order_seen_ |= !(f & detail::kPassed) ? kForwards
                     : op == walk_at_       ? kBackwards | kForwards
                                            : kBackwards;
  } else if constexpr (M == Mode::decref) {  // subtract_refs on a marked list
    std::uint16_t f = A::flags(op);
    if constexpr (RCGC_DEBUG_LEVEL >= 1) {
      // Not an object of this heap (foreign, freed, not made by make), or a
      // count that is too small: fn_ reports it.
      if (RCGC_UNLIKELY(A::heap(op) != heap_id_) ||
          RCGC_UNLIKELY((f & detail::kCollecting) && detail::as_gc(op)->prev_bits < n))
        return report_each(op, n);
    }
    if (f & detail::kCollecting) detail::as_gc(op)->prev_bits -= n;
  } else if constexpr (M == Mode::reach) {  // move_unreachable: reachable from a reachable one
    std::uint16_t f = A::flags(op);
    if (!(f & detail::kCollecting)) return;
    if (RCGC_UNLIKELY(f & detail::kUnreachable)) return fn_(*this, op);  // moved back
    std::uintptr_t& refs = detail::as_gc(op)->prev_bits;
    if (refs == 0) refs = 1;
  } else if constexpr (M == Mode::mark) {  // mark_reachable: reached from a reached one
    std::uint32_t* w = shadow_of(op);
    if (w == nullptr) return mark_in_header(op);
    const detail::ShadowReach r = detail::shadow_reach(*w);
    if (r >= detail::ShadowReach::behind_leaf) ++behind_;
    if (r == detail::ShadowReach::behind) enqueue(op);  // reaching more: the queue traverses it
  } else if constexpr (M == Mode::decref_shadow || M == Mode::decref_edges ||
                       M == Mode::stream || M == Mode::gather) {
    // subtract_refs, state in the shadow, with update_refs folded in
    // (Collector::shadow_subtract): every visit subtracts from the word. An
    // object the walk has passed has its count there; one it has not
    // passed has a word that started at zero, and the walk adds its refcnt
    // when it gets there (kShadowAheadFloor). Only a visit to an object that
    // cannot be a member (an atom, an object of another heap) leaves the
    // word alone, and that is asked of the region's pool table (which heap's
    // tracked objects the object's pool holds), not of the word: no branch
    // then waits for the word, often a cache miss, and the CPU goes on to
    // the next visits' loads meanwhile. decref_edges also records each word
    // visited.
    const std::uintptr_t d = reinterpret_cast<std::uintptr_t>(op) - region_base_;
    if (d < region_size_) {
      if constexpr (RCGC_DEBUG_LEVEL >= 1) {
        // Foreign, freed, or not made by make.
        if (RCGC_UNLIKELY(A::heap(op) != heap_id_)) return report_each(op, n);
      }
      if (pool_tags_[d >> detail::kPoolTagShift] != heap_id_) return;
      if constexpr (M == Mode::stream) {
        // The helper thread applies it to the word (Collector::
        // shadow_subtract, shared): the word's index, with n when it is
        // not 1.
        ++visits_;
        if (RCGC_UNLIKELY(n != 1))
          stream_put(detail::kStreamCount |
                     static_cast<std::uint32_t>(std::min<std::uintptr_t>(n, detail::kStreamMostN)));
        return stream_put(static_cast<std::uint32_t>(d >> detail::kShadowGranuleShift));
      } else if constexpr (M == Mode::gather) {
        // The split walk (Collector::shadow_subtract, split): only the
        // word's index is recorded; the words are counted after the walk.
        const auto index = static_cast<std::uint32_t>(d >> detail::kShadowGranuleShift);
        visits_ += n;
        if (RCGC_UNLIKELY(n != 1)) note_run(index, n);
        return record_edge(index);
      } else {
        return subtract_word<M>(op, shadow_ + (d >> detail::kShadowGranuleShift), n);
      }
    }
    // Outside the region: in the header, as a young collection's subtract
    // (the visitor's generation is the oldest, so a member is any linked
    // object of the heap but a frozen one). Its traversal is not a leaf's,
    // whatever the object (the mark then only traverses it needlessly).
    met_member_ = true;
    // gather: no header is written; an object of the collection outside
    // the region makes the split walk give up (the list's walk sees it).
    if constexpr (M == Mode::gather) {
      if constexpr (RCGC_DEBUG_LEVEL >= 1) {
        // Foreign, freed, or not made by make: reported as decref_young does.
        if (RCGC_UNLIKELY(A::heap(op) != heap_id_)) return report_each(op, n);
      }
      return;
    }
    return visit_as<Mode::decref_young>(op, n);
  } else if constexpr (M == Mode::prefetch) {
    ++visits_;
    std::uint32_t* w = shadow_of(op);
    __builtin_prefetch(w != nullptr ? static_cast<const void*>(w) : detail::as_gc(op), 1);
  } else if constexpr (M == Mode::call) {
    fn_(*this, op);
  } else if constexpr (M == Mode::referents) {
    if (!detail::holds_untracked(op, heap_id_)) met_tracked_ = true;
  }
  // Mode::clear: raw pointers cannot be reset.
}

namespace detail {
// decref_shadow's step on the word of a possible member: subtract n from it,
// unless the result says the case is rare (false). An object the walk has
// passed has its count there; one it has not passed has a word that started
// at zero, and the walk adds its refcnt when it gets there
// (kShadowAheadFloor). Still ahead of the walk with a count that fits (top
// four bits 1111), or behind it with a count that did not go below zero
// (101x): anything else is rare (a root, a count too small, references
// beyond the field), and so is n beyond the field. One test of the top bits,
// not a branch for each case: ahead or behind is a coin toss on some heaps.
// Debug builds also find a leaf's count taken below zero, which borrows
// from its kShadowLeaf bit (1011 to 1010: a leaf the walk on one thread
// passed before its referrers); release builds leave it a root.
RCGC_ALWAYS_INLINE bool subtract_from_word(std::uint32_t* w, std::uintptr_t n) noexcept {
  static_assert(kShadowAheadFloor == 0xF0000000u && kShadowBehind == 0xA0000000u &&
                (kShadowBehind | kShadowLeaf) == 0xB0000000u);
  constexpr std::uint32_t kValidTops = (1u << 0xF) | (1u << 0xB) | (1u << 0xA);
  const std::uint32_t x = *w;
  const std::uint32_t y = x - static_cast<std::uint32_t>(n);
  if (RCGC_UNLIKELY(!((kValidTops >> (y >> 28)) & 1u)) || RCGC_UNLIKELY(n > kShadowCount))
    return false;
  if constexpr (RCGC_DEBUG_LEVEL >= 1) {
    if (RCGC_UNLIKELY((x >> 28) == 0xB && (y >> 28) != 0xB)) return false;
  }
  *w = y;
  return true;
}
}  // namespace detail

// decref_shadow's and decref_edges' visit of the word w of a possible
// member, op: the rare cases (a count too small among them, which debug
// builds report) in visit_shadow_rare.
template <Visitor::Mode M>
RCGC_ALWAYS_INLINE void Visitor::subtract_word(Object* op, std::uint32_t* w, std::uintptr_t n) {
  if (RCGC_UNLIKELY(!detail::subtract_from_word(w, n))) return visit_shadow_rare(op, w, n);
  visits_ += n;
  if constexpr (M == Mode::decref_edges) record_edge(static_cast<std::uint32_t>(w - shadow_));
}

// One visit: the mode picks the body, young collections' modes first. GCC 12
// at -O3 turns the chain into a switch with a jump table all the same (an
// indirect jump a visit); keeping it a chain (each test marked unlikely, so
// that the next visit of a traverse() skips to its mode's body) measured no
// clear gain over the host's noise, and losses on some heaps
// (docs/benchmarks.md, session 19).
RCGC_ALWAYS_INLINE void Visitor::visit(Object* op, std::uintptr_t n) {
  if (mode_ == Mode::order) return visit_as<Mode::order>(op, n);
  if (mode_ == Mode::decref_order) return visit_as<Mode::decref_order>(op, n);
  if (mode_ == Mode::decref_young) return visit_as<Mode::decref_young>(op, n);
  if (mode_ == Mode::reach) return visit_as<Mode::reach>(op, n);
  if (mode_ == Mode::decref_edges) return visit_as<Mode::decref_edges>(op, n);
  if (mode_ == Mode::decref_shadow) return visit_as<Mode::decref_shadow>(op, n);
  if (mode_ == Mode::mark) return visit_as<Mode::mark>(op, n);
  if (mode_ == Mode::decref) return visit_as<Mode::decref>(op, n);
  if (mode_ == Mode::prefetch) return visit_as<Mode::prefetch>(op, n);
  if (mode_ == Mode::call) return visit_as<Mode::call>(op, n);
  if (mode_ == Mode::referents) return visit_as<Mode::referents>(op, n);
  // Last: the walks on two threads (stream opt-in, gather on large heaps).
  if (mode_ == Mode::stream) return visit_as<Mode::stream>(op, n);
  if (mode_ == Mode::gather) return visit_as<Mode::gather>(op, n);
  // Mode::clear: raw pointers cannot be reset.
}

namespace detail {
template <class T>
struct IsRef : std::false_type {};
template <class T>
struct IsRef<Ref<T>> : std::true_type {};
}  // namespace detail

// Mode::mark for an object whose state is in its header: an object of the
// collection not yet reached gets kReached and, if the walk has passed it
// already, joins the queue; one ahead of the walk is traversed when the
// walk gets there.
RCGC_ALWAYS_INLINE void Visitor::mark_in_header(Object* op) {
  std::uint16_t& f = detail::ObjectAccess::flags(op);
  if ((f & (detail::kCollecting | detail::kReached)) != detail::kCollecting) return;
  f |= detail::kReached;
  if (f & detail::kPassed) {
    ++behind_;
    enqueue(op);
  }
}

// Mode::mark's queue of objects reached behind the walk: appended to its
// array; when that is full, fn_ makes room (or queues it otherwise).
RCGC_ALWAYS_INLINE void Visitor::enqueue(Object* op) {
  if (RCGC_LIKELY(queue_end_ < queue_cap_)) {
    queue_buf_[queue_end_++] = detail::as_gc(op);
    return;
  }
  fn_(*this, op);
}

// The slow path of n references at once: fn_ handles them one by one.
inline void Visitor::report_each(Object* op, std::uintptr_t n) {
  for (std::uintptr_t i = 0; i < n; ++i) fn_(*this, op);
}

namespace detail {
// The end of the run of references equal to p[j - 1] that continues at p[j]
// (0 < j <= n). Eight at a time while they all match: the XORs and ORs of a
// block compile to a few vector instructions, so a long run (a Python list
// of one repeated object, [x] * n) is scanned several references a cycle.
template <class Element>
RCGC_ALWAYS_INLINE std::size_t run_end(const Element* p, std::size_t j, std::size_t n) noexcept {
  const auto v = reinterpret_cast<std::uintptr_t>(p[j - 1].get());
  while (j + 8 <= n) {
    std::uintptr_t diff = 0;
    for (std::size_t k = 0; k < 8; ++k) diff |= reinterpret_cast<std::uintptr_t>(p[j + k].get()) ^ v;
    if (diff != 0) break;
    j += 8;
  }
  while (j < n && reinterpret_cast<std::uintptr_t>(p[j].get()) == v) ++j;
  return j;
}
}  // namespace detail

// each() over an array for one mode: runs of references to one object are
// counted and subtracted at once (no read-modify-write chain through
// memory); move_unreachable's, mark_reachable's and the prefetch visits are
// idempotent: one per run is enough.
template <Visitor::Mode M, class Element>
void Visitor::each_as(const Element* p, std::size_t n) {
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    if (j < n && p[j].get() == p[i].get()) j = detail::run_end(p, j + 1, n);
    if (p[i]) visit_as<M>(static_cast<Object*>(p[i].get()), j - i);
    i = j;
  }
}

template <class Range>
void Visitor::each(const Range& range) {
  using Element = std::remove_cvref_t<decltype(*std::begin(range))>;
  if constexpr (detail::IsRef<Element>::value) {
    if constexpr (std::contiguous_iterator<decltype(std::begin(range))>) {
      // The mode is picked once for the whole array.
      const Element* p = std::to_address(std::begin(range));
      const auto n = static_cast<std::size_t>(std::end(range) - std::begin(range));
      switch (mode_) {
        case Mode::order: return each_as<Mode::order>(p, n);
        case Mode::decref_order: return each_as<Mode::decref_order>(p, n);
        case Mode::decref_young: return each_as<Mode::decref_young>(p, n);
        case Mode::reach: return each_as<Mode::reach>(p, n);
        case Mode::decref_edges: return each_as<Mode::decref_edges>(p, n);
        case Mode::decref_shadow: return each_as<Mode::decref_shadow>(p, n);
        case Mode::stream: return each_as<Mode::stream>(p, n);
        case Mode::gather: return each_as<Mode::gather>(p, n);
        case Mode::mark: return each_as<Mode::mark>(p, n);
        case Mode::decref: return each_as<Mode::decref>(p, n);
        case Mode::prefetch: return each_as<Mode::prefetch>(p, n);
        case Mode::referents: return each_as<Mode::referents>(p, n);
        default: break;  // call, clear: one by one
      }
    } else if (mode_ != Mode::call && mode_ != Mode::clear) {
      // Not contiguous: runs found one element at a time.
      Object* last = nullptr;
      std::uintptr_t run = 0;
      for (const auto& r : range) {
        Object* op = r.get();
        if (op == last) {
          ++run;
          continue;
        }
        if (last) visit(last, run);
        last = op;
        run = op ? 1 : 0;
      }
      if (last) visit(last, run);
      return;
    }
  }
  for (const auto& r : range) (*this)(r);
}

template <class T>
RCGC_ALWAYS_INLINE void Visitor::operator()(const Ref<T>& ref) {
  if (RCGC_UNLIKELY(mode_ == Mode::clear)) {
    const_cast<Ref<T>&>(ref).reset();
  } else if (ref) {
    visit(static_cast<Object*>(ref.get()));
  }
}

}  // namespace rcgc

template <class T>
struct std::hash<rcgc::Ref<T>> {
  std::size_t operator()(const rcgc::Ref<T>& r) const noexcept {
    return std::hash<const void*>{}(static_cast<const rcgc::Object*>(r.get()));
  }
};
