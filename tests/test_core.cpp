// Objects, Ref, make, reference counting, heaps.
#include "fixture.hpp"

using namespace rcgc_test;
namespace gc = rcgc::gc;
using rcgc::Ref;

namespace {

class CoreTest : public HeapTest {};

TEST_F(CoreTest, MakeGivesOneReference) {
  Ref<Node> a = rcgc::make<Node>();
  EXPECT_EQ(rcgc::getrefcount(a), 1u);
  EXPECT_EQ(a.use_count(), 1);
  EXPECT_EQ(live_nodes, 1);
}

TEST_F(CoreTest, CopiesCountAndZeroFreesAtOnce) {
  Ref<Node> a = rcgc::make<Node>();
  Ref<Node> b = a;
  EXPECT_EQ(rcgc::getrefcount(a), 2u);
  b.reset();
  EXPECT_EQ(rcgc::getrefcount(a), 1u);
  a = nullptr;
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(CoreTest, SelfCycleSurvivesUntilCollected) {
  Ref<Node> a = rcgc::make<Node>();
  a->next = a;
  EXPECT_EQ(rcgc::getrefcount(a), 2u);
  a = nullptr;
  EXPECT_EQ(live_nodes, 1);
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(CoreTest, TwoListsCrossReferenced) {
  Ref<List> a = rcgc::make<List>();
  Ref<List> b = rcgc::make<List>();
  a->append(b);
  b->append(a);
  a.reset();
  b.reset();
  EXPECT_EQ(live_nodes, 2);
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(CoreTest, ReachableCycleIsKept) {
  Ref<Node> root = rcgc::make<Node>();
  root->next = rcgc::make<Node>();
  root->next->next = root;
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(live_nodes, 2);
  root->next->next = nullptr;
}

TEST_F(CoreTest, UntrackedObjectsAreNotTracked) {
  Ref<Blob> b = rcgc::make<Blob>("x");
  Ref<Node> n = rcgc::make<Node>();
  EXPECT_FALSE(gc::is_tracked(b));
  EXPECT_TRUE(gc::is_tracked(n));
  EXPECT_EQ(gc::get_count()[0], 1);
}

TEST_F(CoreTest, RefCastChecksType) {
  Ref<rcgc::Object> base = rcgc::make<Node>();
  Ref<Node> down = rcgc::ref_cast<Node>(base);
  ASSERT_TRUE(down);
  EXPECT_EQ(rcgc::getrefcount(base), 2u);
  EXPECT_FALSE(rcgc::ref_cast<Blob>(base));
}

TEST_F(CoreTest, RefFromRawPointerAddsOne) {
  Ref<Node> a = rcgc::make<Node>();
  Node* raw = a.get();
  Ref<Node> b(raw);
  EXPECT_EQ(rcgc::getrefcount(a), 2u);
}

TEST_F(CoreTest, LongChainDiesWithoutStackOverflow) {
  Ref<Node> head;
  for (int i = 0; i < 1'000'000; ++i) {
    Ref<Node> n = rcgc::make<Node>();
    n->next = std::move(head);
    head = std::move(n);
  }
  EXPECT_EQ(live_nodes, 1'000'000);
  head.reset();
  EXPECT_EQ(live_nodes, 0);
}

}  // namespace
