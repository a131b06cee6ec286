// rcgc::Dict: Python dict's order and semantics, exception safety,
// re-entrant destruction, and its traversal by the collector.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fixture.hpp"
#include "rcgc/dict.hpp"

using rcgc::Dict;
using rcgc::Ref;
using rcgc_test::Blob;
using rcgc_test::live_nodes;
namespace gc = rcgc::gc;

namespace {

template <class D>
std::vector<typename D::key_type> keys_of(const D& d) {
  std::vector<typename D::key_type> out;
  for (const auto& [k, v] : d) out.push_back(k);
  return out;
}

using Dsi = Dict<std::string, int>;

TEST(Dict, InsertionOrderAsPython) {
  // d = {'a': 1, 'b': 2, 'c': 3}; d['b'] = 5; del d['a']; d['a'] = 7
  // list(d.items()) == [('b', 5), ('c', 3), ('a', 7)]
  Dsi d{{"a", 1}, {"b", 2}, {"c", 3}};
  d["b"] = 5;
  EXPECT_EQ(d.erase("a"), 1u);
  d["a"] = 7;
  std::vector<std::pair<std::string, int>> items(d.begin(), d.end());
  EXPECT_EQ(items, (std::vector<std::pair<std::string, int>>{{"b", 5}, {"c", 3}, {"a", 7}}));
  EXPECT_EQ(d.size(), 3u);
}

TEST(Dict, LookupsAndTheirMisses) {
  Dsi d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.find("x"), d.end());
  EXPECT_EQ(d.get("x"), nullptr);
  EXPECT_FALSE(d.contains("x"));
  EXPECT_THROW((void)d.at("x"), std::out_of_range);
  EXPECT_EQ(d.erase("x"), 0u);
  EXPECT_FALSE(d.pop("x").has_value());

  auto [it, inserted] = d.try_emplace("x", 1);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(it->second, 1);
  auto [it2, again] = d.try_emplace("x", 2);  // there: not replaced
  EXPECT_FALSE(again);
  EXPECT_EQ(it2->second, 1);
  EXPECT_FALSE(d.insert_or_assign("x", 3).second);
  EXPECT_EQ(d.at("x"), 3);
  EXPECT_EQ(*d.get("x"), 3);
  EXPECT_EQ(d.count("x"), 1u);
  EXPECT_EQ(d["y"], 0);  // operator[] inserts a value-initialised one
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.pop("x"), std::optional<int>(3));
  EXPECT_EQ(keys_of(d), std::vector<std::string>{"y"});
  const Dsi& c = d;
  EXPECT_EQ(c.at("y"), 0);
  EXPECT_NE(c.find("y"), c.end());
}

TEST(Dict, EraseByIteratorGoesOn) {
  Dict<int, int> d;
  for (int i = 0; i < 10; ++i) d[i] = i * i;
  for (auto it = d.begin(); it != d.end();) it = (it->first % 3 == 0) ? d.erase(it) : std::next(it);
  EXPECT_EQ(keys_of(d), (std::vector<int>{1, 2, 4, 5, 7, 8}));
  Dict<int, int>::const_iterator ci = d.begin();  // iterator -> const_iterator
  EXPECT_EQ(ci->second, 1);
}

// An LRU's pattern: a fixed number of keys, the oldest erased as each new
// one comes. The holes are compacted by resizes sized by the live entries,
// so the array does not grow with the number of operations.
TEST(Dict, ChurnDoesNotGrow) {
  Dict<long, long> d;
  constexpr long kLive = 1000;
  long oldest = 0;
  std::size_t most = 0;
  for (long k = 0; k < 200 * kLive; ++k) {
    if (static_cast<long>(d.size()) == kLive) {
      ASSERT_EQ(d.begin()->first, oldest);  // the oldest is first
      ASSERT_EQ(d.erase(oldest), 1u);
      ++oldest;
    }
    d[k] = -k;
    most = std::max(most, d.capacity());
  }
  EXPECT_EQ(d.size(), static_cast<std::size_t>(kLive));
  EXPECT_LE(most, 4u * kLive);
  long expect = oldest;
  for (const auto& [k, v] : d) {
    ASSERT_EQ(k, expect++);
    ASSERT_EQ(v, -k);
  }
}

// Every key in one of 4 probe chains: probing, erased slots and their reuse.
struct BadHash {
  std::size_t operator()(int k) const noexcept { return static_cast<std::size_t>(k) & 3; }
};

TEST(Dict, RandomOperationsMatchAModel) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    std::mt19937 rng(seed);
    Dict<int, int, BadHash> d;
    std::vector<std::pair<int, int>> model;  // insertion order
    auto at = [&](int k) {
      for (std::size_t i = 0; i < model.size(); ++i)
        if (model[i].first == k) return i;
      return model.size();
    };
    for (int step = 0; step < 20000; ++step) {
      const int k = static_cast<int>(rng() % 300);
      const int v = static_cast<int>(rng() % 1000);
      switch (rng() % 5) {
        case 0:
        case 1: {
          d.insert_or_assign(k, v);
          const std::size_t i = at(k);
          if (i == model.size()) model.emplace_back(k, v);
          else model[i].second = v;
          break;
        }
        case 2: {
          const std::size_t i = at(k);
          ASSERT_EQ(d.erase(k), i == model.size() ? 0u : 1u);
          if (i != model.size()) model.erase(model.begin() + static_cast<long>(i));
          break;
        }
        case 3: {
          const std::size_t i = at(k);
          const int* got = d.get(k);
          ASSERT_EQ(got != nullptr, i != model.size());
          if (got) {
            ASSERT_EQ(*got, model[i].second);
          }
          break;
        }
        default:
          if (rng() % 200 == 0) {
            d.clear();
            model.clear();
          }
      }
      ASSERT_EQ(d.size(), model.size());
    }
    std::vector<std::pair<int, int>> items(d.begin(), d.end());
    EXPECT_EQ(items, model) << "seed " << seed;
  }
}

// A hash or a constructor that throws leaves the dict as it was.
struct Boom : std::runtime_error {
  Boom() : std::runtime_error("boom") {}
};
struct ThrowingHash {
  std::size_t operator()(int k) const {
    if (k < 0) throw Boom();
    return static_cast<std::size_t>(k);
  }
};
struct Picky {
  int v;
  explicit Picky(int x) : v(x) {
    if (x < 0) throw Boom();
  }
};

TEST(Dict, ThrowingHashOrConstructorChangesNothing) {
  Dict<int, int, ThrowingHash> h;
  h[1] = 1;
  EXPECT_THROW(h[-1] = 2, Boom);
  EXPECT_THROW((void)h.erase(-1), Boom);
  EXPECT_EQ(h.size(), 1u);

  Dict<int, Picky> d;
  // Fill the array exactly, so the failing insertion resizes first.
  int k = 0;
  while (d.size() < d.capacity() || d.empty()) d.try_emplace(k, k), ++k;
  const std::size_t n = d.size();
  EXPECT_THROW(d.try_emplace(1000, -1), Boom);
  EXPECT_EQ(d.size(), n);
  EXPECT_FALSE(d.contains(1000));
  int expect = 0;
  for (const auto& [key, p] : d) {
    EXPECT_EQ(key, expect);
    EXPECT_EQ(p.v, expect++);
  }
  d.try_emplace(1000, 5);  // and it still works
  EXPECT_EQ(d.at(1000).v, 5);
}

// A key whose move may throw is copied by a resize; a copy that throws
// leaves the old array in place.
int g_copies_left = -1;
struct FragileKey {
  int k;
  explicit FragileKey(int x) : k(x) {}
  FragileKey(const FragileKey& o) : k(o.k) {
    if (g_copies_left == 0) throw Boom();
    if (g_copies_left > 0) --g_copies_left;
  }
  FragileKey(FragileKey&& o) noexcept(false) : FragileKey(static_cast<const FragileKey&>(o)) {}
  FragileKey& operator=(const FragileKey&) = default;
  bool operator==(const FragileKey& o) const noexcept { return k == o.k; }
};
struct FragileHash {
  std::size_t operator()(const FragileKey& f) const noexcept { return static_cast<std::size_t>(f.k); }
};

TEST(Dict, ResizeThatThrowsKeepsTheOldArray) {
  Dict<FragileKey, std::string, FragileHash> d;
  int k = 0;
  while (d.size() < d.capacity() || d.empty()) d.try_emplace(FragileKey(k), std::to_string(k)), ++k;
  const std::size_t n = d.size();
  g_copies_left = 2;  // the resize's third copy throws
  EXPECT_THROW(d.try_emplace(FragileKey(1000), "x"), Boom);
  g_copies_left = -1;
  ASSERT_EQ(d.size(), n);
  int expect = 0;
  for (const auto& [key, v] : d) {
    EXPECT_EQ(key.k, expect);
    EXPECT_EQ(v, std::to_string(expect++));
  }
  EXPECT_FALSE(d.contains(FragileKey(1000)));
}

// With a key whose move may throw (std::string's copy may), values are
// still moved, not copied, by resizes and erasures.
struct CopyCounter {
  static inline int copies = 0;
  CopyCounter() = default;
  CopyCounter(const CopyCounter&) { ++copies; }
  CopyCounter(CopyCounter&&) noexcept {}
  CopyCounter& operator=(const CopyCounter&) = default;
};

TEST(Dict, ValuesAreMovedNotCopied) {
  CopyCounter::copies = 0;
  Dict<std::string, CopyCounter> d;
  for (int i = 0; i < 1000; ++i) d.try_emplace("key number " + std::to_string(i));  // resizes
  for (int i = 0; i < 1000; i += 2) d.erase("key number " + std::to_string(i));
  EXPECT_TRUE(d.pop("key number 1").has_value());
  d.reserve(5000);  // a resize of a dict with holes
  EXPECT_EQ(d.size(), 499u);
  EXPECT_EQ(CopyCounter::copies, 0);
}

// Erasing copies the key out first: when that copy throws, the element
// is still there, value and all (pop once moved the value out before it).
TEST(Dict, ErasureWhoseKeyCopyThrowsChangesNothing) {
  Dict<FragileKey, std::string, FragileHash> d;
  d.try_emplace(FragileKey(1), "one");
  d.try_emplace(FragileKey(2), "two");
  g_copies_left = 0;
  EXPECT_THROW((void)d.pop(FragileKey(1)), Boom);
  EXPECT_THROW((void)d.erase(FragileKey(2)), Boom);
  g_copies_left = -1;
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.at(FragileKey(1)), "one");
  EXPECT_EQ(d.at(FragileKey(2)), "two");
  EXPECT_EQ(d.pop(FragileKey(1)), std::optional<std::string>("one"));
}

// Copies and moves: the copy owns its own references.
TEST(Dict, CopyAndMove) {
  rcgc::Heap heap;
  auto scope = heap.enter();
  Ref<Blob> b = rcgc::make<Blob>("b");
  Dict<int, Ref<Blob>> d;
  for (int i = 0; i < 50; ++i) d[i] = b;
  for (int i = 0; i < 50; i += 2) d.erase(i);
  EXPECT_EQ(rcgc::getrefcount(b), 26u);
  Dict<int, Ref<Blob>> c = d;
  EXPECT_EQ(rcgc::getrefcount(b), 51u);
  EXPECT_EQ(keys_of(c), keys_of(d));
  Dict<int, Ref<Blob>> m = std::move(d);
  EXPECT_TRUE(d.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(rcgc::getrefcount(b), 51u);
  c = m;
  EXPECT_EQ(rcgc::getrefcount(b), 51u);
  m = Dict<int, Ref<Blob>>{};
  c.clear();
  EXPECT_EQ(rcgc::getrefcount(b), 1u);
}

// The element's destructor runs after the dict no longer holds it, and may
// use the dict, even insert into it.
struct Watcher;
Dict<int, std::unique_ptr<Watcher>>* g_watched = nullptr;
std::vector<std::pair<int, std::size_t>> g_seen;  // (key, size) at each death
struct Watcher {
  int key;
  explicit Watcher(int k) : key(k) {}
  ~Watcher() {
    g_seen.emplace_back(key, g_watched->size());
    EXPECT_FALSE(g_watched->contains(key));
    if (key == 1) g_watched->try_emplace(100, std::make_unique<Watcher>(100));
  }
};

TEST(Dict, DestructorsRunWithTheDictConsistent) {
  Dict<int, std::unique_ptr<Watcher>> d;
  g_watched = &d;
  for (int i = 0; i < 4; ++i) d.try_emplace(i, std::make_unique<Watcher>(i));
  d.erase(1);  // its destructor inserts 100
  EXPECT_EQ(g_seen, (std::vector<std::pair<int, std::size_t>>{{1, 3}}));
  EXPECT_EQ(keys_of(d), (std::vector<int>{0, 2, 3, 100}));
  (void)d.pop(2);
  d.clear();
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(g_seen.size(), 5u);
  for (std::size_t i = 2; i < g_seen.size(); ++i) EXPECT_EQ(g_seen[i].second, 0u);
  g_watched = nullptr;
  g_seen.clear();
}

// The collector sees a Dict's references through traverse().
std::vector<std::size_t> g_by_ref_at_death;  // by_ref.size() as each Holder dies
struct Holder : rcgc::Object {
  Dict<int, Ref<rcgc::Object>> by_int;
  Dict<Ref<rcgc::Object>, int> by_ref;
  Dict<int, std::vector<Ref<rcgc::Object>>> lists;
  Dict<int, Dict<int, Ref<rcgc::Object>>> nested;
  Holder() { ++live_nodes; }
  ~Holder() override {
    --live_nodes;
    g_by_ref_at_death.push_back(by_ref.size());
  }
  // No clear(): Object::clear()'s default breaks the cycles, through
  // traverse().
  void traverse(rcgc::Visitor& visit) const override {
    by_int.traverse(visit);
    by_ref.traverse(visit);
    lists.traverse(visit);
    nested.traverse(visit);
  }
};

class DictGc : public rcgc_test::HeapTest {};

TEST_F(DictGc, ReferentsAreTheKeysAndValuesThatAreRefs) {
  Ref<Holder> h = rcgc::make<Holder>();
  Ref<Blob> a = rcgc::make<Blob>("a"), b = rcgc::make<Blob>("b"), c = rcgc::make<Blob>("c");
  h->by_int[1] = a;
  h->by_int[2] = nullptr;  // not shown
  h->by_ref[b] = 7;
  h->lists[1] = {a, c};
  h->nested[1][5] = c;
  h->by_int.erase(3);
  auto refs = gc::get_referents(h);
  std::multiset<const rcgc::Object*> got;
  for (const auto& r : refs) got.insert(r.get());
  EXPECT_EQ(got, (std::multiset<const rcgc::Object*>{a.get(), b.get(), a.get(), c.get(), c.get()}));
}

TEST_F(DictGc, CycleThroughValuesIsCollected) {
  {
    Ref<Holder> h = rcgc::make<Holder>();
    h->by_int[1] = h;
    h->nested[2][3] = h;
  }
  EXPECT_EQ(live_nodes, 1);
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(live_nodes, 0);
}

// A cycle whose only link is a key: the default clear() cannot reset a key
// one by one; the Dict empties itself (CPython: dict_tp_clear). The
// collector clears one of the two; the other dies of it, its dict intact.
TEST_F(DictGc, CycleThroughAKeyIsCollected) {
  g_by_ref_at_death.clear();
  {
    Ref<Holder> h = rcgc::make<Holder>();
    Ref<Holder> g = rcgc::make<Holder>();
    h->by_ref[g] = 1;
    g->by_ref[h] = 2;
    g->lists[0] = {rcgc::make<Blob>("freed with the cycle")};
  }
  EXPECT_EQ(live_nodes, 3);
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(live_nodes, 0);
  std::sort(g_by_ref_at_death.begin(), g_by_ref_at_death.end());
  EXPECT_EQ(g_by_ref_at_death, (std::vector<std::size_t>{0, 1}));
}

// A reachable Dict keeps what it references, whatever the collection.
TEST_F(DictGc, ReachableEntriesSurvive) {
  Ref<Holder> h = rcgc::make<Holder>();
  for (int i = 0; i < 1000; ++i) {
    Ref<Holder> inner = rcgc::make<Holder>();
    inner->by_int[0] = h;  // cycles back to the root
    h->by_int[i] = inner;
  }
  for (int i = 0; i < 1000; i += 3) h->by_int.erase(i);
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(live_nodes, 1 + 666);
  h->by_int.clear();  // the inner ones are in cycles only through h: none now
  EXPECT_EQ(live_nodes, 1);
  h = nullptr;
  EXPECT_EQ(live_nodes, 0);
}

}  // namespace
