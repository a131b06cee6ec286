// Misuse is reported clearly and never corrupts silently. Each case runs in a
// death test (a child process) and checks the message; docs/reliability.md
// lists them. Cases the core does not detect yet are written, skipped with
// "rcgc bug: ..." and the message they should produce.
#include <thread>

#include "fixture.hpp"

using namespace rcgc_test;
namespace gc = rcgc::gc;
using rcgc::Ref;

namespace {

int misuses_tried = 0;

class MisuseEnv : public ::testing::Environment {
 public:
  void TearDown() override { std::printf("[misuse] misuses tried: %d\n", misuses_tried); }
};
const auto* env = ::testing::AddGlobalTestEnvironment(new MisuseEnv);

#define EXPECT_MISUSE(stmt, regex) \
  do {                             \
    ++misuses_tried;               \
    EXPECT_DEATH(stmt, regex);     \
  } while (0)

// --- releasing more references than held -----------------------------------

// An extra decref() on an object that other objects still reference: the
// next collection finds more internal references than the count allows.
TEST(MisuseDeathTest, ExtraDecrefFoundByCollector) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Ref<Node> a = rcgc::make<Node>();
        a->next = a;
        a->other = a;  // count 3: a, next, other
        a->decref();   // two releases nobody owns: count 1, but 2 internal references
        a->decref();
        gc::collect();
      },
      "rcgc: fatal: refcount is too small: object address 0x[0-9a-f]+, object refcount [0-9]+, "
      "object type name .*Node.*released more often than taken");
}

// The same, found by Heap::verify() (always on).
TEST(MisuseDeathTest, ExtraDecrefFoundByVerify) {
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Ref<Node> a = rcgc::make<Node>();
        a->next = a;
        a->other = a;
        a->decref();
        a->decref();
        h.verify();
      },
      "rcgc: fatal: verify: object 0x[0-9a-f]+ \\(type .*Node.*\\) has count 1 but 2 references "
      "from tracked objects: a reference was released twice");
}

// An extra decref() that takes the count to zero while a Ref still holds the
// object: the object is freed under the Ref; the Ref's own release then
// finds a count of zero.
TEST(MisuseDeathTest, ExtraDecrefToZero) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Ref<Node> a = rcgc::make<Node>();
        a->decref();  // count 0: freed now, `a` dangles
        a.reset();    // the second release
      },
      "rcgc: fatal: internal check failed: refcnt_ > 0|heap-use-after-free|invalid vptr|"
      "rcgc: fatal: a reference to 0x[0-9a-f]+ was used after the object was freed");
}

// A finalizer that releases a reference it does not own (always on).
struct OverReleasingFinalizer : Node {
  void finalize() override { decref(); }
};
TEST(MisuseDeathTest, FinalizerReleasesTooMuch) {
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Ref<OverReleasingFinalizer> f = rcgc::make<OverReleasingFinalizer>();
        f.reset();
      },
      "rcgc: fatal: finalizer of 0x[0-9a-f]+ \\(type .*\\) released a reference it did not own");
}
// The same, naming the right type: the finalizer's decref() takes the count
// from 1 to 0, and release() reports it before anything is destroyed (it
// used to free the object inside its finalizer, then read it).
TEST(MisuseDeathTest, FinalizerReleasesTooMuchNamesTheType) {
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Ref<OverReleasingFinalizer> f = rcgc::make<OverReleasingFinalizer>();
        f.reset();
      },
      "rcgc: fatal: finalizer of 0x[0-9a-f]+ \\(type .*OverReleasingFinalizer.*\\) released a "
      "reference it did not own");
}

// --- an object used on a heap other than its own ---------------------------

// Heap b's list gets an object of heap a, then b collects `generation`.
// `order_first`: after a collection that found generation 0 ordered, so
// that a collection of generation 0 checks the order alone first
// (Mode::order).
void collect_with_foreign_object(bool order_first, int generation = 0) {
  rcgc::Heap a;
  rcgc::Heap b;
  Ref<Node> from_a;
  {
    auto s = a.enter();
    from_a = rcgc::make<Node>();
  }
  auto s = b.enter();
  Ref<List> in_b = rcgc::make<List>();
  if (order_first) gc::collect(0);  // ordered: one object
  Ref<List> holder = rcgc::make<List>();
  holder->append(from_a);
  gc::collect(generation);
}

TEST(MisuseDeathTest, ForeignObjectReferencedFromCollectedHeap) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(
      collect_with_foreign_object(false),
      "rcgc: fatal: object 0x[0-9a-f]+ of type .*Node.* belongs to heap [0-9]+ but is referenced "
      "from an object of heap [0-9]+: objects must not cross heaps");
}

// The same found by a young collection that checks the order first.
TEST(MisuseDeathTest, ForeignObjectFoundByTheOrderCheck) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(collect_with_foreign_object(true),
                "belongs to heap [0-9]+ but is referenced from an object of heap [0-9]+");
}

// The same found by a full collection.
TEST(MisuseDeathTest, ObjectPointingIntoAnotherHeap) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(collect_with_foreign_object(false, gc::kNumGenerations - 1),
                "belongs to heap [0-9]+ but is referenced from an object of heap [0-9]+");
}

// --- traverse reporting something that is not an rcgc object ---------------

// A weak reference to an object not made by make<T>() (always on).
TEST(MisuseDeathTest, WeakRefToObjectNotMadeByMake) {
  EXPECT_MISUSE(
      {
        Node on_stack;
        Ref<Node> r(&on_stack);
        rcgc::WeakRef<Node> w(r);
      },
      "rcgc: fatal: weak reference to 0x[0-9a-f]+ \\(type .*Node.*\\), which was not made by "
      "rcgc::make");
}

// traverse() reports a raw pointer it holds without a reference: to an
// object make<T>() did not create (here: on the stack), or to one already
// freed. Debug builds stop with a fatal error naming the reporting object
// and the bad pointer.
struct VisitsRawPointer : rcgc::Object {
  const Node* raw = nullptr;
  void traverse(rcgc::Visitor& visit) const override { visit(raw); }
};
TEST(MisuseDeathTest, TraverseReportsObjectNotMadeByMake) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Node on_stack;
        Ref<VisitsRawPointer> r = rcgc::make<VisitsRawPointer>();
        r->raw = &on_stack;
        gc::collect();
      },
      "rcgc: fatal: traverse of .*VisitsRawPointer.* reported 0x[0-9a-f]+ .*which was not "
      "made by rcgc::make");
}

TEST(MisuseDeathTest, TraverseReportsFreedObject) {
  if (RCGC_DEBUG_LEVEL < 1) GTEST_SKIP() << "checked in debug builds";
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        Ref<VisitsRawPointer> r = rcgc::make<VisitsRawPointer>();
        r->raw = rcgc::make<Node>().get();  // freed at once
        gc::collect();
      },
      // Under UBSan the sanitizer sees the freed header first (invalid vptr).
      "rcgc: fatal: traverse of .*VisitsRawPointer.* reported 0x[0-9a-f]+, which is not a live "
      "rcgc object|invalid vptr|heap-use-after-free");
}

// --- a heap used by two threads at once ------------------------------------

TEST(MisuseDeathTest, HeapEnteredOnTwoThreads) {
  EXPECT_MISUSE(
      {
        rcgc::Heap h;
        auto s = h.enter();
        std::thread t([&] { auto s2 = h.enter(); });
        t.join();
      },
      "rcgc: fatal: heap [0-9]+ is already current on another thread");
}

// --- destroying a heap that still has reachable objects ---------------------

// Documented result (not a death): the heap's memory stays ("orphaned"), a
// line on stderr in debug builds, the survivors stay valid and usable, and
// releasing them later frees them into the orphaned heap.
TEST(Misuse, HeapDestroyedWithReachableObjects) {
  ++misuses_tried;
  live_nodes = 0;
  Ref<Node> survivor;
  rcgc::WeakRef<Node> weak;
  auto h = std::make_unique<rcgc::Heap>();
  {
    auto s = h->enter();
    survivor = rcgc::make<Node>(1);
    survivor->next = rcgc::make<Node>(2);
    survivor->next->next = survivor;  // a cycle, reachable from outside
    survivor->other = rcgc::make<Blob>("kept");
    weak = rcgc::WeakRef<Node>(survivor);
    Ref<Node> garbage = rcgc::make<Node>(3);
    garbage->next = garbage;  // unreachable: collected by the teardown
  }
  testing::internal::CaptureStderr();
  h.reset();
  std::string err = testing::internal::GetCapturedStderr();
  if (RCGC_DEBUG_LEVEL >= 1) {
    EXPECT_NE(err.find("rcgc: heap "), std::string::npos) << err;
    EXPECT_NE(err.find("destroyed while 4 objects are still referenced"), std::string::npos)
        << err;
  }
  EXPECT_EQ(live_nodes, 3);  // the cycle and the blob; the garbage cycle went
  EXPECT_EQ(survivor->value, 1);
  EXPECT_EQ(survivor->next->value, 2);
  EXPECT_EQ(weak.lock(), survivor);
  // Still usable: links change, references are released into the old heap.
  survivor->other = nullptr;
  EXPECT_EQ(live_nodes, 2);
  survivor->next->next = nullptr;
  survivor.reset();
  EXPECT_EQ(live_nodes, 0);
  EXPECT_TRUE(weak.expired());
}

}  // namespace
