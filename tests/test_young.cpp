// Young collections of ordered generations (Collector::collect's young
// branch): a generation in which every reference points forward in the list
// (or every one backwards), or in which every object is held from outside
// or by one before it (or after it), holds no garbage. After a collection that found
// its generation so, the next one checks the order alone first (no gc_refs)
// and, if references lead both ways after all, subtracts from the start.
#include <vector>

#include "fixture.hpp"
#include "gc/collector.hpp"

using rcgc::Ref;
using rcgc_test::Node;
using rcgc_test::live_nodes;
namespace gc = rcgc::gc;

namespace {

class Young : public rcgc_test::HeapTest {
 protected:
  void SetUp() override {
    HeapTest::SetUp();
    gc::disable();  // only the collections the test asks for
  }
};

// A chain of n nodes made from its head: each references the one made after
// it (forward in the list).
Ref<Node> forward_chain(int n) {
  Ref<Node> head = rcgc::make<Node>();
  Node* at = head.get();
  for (int i = 1; i < n; ++i) {
    at->next = rcgc::make<Node>();
    at = at->next.get();
  }
  return head;
}

// Whether the order-first check ran (and found the order broken) in the
// collection `collect` makes; the counters exist at debug level < 2 only.
struct OrderFirst {
  bool ran;
  bool broken;
};
template <class F>
OrderFirst watch(F collect) {
  const auto before = rcgc::detail::young_counters();
  collect();
  const auto after = rcgc::detail::young_counters();
  return {after.order_first != before.order_first, after.not_ordered != before.not_ordered};
}

constexpr bool kChecksFirst = RCGC_DEBUG_LEVEL < 2;

TEST_F(Young, OrderedGenerationIsCheckedFirstNextTime) {
  std::vector<Ref<Node>> held;
  held.push_back(forward_chain(100));
  // No collection before: subtract_refs_ordered finds it ordered.
  OrderFirst w = watch([] { EXPECT_EQ(gc::collect(0), 0u); });
  EXPECT_FALSE(w.ran);
  held.push_back(forward_chain(100));
  w = watch([] { EXPECT_EQ(gc::collect(0), 0u); });
  EXPECT_EQ(w.ran, kChecksFirst);
  EXPECT_FALSE(w.broken);
  EXPECT_EQ(gc::get_count()[0], 0);
  EXPECT_EQ(gc::get_objects(1).size(), 200u);
  EXPECT_EQ(live_nodes, 200);
  heap().verify();
}

TEST_F(Young, GarbageAfterAnOrderedGenerationIsFound) {
  std::vector<Ref<Node>> held;
  held.push_back(forward_chain(50));
  EXPECT_EQ(gc::collect(0), 0u);
  // Some ordered objects, then a garbage cycle (its second reference points
  // backwards), then more: the check walks part of the list, stops, and the
  // subtraction starts over from the first object.
  held.push_back(forward_chain(30));
  {
    Ref<Node> a = rcgc::make<Node>(), b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
  }
  held.push_back(forward_chain(30));
  OrderFirst w = watch([] { EXPECT_EQ(gc::collect(0), 2u); });
  EXPECT_EQ(w.ran, kChecksFirst);
  EXPECT_EQ(w.broken, kChecksFirst);
  EXPECT_EQ(live_nodes, 110);
  heap().verify();
  // Not ordered last time: the next collection subtracts straight away, and
  // finds the order again.
  held.push_back(forward_chain(10));
  w = watch([] { EXPECT_EQ(gc::collect(0), 0u); });
  EXPECT_FALSE(w.ran);
  held.push_back(forward_chain(10));
  w = watch([] { EXPECT_EQ(gc::collect(0), 0u); });
  EXPECT_EQ(w.ran, kChecksFirst);
  EXPECT_FALSE(w.broken);
  EXPECT_EQ(live_nodes, 130);
  heap().verify();
}

TEST_F(Young, ReachableCycleAfterAnOrderedGenerationSurvives) {
  Ref<Node> head = forward_chain(20);
  EXPECT_EQ(gc::collect(0), 0u);
  // A cycle reachable from outside (a back reference), made last: the
  // check reaches the end before it sees both ways.
  Ref<Node> a = forward_chain(20);
  Node* last = a.get();
  while (last->next) last = last->next.get();
  last->other = a;
  OrderFirst w = watch([] { EXPECT_EQ(gc::collect(0), 0u); });
  EXPECT_EQ(w.broken, kChecksFirst);
  EXPECT_EQ(live_nodes, 40);
  heap().verify();
  a.reset();  // now garbage: a cycle in generation 1
  EXPECT_EQ(gc::collect(1), 20u);
  EXPECT_EQ(live_nodes, 20);
}

// A doubly linked list made from its head has references both ways, so
// the order alone proves nothing; the roots' proof does (forwards: only the
// head has no referrer before it, and it is held from outside), and the
// collection keeps everything by a walk. It does not check the order alone
// next time (references led both ways). A garbage ring defeats the proof.
TEST_F(Young, DoublyLinkedGenerationIsKeptByTheRootsProof) {
  Ref<Node> head = rcgc::make<Node>();
  {
    Ref<Node> tail = head;
    for (int i = 1; i < 100; ++i) {
      Ref<Node> n = rcgc::make<Node>();
      n->other = tail;
      tail->next = n;
      tail = n;
    }
  }
  auto before = rcgc::detail::young_counters();
  EXPECT_EQ(gc::collect(0), 0u);
  auto after = rcgc::detail::young_counters();
  EXPECT_EQ(after.by_roots, before.by_roots + 1);
  EXPECT_EQ(gc::get_objects(1).size(), 100u);
  heap().verify();  // the prev links, restored by keep_all
  Ref<Node> more = forward_chain(10);
  OrderFirst w = watch([] { EXPECT_EQ(gc::collect(0), 0u); });
  EXPECT_FALSE(w.ran);
  {
    Ref<Node> a = rcgc::make<Node>(), b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
  }
  before = rcgc::detail::young_counters();
  EXPECT_EQ(gc::collect(0), 2u);
  after = rcgc::detail::young_counters();
  EXPECT_EQ(after.by_roots, before.by_roots);
  EXPECT_EQ(live_nodes, 110);
  heap().verify();
}

// Generations are watched apart: generation 1's collection does not use
// what generation 0's found.
TEST_F(Young, EachGenerationHasItsOwnHint) {
  Ref<Node> head = forward_chain(10);
  EXPECT_EQ(gc::collect(0), 0u);  // generation 0 found ordered
  Ref<Node> more = forward_chain(10);
  OrderFirst w = watch([] { EXPECT_EQ(gc::collect(1), 0u); });
  EXPECT_FALSE(w.ran);  // nothing known of generation 1 yet
  Ref<Node> again = forward_chain(10);
  w = watch([] { EXPECT_EQ(gc::collect(1), 0u); });
  EXPECT_EQ(w.ran, kChecksFirst);
  EXPECT_EQ(gc::get_objects(2).size(), 30u);
  heap().verify();
}

// Generation 1's check counts the objects already in generation 1 as
// members: a garbage cycle between one of them and a newer object is seen
// both ways and found.
TEST_F(Young, GenerationOneCheckSeesItsOwnObjects) {
  Ref<Node> first = rcgc::make<Node>();
  EXPECT_EQ(gc::collect(1), 0u);  // ordered: the next collection of 1 checks first
  {
    Ref<Node> a = rcgc::make<Node>();
    EXPECT_EQ(gc::collect(0), 0u);  // a to generation 1
    Ref<Node> b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
  }
  OrderFirst w = watch([] { EXPECT_EQ(gc::collect(1), 2u); });
  EXPECT_EQ(w.ran, kChecksFirst);
  EXPECT_EQ(w.broken, kChecksFirst);
  EXPECT_EQ(live_nodes, 1);
  heap().verify();
}

}  // namespace
