// PEP 442 finalizers, legacy (tp_del) finalizers, resurrection, exceptions.
#include <stdexcept>

#include "fixture.hpp"

using namespace rcgc_test;
namespace gc = rcgc::gc;
using rcgc::Ref;

namespace {

int finalized = 0;
Ref<rcgc::Object> resurrected;  // where resurrecting finalizers store objects

struct Fin : Node {
  void finalize() override { ++finalized; }
};

struct Resurrector : Node {
  void finalize() override {
    ++finalized;
    resurrected = Ref<rcgc::Object>(this);
  }
};

struct Thrower : Node {
  void finalize() override {
    ++finalized;
    throw std::runtime_error("finalizer failed");
  }
};

struct Legacy : Node {
  void legacy_finalize() override { ++finalized; }
};

class FinalizeTest : public HeapTest {
 protected:
  void SetUp() override {
    HeapTest::SetUp();
    finalized = 0;
  }
  void TearDown() override {
    resurrected.reset();
    HeapTest::TearDown();
  }
};

TEST_F(FinalizeTest, FinalizerRunsAtRefcountDeath) {
  Ref<Fin> f = rcgc::make<Fin>();
  f.reset();
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(FinalizeTest, ResurrectionAtRefcountDeathAndNoSecondFinalize) {
  Ref<Resurrector> r = rcgc::make<Resurrector>();
  const rcgc::Object* p = r.get();
  r.reset();
  EXPECT_EQ(finalized, 1);
  ASSERT_EQ(resurrected.get(), p);
  EXPECT_EQ(rcgc::getrefcount(resurrected), 1u);
  EXPECT_TRUE(gc::is_finalized(resurrected));
  EXPECT_TRUE(gc::is_tracked(resurrected));
  resurrected.reset();  // dies now, without a second finalize()
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(FinalizeTest, CycleWithFinalizersIsCollected) {
  {
    Ref<Fin> a = rcgc::make<Fin>(), b = rcgc::make<Fin>();
    a->next = b;
    b->next = a;
  }
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(finalized, 2);
  EXPECT_EQ(live_nodes, 0);
  EXPECT_TRUE(gc::garbage().empty());
}

TEST_F(FinalizeTest, ResurrectionInCycleIsTransitiveAndNotCounted) {
  const rcgc::Object* pb;
  {
    Ref<Resurrector> a = rcgc::make<Resurrector>();
    Ref<Fin> b = rcgc::make<Fin>();
    pb = b.get();
    a->next = b;
    b->next = a;
  }
  EXPECT_EQ(gc::collect(), 0u);  // resurrected objects count in neither
  EXPECT_EQ(finalized, 2);
  EXPECT_EQ(live_nodes, 2);
  auto a = rcgc::ref_cast<Node>(resurrected);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->next.get(), pb);  // b was resurrected with a, intact
  EXPECT_TRUE(gc::is_finalized(a->next));
  // Dropped again: collected without a second round of finalizers.
  a.reset();
  resurrected.reset();
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(finalized, 2);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(FinalizeTest, RestOfTheTrashIsStillFreed) {
  {
    Ref<Resurrector> r = rcgc::make<Resurrector>();
    r->next = r;
    Ref<Fin> f = rcgc::make<Fin>();
    f->next = f;
  }
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(finalized, 2);
  EXPECT_EQ(live_nodes, 1);
  EXPECT_TRUE(resurrected);
}

TEST_F(FinalizeTest, ExceptionGoesToHookAndCollectionContinues) {
  std::vector<std::string> where;
  std::vector<std::string> what;
  auto previous = rcgc::set_unraisable_hook([&](std::exception_ptr e, const std::string& w) {
    where.push_back(w);
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what.push_back(ex.what());
    }
  });
  {
    Ref<Thrower> a = rcgc::make<Thrower>();
    a->next = a;
    Ref<Fin> b = rcgc::make<Fin>();
    b->next = b;
  }
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(finalized, 2);
  ASSERT_EQ(where.size(), 1u);
  EXPECT_NE(where[0].find("finalizer of <"), std::string::npos) << where[0];
  EXPECT_EQ(what[0], "finalizer failed");
  // At refcount death too.
  rcgc::make<Thrower>();
  EXPECT_EQ(where.size(), 2u);
  rcgc::set_unraisable_hook(previous);
}

TEST_F(FinalizeTest, DefaultHookPrintsExceptionIgnored) {
  testing::internal::CaptureStderr();
  rcgc::make<Thrower>();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Exception ignored in: finalizer of <"), std::string::npos) << err;
  EXPECT_NE(err.find("std::runtime_error: finalizer failed"), std::string::npos) << err;
}

struct Collecting : Node {
  static inline std::size_t inner = 99;
  void finalize() override { inner = rcgc::gc::collect(); }
};

TEST_F(FinalizeTest, CollectInsideFinalizerDuringCollectionReturnsZero) {
  {
    Ref<Collecting> c = rcgc::make<Collecting>();
    c->next = c;
  }
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(Collecting::inner, 0u);
}

struct Allocating : Node {
  void finalize() override {
    // New objects (and a new cycle) made while the collector runs.
    Ref<Node> n = rcgc::make<Node>();
    n->next = n;
  }
};

TEST_F(FinalizeTest, FinalizerMayAllocate) {
  {
    Ref<Allocating> a = rcgc::make<Allocating>();
    a->next = a;
  }
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(live_nodes, 1);  // the new cycle, in generation 0
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(FinalizeTest, LegacyFinalizerCycleIsUncollectable) {
  const rcgc::Object* pa;
  {
    Ref<Legacy> a = rcgc::make<Legacy>();
    Ref<Node> b = rcgc::make<Node>();
    pa = a.get();
    a->next = b;
    b->next = a;
  }
  EXPECT_EQ(gc::collect(), 2u);  // both unreachable, both uncollectable
  auto st = gc::get_stats()[2];
  EXPECT_EQ(st.uncollectable, 2u);
  EXPECT_EQ(st.collected, 0u);
  ASSERT_EQ(gc::garbage().size(), 1u);  // only the object with the finalizer
  EXPECT_EQ(gc::garbage()[0].get(), pa);
  EXPECT_EQ(finalized, 0);
  // A second collection finds nothing: garbage holds them.
  EXPECT_EQ(gc::collect(), 0u);
  // Break the cycle by hand, then release.
  rcgc::ref_cast<Node>(gc::garbage()[0])->next = nullptr;
  gc::garbage().clear();
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(FinalizeTest, LegacyFinalizerRunsAtRefcountDeath) {
  rcgc::make<Legacy>();
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(live_nodes, 0);
}

// An object linked in no generation (an untracked type's; a tracked
// type's that make<T> never linked) dies through the same hooks: death's
// fast path skips them only for objects that have none.
struct LegacyAtom : rcgc::Object {
  void legacy_finalize() override { ++finalized; }
};
struct LegacyTuple : rcgc::Object {
  const Ref<rcgc::Object> item;
  explicit LegacyTuple(Ref<rcgc::Object> i) : item(std::move(i)) {}
  void traverse(rcgc::Visitor& visit) const override { visit(item); }
  bool references_fixed() const noexcept override { return true; }
  void legacy_finalize() override { ++finalized; }
};

TEST_F(FinalizeTest, LegacyFinalizerRunsAtRefcountDeathOfUnlinkedObjects) {
  rcgc::make<LegacyAtom>();
  EXPECT_EQ(finalized, 1);
  {
    Ref<LegacyTuple> t = rcgc::make<LegacyTuple>(rcgc::make<LegacyAtom>());
    EXPECT_FALSE(gc::is_tracked(t));
  }
  EXPECT_EQ(finalized, 3);
  EXPECT_EQ(gc::get_objects().size(), 0u);
}

TEST_F(FinalizeTest, DebugUncollectablePrintsEachObject) {
  {
    Ref<Legacy> a = rcgc::make<Legacy>();
    a->next = a;
  }
  gc::set_debug(gc::DEBUG_UNCOLLECTABLE);
  testing::internal::CaptureStderr();
  gc::collect();
  std::string err = testing::internal::GetCapturedStderr();
  gc::set_debug(0);
  EXPECT_NE(err.find("gc: uncollectable <"), std::string::npos) << err;
  rcgc::ref_cast<Node>(gc::garbage()[0])->next = nullptr;
}

TEST_F(FinalizeTest, SaveAllPutsLegacyReachablesInGarbageToo) {
  {
    Ref<Legacy> a = rcgc::make<Legacy>();
    Ref<Node> b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
  }
  gc::set_debug(gc::DEBUG_SAVEALL);
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(gc::garbage().size(), 2u);
  gc::set_debug(0);
  for (auto& r : gc::garbage()) rcgc::ref_cast<Node>(r)->next = nullptr;
}

// A chain of objects with finalizers deep enough to need the trashcan.
TEST_F(FinalizeTest, DeepChainOfFinalizers) {
  Ref<Node> head;
  for (int i = 0; i < 200'000; ++i) {
    Ref<Node> n = rcgc::make<Fin>();
    n->next = std::move(head);
    head = std::move(n);
  }
  head.reset();
  EXPECT_EQ(finalized, 200'000);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(FinalizeTest, DeepGarbageCycleIsCollectedWithoutRecursion) {
  {
    Ref<Node> first = rcgc::make<Node>();
    Ref<Node> cur = first;
    for (int i = 0; i < 1'000'000; ++i) {
      cur->next = rcgc::make<Node>();
      cur = cur->next;
    }
    cur->next = first;
  }
  EXPECT_EQ(gc::collect(), 1'000'001u);
  EXPECT_EQ(live_nodes, 0);
}

}  // namespace
