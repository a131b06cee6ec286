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

// Python's tuple: references given when it is made, never changed. `Fixed`
// says what references_fixed() answers: `yes` from the start (make<T> then
// asks it, and a tuple of untracked objects is never tracked), `no`, or
// `sealed` once seal() is called after make<T> (a builder's object: tracked
// when made, untracked by a collection after it is sealed).
enum class Fixed { yes, no, sealed };
struct Tuple : rcgc::Object {
  const std::vector<Ref<rcgc::Object>> items;
  const Fixed fixed;
  bool is_sealed = false;
  static inline int finalized = 0;
  explicit Tuple(std::vector<Ref<rcgc::Object>> i, Fixed f = Fixed::yes)
      : items(std::move(i)), fixed(f) {
    ++live_nodes;
  }
  ~Tuple() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
  bool references_fixed() const noexcept override {
    return fixed == Fixed::yes || (fixed == Fixed::sealed && is_sealed);
  }
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

template <class T = Tuple>
Ref<Tuple> tuple(std::vector<Ref<rcgc::Object>> items, Fixed fixed = Fixed::yes) {
  return rcgc::make<T>(std::move(items), fixed);
}
// A tuple sealed after make<T>: tracked until a collection untracks it.
template <class T = Tuple>
Ref<Tuple> sealed(std::vector<Ref<rcgc::Object>> items) {
  Ref<Tuple> t = tuple<T>(std::move(items), Fixed::sealed);
  t->is_sealed = true;
  return t;
}
// A tuple as a program finishes it: `sealed` ones are sealed after make<T>.
template <class T = Tuple>
Ref<Tuple> finished(std::vector<Ref<rcgc::Object>> items, Fixed fixed) {
  return fixed == Fixed::sealed ? sealed<T>(std::move(items)) : tuple<T>(std::move(items), fixed);
}

// A tree of tuples made bottom-up (children first, as Python evaluates
// ((a, b), (c, d))): 2^(depth+1) - 1 of them.
Ref<Tuple> tree(int depth, Fixed fixed) {
  if (depth == 0) return finished({rcgc::make<Atom>(depth)}, fixed);
  Ref<Tuple> left = tree(depth - 1, fixed);
  Ref<Tuple> right = tree(depth - 1, fixed);
  return finished({left, right}, fixed);
}

bool tracked(const Ref<Tuple>& t) { return gc::is_tracked(t); }

std::size_t count_tracked(const Ref<Tuple>& t) {
  std::size_t n = tracked(t) ? 1 : 0;
  for (const auto& item : t->items)
    if (auto sub = rcgc::ref_cast<Tuple>(item)) n += count_tracked(sub);
  return n;
}

using Untrack = rcgc_test::HeapTest;

// A tuple of two atoms and an empty one, both untracked by now: still
// alive, not in any list, freed by reference counting as before.
void expect_untracked_tuples_die(rcgc::Heap& h, Ref<Tuple>& t, Ref<Tuple>& empty) {
  EXPECT_FALSE(tracked(t));
  EXPECT_FALSE(tracked(empty));
  EXPECT_TRUE(gc::get_objects().empty());
  EXPECT_EQ(rcgc::getrefcount(t), 1u);
  h.verify();
  EXPECT_EQ(live_nodes, 4);
  t = nullptr;
  empty = nullptr;
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, AFixedObjectOfAtomsIsNeverTracked) {
  const int before = gc::get_count()[0];
  Ref<Tuple> t = tuple({rcgc::make<Atom>(1), rcgc::make<Atom>(2)});
  Ref<Tuple> empty = tuple({});
  // Still an allocation of generation 0 (CPython counts its tuples so),
  // and a deallocation when it dies.
  EXPECT_EQ(gc::get_count()[0], before + 2);
  expect_untracked_tuples_die(heap(), t, empty);
  EXPECT_EQ(gc::get_count()[0], before);
}

TEST_F(Untrack, ATreeOfFixedObjectsMadeBottomUpIsNeverTracked) {
  Ref<Tuple> t = tree(6, Fixed::yes);
  EXPECT_EQ(count_tracked(t), 0u);
  EXPECT_TRUE(gc::get_objects().empty());
  // A parent of a tracked object is tracked when made.
  Ref<Node> n = rcgc::make<Node>();
  Ref<Tuple> holder = tuple({t, n});
  EXPECT_TRUE(tracked(holder));
  EXPECT_EQ(gc::get_objects().size(), 2u);
  heap().verify();
}

// Hooks declared private: make<T> cannot call them as T's own, so it asks
// through the vtable, with the same answer.
class PrivateTuple : public rcgc::Object {
 public:
  explicit PrivateTuple(Ref<rcgc::Object> i) : item(std::move(i)) {}

 private:
  const Ref<rcgc::Object> item;
  void traverse(rcgc::Visitor& visit) const override { visit(item); }
  bool references_fixed() const noexcept override { return true; }
};

TEST_F(Untrack, PrivateHooksAreAskedThroughTheVtable) {
  Ref<PrivateTuple> atoms = rcgc::make<PrivateTuple>(rcgc::make<Atom>(1));
  EXPECT_FALSE(gc::is_tracked(atoms));
  Ref<Node> n = rcgc::make<Node>();
  Ref<PrivateTuple> holder = rcgc::make<PrivateTuple>(n);
  EXPECT_TRUE(gc::is_tracked(holder));
}

TEST_F(Untrack, ASealedObjectOfAtomsLeavesTheListsInAYoungCollection) {
  Ref<Tuple> t = sealed({rcgc::make<Atom>(1), rcgc::make<Atom>(2)});
  Ref<Tuple> empty = sealed({});
  EXPECT_TRUE(tracked(t));
  EXPECT_TRUE(tracked(empty));
  EXPECT_EQ(gc::collect(0), 0u);
  expect_untracked_tuples_die(heap(), t, empty);
}

TEST_F(Untrack, AnObjectWithoutThePromiseStaysTracked) {
  Ref<Tuple> t = tuple({rcgc::make<Atom>(1)}, Fixed::no);
  Ref<Tuple> unsealed = tuple({rcgc::make<Atom>(1)}, Fixed::sealed);
  EXPECT_TRUE(tracked(t));
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(t));
  EXPECT_TRUE(tracked(unsealed));
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_TRUE(tracked(t));
  EXPECT_TRUE(tracked(unsealed));
  EXPECT_EQ(gc::get_objects().size(), 2u);
}

TEST_F(Untrack, AFixedObjectReferencingATrackedOneStaysTracked) {
  Ref<Node> young = rcgc::make<Node>();
  Ref<Tuple> t = tuple({young});
  EXPECT_TRUE(tracked(t));
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(t));
  // The node now older than what references it, in each collection.
  Ref<Tuple> u = sealed({young});
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
  Ref<Tuple> t = sealed({rcgc::make<Atom>(1)});
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_FALSE(tracked(t));
  EXPECT_TRUE(gc::get_objects().empty());
  heap().verify();
}

TEST_F(Untrack, AFrozenReferentKeepsItTracked) {
  Ref<Node> frozen = rcgc::make<Node>();
  gc::freeze();
  Ref<Tuple> t = tuple({frozen});
  Ref<Tuple> u = sealed({frozen});
  EXPECT_TRUE(tracked(t));
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_TRUE(tracked(t));
  EXPECT_TRUE(tracked(u));
  // Unfrozen, the node can close a cycle through the tuple: the collector
  // must still see the tuple's reference to find it.
  gc::unfreeze();
  frozen->other = t;
  frozen = nullptr;
  t = nullptr;
  u = nullptr;
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, AReferentOfAnotherHeapKeepsItTracked) {
  rcgc::Heap other;
  Ref<Atom> foreign;
  {
    rcgc::HeapScope scope = other.enter();
    foreign = rcgc::make<Atom>(3);
  }
  Ref<Tuple> t = tuple({foreign});
  EXPECT_TRUE(tracked(t));
  t = nullptr;
  {
    rcgc::HeapScope scope = other.enter();
    foreign = nullptr;
  }
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, ATreeSealedBottomUpIsUntrackedInOneCollection) {
  constexpr int kDepth = 6;
  constexpr std::size_t kNodes = (2u << kDepth) - 1;
  Ref<Tuple> first = tree(kDepth, Fixed::sealed);
  ASSERT_EQ(count_tracked(first), kNodes);
  // The first collection of the generation subtracts, noting the tuples in
  // the list's order, children before parents; checked in that order after,
  // a parent finds its children untracked already.
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_EQ(count_tracked(first), 0u);
  // It found the generation ordered (every reference backwards), so the
  // next one checks the order alone, and untracks as it walks.
  Ref<Tuple> second = tree(kDepth, Fixed::sealed);
  ASSERT_EQ(count_tracked(second), kNodes);
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_EQ(count_tracked(second), 0u);
  EXPECT_TRUE(gc::get_objects().empty());
  heap().verify();
  first = nullptr;
  second = nullptr;
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(Untrack, GarbageHoldingAFixedObjectIsFinalizedWithIt) {
  // Sealed after make<T>, the tuple is tracked, garbage with the cycle:
  // collected and counted in the same collection, as CPython's, not
  // untracked. Untracked when made, it is not in the collection's count
  // (CPython's would count a tuple it had not untracked yet): reference
  // counting frees it when the cycle is cleared. Finalized either way.
  for (auto [fixed, collected] : {std::pair{Fixed::sealed, 3u}, std::pair{Fixed::yes, 2u}}) {
    FinalTuple::finalized = 0;
    {
      Ref<Node> a = rcgc::make<Node>(), b = rcgc::make<Node>();
      a->next = b;
      b->next = a;
      a->other = finished<FinalTuple>({rcgc::make<Atom>(7)}, fixed);
      EXPECT_EQ(gc::is_tracked(a->other), fixed == Fixed::sealed);
    }
    EXPECT_EQ(live_nodes, 4);
    EXPECT_EQ(gc::collect(0), collected);
    EXPECT_EQ(Tuple::finalized, 1);
    EXPECT_EQ(live_nodes, 0);
  }
}

TEST_F(Untrack, AnUntrackedObjectStillDiesByReferenceCountingWithItsHooks) {
  for (Fixed f : {Fixed::yes, Fixed::sealed}) {
    Tuple::finalized = 0;
    Ref<Tuple> t = finished<FinalTuple>({}, f);
    rcgc::WeakRef<Tuple> w(t);
    EXPECT_EQ(gc::collect(0), 0u);
    EXPECT_FALSE(tracked(t));
    EXPECT_TRUE(w.lock());
    t = nullptr;
    EXPECT_EQ(Tuple::finalized, 1);
    EXPECT_FALSE(w.lock());
    EXPECT_EQ(live_nodes, 0);
  }
}

TEST_F(Untrack, AResurrectedObjectIsTrackedAgainAndUntrackedByACollection) {
  static Ref<rcgc::Object> saved;
  struct Phoenix : Tuple {
    using Tuple::Tuple;
    void finalize() override { saved = Ref<rcgc::Object>(this); }
  };
  Ref<Tuple> t = tuple<Phoenix>({rcgc::make<Atom>(1)});
  EXPECT_FALSE(tracked(t));
  t = nullptr;
  ASSERT_TRUE(saved);
  EXPECT_TRUE(gc::is_tracked(saved));  // as dealloc re-tracks every resurrected object
  EXPECT_EQ(gc::collect(0), 0u);
  EXPECT_FALSE(gc::is_tracked(saved));
  saved = nullptr;
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
  std::size_t untracked_by_collections = 0;  // of those, sealed after make<T>
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
    // Half of them fixed when made, half sealed after (untracked by a
    // collection, not by make<T>).
    struct IdTuple : rcgc_test::IdNode {
      const bool born_fixed;
      bool is_sealed;
      IdTuple(int id, std::vector<Ref<rcgc::Object>> e, bool at_birth)
          : IdNode(id), born_fixed(at_birth), is_sealed(at_birth) {
        edges = std::move(e);
      }
      bool references_fixed() const noexcept override { return is_sealed; }
      void clear() override {}
    };
    for (int step = 0; step < 400; ++step) {
      const unsigned op = rng() % 10;
      if (op < 3) {  // a tuple of existing objects
        std::vector<Ref<rcgc::Object>> items;
        for (unsigned k = rng() % 4; k > 0; --k)
          if (auto r = pick()) items.push_back(std::move(r));
        auto t = rcgc::make<IdTuple>(next_id, std::move(items), rng() % 2 == 0);
        t->is_sealed = true;
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
          if (auto* t = dynamic_cast<const IdTuple*>(o); t && !gc::is_tracked(o)) {
            ++untracked_seen;
            if (!t->born_fixed) ++untracked_by_collections;
          }
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
  // The heaps did exercise untracking, by make<T> and by collections.
  EXPECT_GT(untracked_seen, 100u);
  EXPECT_GT(untracked_by_collections, 50u);
}

}  // namespace
