// Heaps (current heap, default heap, teardown), immortal objects, interning,
// misuse detection.
#include <thread>

#include "fixture.hpp"

using namespace rcgc_test;
namespace gc = rcgc::gc;
using rcgc::Ref;

namespace {

TEST(HeapTest, DefaultHeapWhenNoneEntered) {
  std::uint16_t default_id = rcgc::current_heap_id();
  rcgc::Heap h;
  EXPECT_NE(h.id(), default_id);
  {
    auto scope = h.enter();
    EXPECT_EQ(rcgc::current_heap_id(), h.id());
    Ref<Node> n = rcgc::make<Node>();
    EXPECT_EQ(h.live_objects(), 1u);
  }
  EXPECT_EQ(rcgc::current_heap_id(), default_id);
}

TEST(HeapTest, ScopesNest) {
  rcgc::Heap a, b;
  auto sa = a.enter();
  {
    auto sb = b.enter();
    EXPECT_EQ(rcgc::current_heap_id(), b.id());
  }
  EXPECT_EQ(rcgc::current_heap_id(), a.id());
}

TEST(HeapTest, HeapsHaveTheirOwnGcState) {
  rcgc::Heap a, b;
  auto sa = a.enter();
  gc::set_threshold(5);
  {
    auto sb = b.enter();
    EXPECT_EQ(gc::get_threshold()[0], 700);
    Ref<Node> n = rcgc::make<Node>();
    EXPECT_EQ(gc::get_count()[0], 1);
  }
  EXPECT_EQ(gc::get_threshold()[0], 5);
  EXPECT_EQ(gc::get_count()[0], 0);
}

TEST(HeapTest, ObjectIsFreedIntoItsOwnHeap) {
  rcgc::Heap a, b;
  Ref<Node> n;
  {
    auto sa = a.enter();
    n = rcgc::make<Node>();
  }
  auto sb = b.enter();
  EXPECT_EQ(a.live_objects(), 1u);
  n.reset();  // current heap is b
  EXPECT_EQ(a.live_objects(), 0u);
  EXPECT_EQ(b.live_objects(), 0u);
}

TEST(HeapTest, DestructionCollectsCycles) {
  live_nodes = 0;
  {
    rcgc::Heap h;
    auto scope = h.enter();
    Ref<Node> n = rcgc::make<Node>();
    n->next = n;
    n.reset();
    EXPECT_EQ(live_nodes, 1);
  }
  EXPECT_EQ(live_nodes, 0);
}

TEST(HeapTest, DestructionWithSurvivorsKeepsThemValid) {
  live_nodes = 0;
  Ref<Node> survivor;
  auto h = std::make_unique<rcgc::Heap>();
  {
    auto scope = h->enter();
    survivor = rcgc::make<Node>(42);
    survivor->next = rcgc::make<Node>();
  }
  testing::internal::CaptureStderr();
  h.reset();
  std::string err = testing::internal::GetCapturedStderr();
  if (RCGC_DEBUG_LEVEL >= 1) {
    EXPECT_NE(err.find("still referenced"), std::string::npos) << err;
  }
  EXPECT_EQ(survivor->value, 42);
  EXPECT_EQ(live_nodes, 2);
  survivor.reset();  // frees into the orphaned heap
  EXPECT_EQ(live_nodes, 0);
}

TEST(HeapTest, ThreadsWithTheirOwnHeaps) {
  std::vector<std::thread> threads;
  std::vector<std::size_t> collected(2);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([t, &collected] {
      rcgc::Heap h;
      auto scope = h.enter();
      gc::disable();
      for (int i = 0; i < 1000; ++i) {
        Ref<List> a = rcgc::make<List>(), b = rcgc::make<List>();
        a->append(b);
        b->append(a);
      }
      collected[static_cast<std::size_t>(t)] = gc::collect();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(collected[0], 2000u);
  EXPECT_EQ(collected[1], 2000u);
}

class ImmortalTest : public HeapTest {};

TEST_F(ImmortalTest, RefOperationsDoNotChangeTheCount) {
  Ref<Node> n = rcgc::make<Node>();
  rcgc::make_immortal(n);
  EXPECT_TRUE(rcgc::is_immortal(n));
  std::size_t c = rcgc::getrefcount(n);
  {
    Ref<Node> copy = n;
    EXPECT_EQ(rcgc::getrefcount(n), c);
  }
  EXPECT_FALSE(gc::is_tracked(n));
  n.reset();
  EXPECT_EQ(live_nodes, 1);  // never freed while the heap lives
}

TEST_F(ImmortalTest, CollectorSkipsImmortals) {
  Ref<Node> n = rcgc::make<Node>();
  n->next = n;
  rcgc::make_immortal(n);
  n.reset();
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(live_nodes, 1);
}

TEST_F(ImmortalTest, InternReturnsOneObjectPerString) {
  Ref<rcgc::Str> a = rcgc::intern("hello");
  Ref<rcgc::Str> b = rcgc::intern(std::string("hel") + "lo");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_TRUE(rcgc::is_immortal(a));
  EXPECT_NE(rcgc::intern("world").get(), a.get());
  EXPECT_EQ(a->value(), "hello");
  EXPECT_NE(rcgc::make<rcgc::Str>("hello").get(), a.get());
}

TEST(HeapTest, ImmortalsDieWithTheirHeap) {
  live_nodes = 0;
  {
    rcgc::Heap h;
    auto scope = h.enter();
    Ref<Node> n = rcgc::make<Node>();
    n->next = rcgc::make<Node>();
    rcgc::make_immortal(n);
    rcgc::intern("x");
  }
  EXPECT_EQ(live_nodes, 0);
}

// Misuse ------------------------------------------------------------------

// Cross-heap references: tests/test_misuse.cpp (both directions).

struct Other {
  virtual ~Other() = default;
  int x = 0;
};
struct Misplaced : Other, rcgc::Object {};

TEST(HeapDeathTest, ObjectBaseNotFirstIsReported) {
  EXPECT_DEATH((void)rcgc::make<Misplaced>(), "not at offset 0");
}

TEST(HeapDeathTest, ScopeOutlivingItsHeapIsReported) {
  auto misuse = [] {
    auto h = std::make_unique<rcgc::Heap>();
    auto s = h->enter();
    h.reset();
  };
  EXPECT_DEATH(misuse(), "destroyed while a HeapScope still makes it current");
}

struct PrivateTraverse : rcgc::Object {
 private:
  void traverse(rcgc::Visitor&) const override {}
};

TEST(HeapTest, PrivateTraverseStillTracked) {
  rcgc::Heap h;
  auto s = h.enter();
  Ref<PrivateTraverse> p = rcgc::make<PrivateTraverse>();
  EXPECT_TRUE(gc::is_tracked(p));
}

}  // namespace
