// Objects whose references are fixed (Object::references_fixed): a
// collection that finds such an object holding no reference to a tracked
// object stops tracking it, as CPython does its tuples (untrack_tuples).
#include <random>
#include <vector>

#include "fixture.hpp"

using rcgc::Ref;
using rcgc_test::live_nodes;
using rcgc_test::Node;
namespace gc = rcgc::gc;

namespace {

// Python's tuple: references given when it is made, never changed.
struct Tuple : rcgc::Object {
  const std::vector<Ref<rcgc::Object>> items;
  bool fixed;
  static inline int finalized = 0;
  explicit Tuple(std::vector<Ref<rcgc::Object>> i, bool is_fixed = true)
      : items(std::move(i)), fixed(is_fixed) {
    ++live_nodes;
  }
  ~Tuple() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
  bool references_fixed() const noexcept override { return fixed; }
  void clear() override {}  // nothing to break: its references cannot form a cycle
};

// An untracked object (no traverse): Python's int or str.
struct Atom : rcgc::Object {
  int value;
  explicit Atom(int v) : value(v) { ++live_nodes; }
  ~Atom() override { --live_nodes; }
};

// A fixed node with a finalizer, to see it run.
struct FinalTuple : Tuple {
  using Tuple::Tuple;
  void finalize() override { ++finalized; }
};

Ref<Tuple> tuple(std::vector<Ref<rcgc::Object>> items, bool fixed = true) {
  return rcgc::make<Tuple>(std::move(items), fixed);
}

// A tree of tuples made bottom-up (children first, as Python evaluates
// ((a, b), (c, d))): 2^(depth+1) - 1 of them.
Ref<Tuple> tree(int depth) {
  if (depth == 0) return tuple({rcgc::make<Atom>(depth)});
  Ref<Tuple> left = tree(depth - 1);
  Ref<Tuple> right = tree(depth - 1);
  return tuple({left, right});
}

bool tracked(const Ref<Tuple>& t) { return gc::is_tracked(t); }

std::size_t count_tracked(const Ref<Tuple>& t) {
  std::size_t n = tracked(t) ? 1 : 0;
  for (const auto& item : t->items)
    if (auto sub = rcgc::ref_cast<Tuple>(item)) n += count_tracked(sub);
  return n;
}

using Untrack = rcgc_test::HeapTest;

TEST_F(Untrack, FixedObjectOfAtomsLeavesTheListsInAYoungCollection) {
  Ref<Tuple> t = tuple({rcgc::make<Atom>(1), rcgc::make<Atom>(2)});
  Ref<Tuple> empty = tuple({});
  EXPECT_TRUE(tracked(t));
  EXPECT_TRUE(tracked(empty));
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_FALSE(tracked(t));
  EXPECT_FALSE(tracked(empty));
  EXPECT_TRUE(gc::get_objects().empty());
  EXPECT_EQ(rcgc::getrefcount(t), 1u);
  heap().verify();
  // Reference counting frees it as before.
  EXPECT_EQ(live_nodes, 4);
  t = nullptr;
  empty = nullptr;
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, AnObjectWithoutThePromiseStaysTracked) {
  Ref<Tuple> t = tuple({rcgc::make<Atom>(1)}, /*fixed=*/false);
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(t));
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_TRUE(tracked(t));
  EXPECT_EQ(gc::get_objects().size(), 1u);
}

TEST_F(Untrack, AFixedObjectReferencingATrackedOneStaysTracked) {
  Ref<Node> young = rcgc::make<Node>();
  Ref<Tuple> t = tuple({young});
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(t));
  // The node now older than what references it, in each collection.
  Ref<Tuple> u = tuple({young});
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(u));
  EXPECT_EQ(gc::collect(1), 0u);
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_TRUE(tracked(t));
  EXPECT_TRUE(tracked(u));
  // Still part of cycles the collector must see.
  young->other = t;
  young = nullptr;
  t = nullptr;
  u = nullptr;  // freed now: it is in no cycle
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, AFullCollectionUntracksToo) {
  Ref<Tuple> t = tuple({rcgc::make<Atom>(1)});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_FALSE(tracked(t));
  EXPECT_TRUE(gc::get_objects().empty());
  heap().verify();
}

TEST_F(Untrack, AFrozenReferentKeepsItTracked) {
  Ref<Node> frozen = rcgc::make<Node>();
  gc::freeze();
  Ref<Tuple> t = tuple({frozen});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(t));
  // Unfrozen, the node can close a cycle through the tuple: the collector
  // must still see the tuple's reference to find it.
  gc::unfreeze();
  frozen->other = t;
  frozen = nullptr;
  t = nullptr;
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, ATreeMadeBottomUpIsUntrackedInOneCollection) {
  constexpr int kDepth = 6;
  constexpr std::size_t kNodes = (2u << kDepth) - 1;
  Ref<Tuple> first = tree(kDepth);
  ASSERT_EQ(count_tracked(first), kNodes);
  // The first collection of the generation subtracts, noting the tuples in
  // the list's order, children before parents; checked in that order after,
  // a parent finds its children untracked already.
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_EQ(count_tracked(first), 0u);
  // It found the generation ordered (every reference backwards), so the
  // next one checks the order alone, and untracks as it walks.
  Ref<Tuple> second = tree(kDepth);
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_EQ(count_tracked(second), 0u);
  EXPECT_TRUE(gc::get_objects().empty());
  heap().verify();
  first = nullptr;
  second = nullptr;
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, GarbageHoldingAFixedObjectIsCollectedWithIt) {
  FinalTuple::finalized = 0;
  {
    Ref<Node> a = rcgc::make<Node>(), b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
    a->other = rcgc::make<FinalTuple>(std::vector<Ref<rcgc::Object>>{rcgc::make<Atom>(7)});
  }
  EXPECT_EQ(live_nodes, 4);
  // The tuple is garbage with the cycle: collected (and finalized) in the
  // same collection, as CPython's, not untracked.
  EXPECT_EQ(gc::collect(0), 3u);
  EXPECT_EQ(Tuple::finalized, 1);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, AnUntrackedObjectStillDiesByReferenceCountingWithItsHooks) {
  Tuple::finalized = 0;
  Ref<Tuple> t = rcgc::make<FinalTuple>(std::vector<Ref<rcgc::Object>>{});
  rcgc::WeakRef<Tuple> w(t);
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_FALSE(tracked(t));
  EXPECT_TRUE(w.lock());
  t = nullptr;
  EXPECT_EQ(Tuple::finalized, 1);
  EXPECT_FALSE(w.lock());
  EXPECT_EQ(live_nodes, 0);
}

// Random heaps of mutable nodes and tuples, tuples made from what exists
// (so they reference older objects, possibly untracked tuples), nodes
// rewired at random, collections of every generation in between: no object
// reachable from the roots is ever freed, and a full collection leaves
// nothing unreachable.
TEST_F(Untrack, RandomHeapsAgainstReachability) {
  std::mt19937 rng(42);
  std::size_t untracked_seen = 0;  // tuples found untracked at the checks
  for (int round = 0; round < 30; ++round) {
    rcgc_test::alive_ids.clear();
    std::vector<Ref<rcgc::Object>> roots;
    std::vector<rcgc::Object*> all;  // every object made (alive or not)
    std::vector<int> ids;
    int next_id = 0;
    auto pick = [&]() -> Ref<rcgc::Object> {
      if (all.empty() || rng() % 5 == 0) return rcgc::make<Atom>(0);
      for (int tries = 0; tries < 4; ++tries) {
        const std::size_t i = rng() % all.size();
        if (rcgc_test::alive_ids.count(ids[i])) return Ref<rcgc::Object>(all[i]);
      }
      return nullptr;
    };
    struct Id : rcgc_test::IdNode {
      using IdNode::IdNode;
    };
    struct IdTuple : rcgc_test::IdNode {
      IdTuple(int id, std::vector<Ref<rcgc::Object>> e) : IdNode(id) { edges = std::move(e); }
      bool references_fixed() const noexcept override { return true; }
      void clear() override {}
    };
    for (int step = 0; step < 400; ++step) {
      const unsigned op = rng() % 10;
      if (op < 3) {  // a tuple of existing objects
        std::vector<Ref<rcgc::Object>> items;
        for (unsigned k = rng() % 4; k > 0; --k)
          if (auto r = pick()) items.push_back(std::move(r));
        auto t = rcgc::make<IdTuple>(next_id, std::move(items));
        all.push_back(t.get());
        ids.push_back(next_id++);
        roots.push_back(std::move(t));
      } else if (op < 6) {  // a mutable node
        auto n = rcgc::make<Id>(next_id);
        all.push_back(n.get());
        ids.push_back(next_id++);
        roots.push_back(std::move(n));
      } else if (op < 8) {  // rewire a live mutable node (cycles appear)
        if (all.empty()) continue;
        const std::size_t i = rng() % all.size();
        if (rcgc_test::alive_ids.count(ids[i]))
          if (auto* n = dynamic_cast<Id*>(all[i])) {
            if (auto r = pick()) n->edges.push_back(std::move(r));
          }
      } else if (op < 9 && !roots.empty()) {  // drop a root
        roots.erase(roots.begin() + static_cast<long>(rng() % roots.size()));
      } else {
        gc::collect(static_cast<int>(rng() % 3));
      }
      if (step % 50 == 49) {
        // Reachability from the roots, by the references traverse reports.
        std::unordered_set<const rcgc::Object*> reached;
        std::vector<const rcgc::Object*> stack;
        for (const auto& r : roots) stack.push_back(r.get());
        while (!stack.empty()) {
          const rcgc::Object* o = stack.back();
          stack.pop_back();
          if (!o || !reached.insert(o).second) continue;
          if (auto* n = dynamic_cast<const rcgc_test::IdNode*>(o)) {
            ASSERT_TRUE(rcgc_test::alive_ids.count(n->id)) << "a reachable object was freed";
            for (const auto& e : n->edges) stack.push_back(e.get());
          }
        }
        for (const auto* o : reached)
          if (dynamic_cast<const IdTuple*>(o) && !gc::is_tracked(o)) ++untracked_seen;
        gc::collect();
        std::size_t reachable_ids = 0;
        for (const auto* o : reached)
          if (dynamic_cast<const rcgc_test::IdNode*>(o)) ++reachable_ids;
        EXPECT_EQ(rcgc_test::alive_ids.size(), reachable_ids)
            << "a full collection left unreachable objects";
        heap().verify();
      }
    }
    roots.clear();
    gc::collect();
    EXPECT_TRUE(rcgc_test::alive_ids.empty());
  }
  EXPECT_GT(untracked_seen, 100u);  // the heaps did exercise untracking
}

}  // namespace
