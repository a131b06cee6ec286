// rcgc::Dict: a hash map in insertion order whose entries sit in one array,
// the layout of CPython's dict (3.6+): a table of small indices, probed by
// hash, into a dense array of (hash, key, value) entries appended in order.
//
// Why it is here: a collection must visit every Ref a container holds. A
// std::unordered_map keeps each element in a node of its own, so its
// traversal chases one pointer per element through the heap (a cache miss
// the next one depends on); a Dict's traversal reads one array front to
// back, and the objects it references are visited independently of each
// other.
//
//   struct Scope : rcgc::Object {
//     rcgc::Dict<std::string, rcgc::Ref<Value>> vars;
//     void traverse(rcgc::Visitor& visit) const override { vars.traverse(visit); }
//   };
//
// Semantics, as Python's dict where the two overlap:
// - iteration is in insertion order; assigning to an existing key keeps its
//   place, erasing and inserting again moves it to the end;
// - erase leaves a hole in the entry array, which the next resize compacts
//   (a resize happens when the array is full, and sizes the table by the
//   live entries: a dict that keeps its size under churn does not grow);
// - traverse() visits the Refs among keys and values (a value may also be
//   anything with traverse(Visitor&) const, or a contiguous range of Refs);
//   when the collector breaks a cycle through Object::clear()'s default, the
//   dict is cleared, as CPython's dict_tp_clear does.
//
// Invalidation: an insertion may move every entry (iterators, pointers and
// references to elements are invalidated); erase invalidates only what
// referred to the erased element.
//
// Exceptions: a throwing hash, key comparison or constructor leaves the
// dict as it was (a resize copies elements whose move may throw, and frees
// the old array only once the new one is complete).
//
// Re-entrancy: destroying a key or value may run arbitrary code (a Ref's
// last release runs finalizers and destructors). erase() and clear() take
// the element out of the dict first and destroy it afterwards, so that code
// finds the dict consistent (and may even modify it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "rcgc/object.hpp"
#include "rcgc/ref.hpp"

namespace rcgc {

namespace detail {

template <class T>
concept Traversable = requires(const T& t, Visitor& v) { t.traverse(v); };

// What a container's traverse does with one of its keys or values.
template <class T>
void visit_member(Visitor& visit, const T& x) {
  if constexpr (IsRef<T>::value) {
    visit(x);
  } else if constexpr (Traversable<T>) {
    x.traverse(visit);
  } else if constexpr (std::ranges::contiguous_range<T>) {
    if constexpr (IsRef<std::remove_cvref_t<std::ranges::range_value_t<T>>>::value) visit.each(x);
  }
}

}  // namespace detail

template <class K, class V, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>>
class Dict {
 public:
  using key_type = K;
  using mapped_type = V;
  using value_type = std::pair<const K, V>;
  using size_type = std::size_t;
  using hasher = Hash;
  using key_equal = KeyEqual;
  using reference = value_type&;
  using const_reference = const value_type&;

 private:
  struct Entry {
    std::size_t hash;
    bool live;  // false: erased, or being constructed
    alignas(value_type) unsigned char storage[sizeof(value_type)];
    value_type& kv() noexcept { return *std::launder(reinterpret_cast<value_type*>(storage)); }
    const value_type& kv() const noexcept {
      return *std::launder(reinterpret_cast<const value_type*>(storage));
    }
  };

  template <bool Const>
  class Iter {
    using Owner = std::conditional_t<Const, const Dict, Dict>;

   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Dict::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;

    Iter() noexcept = default;
    Iter(Owner* d, std::size_t at) noexcept : d_(d), at_(at) { skip(); }
    // iterator -> const_iterator.
    template <bool C = Const, class = std::enable_if_t<C>>
    Iter(const Iter<false>& other) noexcept : d_(other.d_), at_(other.at_) {}  // NOLINT

    reference operator*() const noexcept { return d_->entries_[at_].kv(); }
    pointer operator->() const noexcept { return &d_->entries_[at_].kv(); }
    Iter& operator++() noexcept {
      ++at_;
      skip();
      return *this;
    }
    Iter operator++(int) noexcept {
      Iter old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iter& a, const Iter& b) noexcept { return a.at_ == b.at_; }

   private:
    friend class Dict;
    template <bool>
    friend class Iter;
    void skip() noexcept {
      while (at_ < d_->used_ && !d_->entries_[at_].live) ++at_;
    }
    Owner* d_ = nullptr;
    std::size_t at_ = 0;
  };

 public:
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  Dict() noexcept(std::is_nothrow_default_constructible_v<Hash> &&
                  std::is_nothrow_default_constructible_v<KeyEqual>) = default;
  explicit Dict(const Hash& hash, const KeyEqual& eq = KeyEqual()) : hash_(hash), eq_(eq) {}
  // (The constructors below delegate: if their body throws, the destructor
  // frees what was inserted.)
  // A key given twice keeps its first place and its last value.
  Dict(std::initializer_list<value_type> init) : Dict() {
    reserve(init.size());
    for (const value_type& kv : init) insert_or_assign(kv.first, kv.second);
  }
  Dict(const Dict& other) : Dict(other.hash_, other.eq_) {
    reserve(other.size_);
    for (std::size_t i = 0; i < other.used_; ++i) {
      const Entry& e = other.entries_[i];
      if (e.live) append(Probe{free_slot(e.hash), kNone}, e.hash, e.kv().first, e.kv().second);
    }
  }
  Dict(Dict&& other) noexcept
      : entries_(std::exchange(other.entries_, nullptr)),
        index_(std::exchange(other.index_, nullptr)),
        capacity_(std::exchange(other.capacity_, 0)),
        used_(std::exchange(other.used_, 0)),
        size_(std::exchange(other.size_, 0)),
        mask_(std::exchange(other.mask_, 0)),
        hash_(other.hash_),
        eq_(other.eq_) {}
  Dict& operator=(const Dict& other) {
    if (this != &other) {
      Dict copy(other);
      swap(copy);
    }  // the old contents die here, the dict already consistent
    return *this;
  }
  Dict& operator=(Dict&& other) noexcept {
    if (this != &other) {
      Dict old(std::move(*this));
      swap(other);
    }
    return *this;
  }
  ~Dict() { clear(); }

  void swap(Dict& other) noexcept {
    using std::swap;
    swap(entries_, other.entries_);
    swap(index_, other.index_);
    swap(capacity_, other.capacity_);
    swap(used_, other.used_);
    swap(size_, other.size_);
    swap(mask_, other.mask_);
    swap(hash_, other.hash_);
    swap(eq_, other.eq_);
  }
  friend void swap(Dict& a, Dict& b) noexcept { a.swap(b); }

  size_type size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // Entries the array holds before the next resize (live and erased).
  size_type capacity() const noexcept { return capacity_; }

  iterator begin() noexcept { return iterator(this, 0); }
  iterator end() noexcept { return iterator(this, used_); }
  const_iterator begin() const noexcept { return const_iterator(this, 0); }
  const_iterator end() const noexcept { return const_iterator(this, used_); }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  iterator find(const K& key) { return iterator(this, find_entry(key)); }
  const_iterator find(const K& key) const { return const_iterator(this, find_entry(key)); }
  bool contains(const K& key) const { return find_entry(key) != used_; }
  size_type count(const K& key) const { return contains(key) ? 1 : 0; }
  V& at(const K& key) {
    const std::size_t at = find_entry(key);
    if (at == used_) throw std::out_of_range("rcgc::Dict::at: no such key");
    return entries_[at].kv().second;
  }
  const V& at(const K& key) const { return const_cast<Dict*>(this)->at(key); }
  // Python's d.get(key): the value, or null.
  V* get(const K& key) {
    const std::size_t at = find_entry(key);
    return at == used_ ? nullptr : &entries_[at].kv().second;
  }
  const V* get(const K& key) const { return const_cast<Dict*>(this)->get(key); }
  V& operator[](const K& key) { return try_emplace(key).first->second; }
  V& operator[](K&& key) { return try_emplace(std::move(key)).first->second; }

  // Inserts (key, V(args...)) unless the key is there; the element and
  // whether it was inserted.
  template <class KK, class... Args>
  std::pair<iterator, bool> try_emplace(KK&& key, Args&&... args) {
    const std::size_t h = hash_(key);
    Probe p = probe(key, h);
    if (p.entry != kNone) return {iterator(this, p.entry), false};
    const std::size_t at = append(p, h, std::forward<KK>(key), std::forward<Args>(args)...);
    return {iterator(this, at), true};
  }
  template <class KK, class VV>
  std::pair<iterator, bool> emplace(KK&& key, VV&& value) {
    return try_emplace(std::forward<KK>(key), std::forward<VV>(value));
  }
  std::pair<iterator, bool> insert(const value_type& kv) { return try_emplace(kv.first, kv.second); }
  // d[key] = value, keeping the key's place when it is there.
  template <class KK, class VV>
  std::pair<iterator, bool> insert_or_assign(KK&& key, VV&& value) {
    const std::size_t h = hash_(key);
    Probe p = probe(key, h);
    if (p.entry != kNone) {
      entries_[p.entry].kv().second = std::forward<VV>(value);
      return {iterator(this, p.entry), false};
    }
    const std::size_t at = append(p, h, std::forward<KK>(key), std::forward<VV>(value));
    return {iterator(this, at), true};
  }

  // Removes the key; 1 if it was there. The element is destroyed after the
  // dict no longer holds it.
  size_type erase(const K& key) {
    const std::size_t h = hash_(key);
    Probe p = probe(key, h);
    if (p.entry == kNone) return 0;
    take(p.slot, p.entry);  // the value taken dies here, the dict consistent
    return 1;
  }
  iterator erase(const_iterator pos) {
    const std::size_t at = pos.at_;
    const std::size_t slot = slot_of(at);
    take(slot, at);
    return iterator(this, at + 1);
  }
  // Python's d.pop(key): the value taken out, or nothing.
  std::optional<V> pop(const K& key) {
    const std::size_t h = hash_(key);
    Probe p = probe(key, h);
    if (p.entry == kNone) return std::nullopt;
    return take(p.slot, p.entry);
  }

  // Empties the dict; its elements are destroyed once it is empty.
  void clear() noexcept {
    Entry* e = std::exchange(entries_, nullptr);
    std::uint32_t* ix = std::exchange(index_, nullptr);
    const std::size_t used = std::exchange(used_, 0), cap = std::exchange(capacity_, 0);
    mask_ = 0;
    size_ = 0;
    destroy_storage(e, used, ix, cap);
  }
  // Room for n elements without a resize.
  void reserve(size_type n) {
    if (n > capacity_ - (used_ - size_)) resize(n);
  }

  // Visits the Refs among keys and values; the collector's clear mode
  // empties the dict instead (it breaks a cycle as CPython's dict_tp_clear).
  void traverse(Visitor& visit) const {
    if (visit.clearing()) {
      const_cast<Dict*>(this)->clear();
      return;
    }
    for (std::size_t i = 0; i < used_; ++i) {
      const Entry& e = entries_[i];
      if (!e.live) continue;
      detail::visit_member(visit, e.kv().first);
      detail::visit_member(visit, e.kv().second);
    }
  }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  // Index slots: 0 empty, 1 erased (dummy), i + 2 entry i.
  static constexpr std::uint32_t kEmpty = 0, kDummy = 1;
  static constexpr std::size_t kMinTable = 8;
  static constexpr std::size_t kMaxEntries = (std::size_t{1} << 31) - 2;

  struct Probe {
    std::size_t slot;   // where the key is, or where it would go
    std::size_t entry;  // its entry, or kNone
  };

  static std::size_t usable(std::size_t table) noexcept { return table * 2 / 3; }
  static std::size_t next_slot(std::size_t i, std::size_t& perturb, std::size_t mask) noexcept {
    perturb >>= 5;
    return (i * 5 + 1 + perturb) & mask;
  }

  template <class KK>
  Probe probe(const KK& key, std::size_t h) const {
    if (index_ == nullptr) return {kNone, kNone};
    std::size_t i = h & mask_, perturb = h, dummy = kNone;
    for (;;) {
      const std::uint32_t s = index_[i];
      if (s == kEmpty) return {dummy != kNone ? dummy : i, kNone};
      if (s == kDummy) {
        if (dummy == kNone) dummy = i;
      } else {
        const Entry& e = entries_[s - 2];
        if (e.hash == h && eq_(e.kv().first, key)) return {i, s - 2};
      }
      i = next_slot(i, perturb, mask_);
    }
  }
  std::size_t find_entry(const K& key) const {
    if (size_ == 0) return used_;
    const Probe p = probe(key, hash_(key));
    return p.entry == kNone ? used_ : p.entry;
  }
  // The first slot of hash h's probe sequence whose value satisfies `stop`.
  template <class Stop>
  std::size_t first_slot(std::size_t h, Stop stop) const noexcept {
    std::size_t i = h & mask_, perturb = h;
    while (!stop(index_[i])) i = next_slot(i, perturb, mask_);
    return i;
  }
  // The slot that holds entry `at` (known to be live).
  std::size_t slot_of(std::size_t at) const noexcept {
    return first_slot(entries_[at].hash, [at](std::uint32_t s) { return s == at + 2; });
  }
  // A free slot for hash h in the current table (the key is known absent).
  std::size_t free_slot(std::size_t h) const noexcept {
    return first_slot(h, [](std::uint32_t s) { return s <= kDummy; });
  }

  // Constructs the element at the end of the array and indexes it. A resize
  // first if the array is full; nothing is indexed if the constructor
  // throws.
  template <class KK, class... Args>
  std::size_t append(Probe p, std::size_t h, KK&& key, Args&&... args) {
    if (used_ == capacity_) {
      resize(size_ + 1);
      p.slot = free_slot(h);
    }
    Entry& e = entries_[used_];
    e.hash = h;
    e.live = false;
    ::new (static_cast<void*>(e.storage)) value_type(
        std::piecewise_construct, std::forward_as_tuple(std::forward<KK>(key)),
        std::forward_as_tuple(std::forward<Args>(args)...));
    e.live = true;
    index_[p.slot] = static_cast<std::uint32_t>(used_ + 2);
    ++size_;
    return used_++;
  }

  // Takes entry `at` out of the dict and returns its value. The key is
  // copied out first (it is const; for a Ref key the copy left behind is
  // not its last reference), the value moved (copied if its move may
  // throw); if either throws, nothing has changed. The key dies as this
  // returns, the value in the caller: destructors run with the dict
  // consistent, and may even modify it.
  V take(std::size_t slot, std::size_t at) {
    Entry& e = entries_[at];
    [[maybe_unused]] const K key(e.kv().first);
    V value(std::move_if_noexcept(e.kv().second));
    index_[slot] = kDummy;
    e.live = false;
    --size_;
    e.kv().~value_type();
    return value;
  }

  // A new table with room for at least n live elements (and half as many
  // again), the live entries compacted into it in order.
  void resize(std::size_t n) {
    if (n > kMaxEntries) throw std::length_error("rcgc::Dict: too many elements");
    const std::size_t want = n + n / 2 + 1;
    std::size_t table = kMinTable;
    while (usable(table) < want) table *= 2;
    const std::size_t cap = usable(table);
    std::unique_ptr<std::uint32_t[]> ix(new std::uint32_t[table]());
    Entry* fresh = std::allocator<Entry>().allocate(cap);
    // Each key is copied (it is const), each value moved, or copied if its
    // move may throw.
    std::size_t moved = 0;
    try {
      for (std::size_t i = 0; i < used_; ++i) {
        Entry& from = entries_[i];
        if (!from.live) continue;
        Entry& to = fresh[moved];
        to.hash = from.hash;
        ::new (static_cast<void*>(to.storage))
            value_type(std::piecewise_construct, std::forward_as_tuple(std::as_const(from.kv().first)),
                       std::forward_as_tuple(std::move_if_noexcept(from.kv().second)));
        to.live = true;
        ++moved;
      }
    } catch (...) {
      // A key's copy threw: the values moved so far go back where they were
      // (a move that cannot throw; a value whose move may throw was copied).
      std::size_t j = 0;
      for (std::size_t i = 0; j < moved; ++i) {
        if (!entries_[i].live) continue;
        if constexpr (std::is_nothrow_move_constructible_v<V>) {
          V* v = std::addressof(entries_[i].kv().second);
          v->~V();
          ::new (static_cast<void*>(v)) V(std::move(fresh[j].kv().second));
        }
        fresh[j++].kv().~value_type();
      }
      std::allocator<Entry>().deallocate(fresh, cap);
      throw;
    }
    Entry* old = std::exchange(entries_, fresh);
    std::uint32_t* old_ix = std::exchange(index_, ix.release());
    const std::size_t old_used = std::exchange(used_, moved);
    const std::size_t old_cap = std::exchange(capacity_, cap);
    mask_ = table - 1;
    for (std::size_t i = 0; i < moved; ++i)
      index_[free_slot(entries_[i].hash)] = static_cast<std::uint32_t>(i + 2);
    destroy_storage(old, old_used, old_ix, old_cap);
  }

  static void destroy_storage(Entry* e, std::size_t used, std::uint32_t* ix,
                              std::size_t cap) noexcept {
    for (std::size_t i = 0; i < used; ++i)
      if (e[i].live) e[i].kv().~value_type();
    if (e != nullptr) std::allocator<Entry>().deallocate(e, cap);
    delete[] ix;
  }

  Entry* entries_ = nullptr;
  std::uint32_t* index_ = nullptr;
  std::size_t capacity_ = 0;  // entries the array has room for
  std::size_t used_ = 0;      // entries written, live or erased
  std::size_t size_ = 0;      // live entries
  std::size_t mask_ = 0;      // table size - 1
  [[no_unique_address]] Hash hash_{};
  [[no_unique_address]] KeyEqual eq_{};
};

}  // namespace rcgc
