// Weak references and proxies, at refcount death and in collections.
#include "fixture.hpp"

using namespace rcgc_test;
namespace gc = rcgc::gc;
using rcgc::Ref;
using rcgc::WeakRef;

namespace {

class WeakRefTest : public HeapTest {};

TEST_F(WeakRefTest, LockAndExpired) {
  Ref<Node> a = rcgc::make<Node>(7);
  WeakRef<Node> w(a);
  EXPECT_EQ(rcgc::getrefcount(a), 1u);
  EXPECT_FALSE(w.expired());
  EXPECT_EQ(w.lock().get(), a.get());
  EXPECT_EQ(w()->value, 7);
  a.reset();
  EXPECT_TRUE(w.expired());
  EXPECT_FALSE(w.lock());
}

TEST_F(WeakRefTest, EmptyHandle) {
  WeakRef<Node> w;
  EXPECT_TRUE(w.expired());
  EXPECT_FALSE(w.lock());
  WeakRef<Node> from_null{Ref<Node>()};
  EXPECT_TRUE(from_null.expired());
}

TEST_F(WeakRefTest, CallbackOnceWithTheWeakRef) {
  Ref<Node> a = rcgc::make<Node>();
  int calls = 0;
  const rcgc::Object* seen = nullptr;
  WeakRef<Node> w(a, [&](WeakRef<Node>& self) {
    ++calls;
    seen = self.object().get();
    EXPECT_TRUE(self.expired());
  });
  WeakRef<Node> copy = w;  // the same weak reference
  a.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, w.object().get());
}

TEST_F(WeakRefTest, CallbackWithoutArgument) {
  Ref<Node> a = rcgc::make<Node>();
  int calls = 0;
  WeakRef<Node> w(a, [&] { ++calls; });
  a.reset();
  EXPECT_EQ(calls, 1);
}

TEST_F(WeakRefTest, DeadWeakRefDoesNotCallBack) {
  Ref<Node> a = rcgc::make<Node>();
  int calls = 0;
  {
    WeakRef<Node> w(a, [&] { ++calls; });
  }
  a.reset();
  EXPECT_EQ(calls, 0);
}

TEST_F(WeakRefTest, BasicRefIsShared) {
  Ref<Node> a = rcgc::make<Node>();
  WeakRef<Node> w1(a), w2(a);
  EXPECT_TRUE(w1 == w2);
  WeakRef<Node> w3(a, [] {});
  EXPECT_FALSE(w1 == w3);
  EXPECT_EQ(rcgc::detail::weakref_count(a.get()), 2u);
}

TEST_F(WeakRefTest, CallbacksRunNewestFirst) {
  Ref<Node> a = rcgc::make<Node>();
  std::vector<int> order;
  WeakRef<Node> w1(a, [&] { order.push_back(1); });
  WeakRef<Node> w2(a, [&] { order.push_back(2); });
  WeakRef<Node> basic(a);
  a.reset();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST_F(WeakRefTest, CallbackWhenCollectorFreesTarget) {
  int calls = 0;
  WeakRef<Node> w;
  {
    Ref<Node> a = rcgc::make<Node>();
    a->next = a;
    w = WeakRef<Node>(a, [&] { ++calls; });
  }
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(gc::collect(), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(w.expired());
}

// A weakref held by the trash itself: cleared, no callback (CPython's rule).
struct Holder : Node {
  WeakRef<Node> w;
  void traverse(rcgc::Visitor& visit) const override {
    Node::traverse(visit);
    visit(w);
  }
};

TEST_F(WeakRefTest, WeakRefInTrashDoesNotCallBack) {
  int calls = 0;
  {
    Ref<Holder> h = rcgc::make<Holder>();
    Ref<Node> target = rcgc::make<Node>();
    h->next = target;
    target->next = h;
    h->w = WeakRef<Node>(target, [&] { ++calls; });
  }
  EXPECT_EQ(gc::collect(), 3u);  // holder, target, and the weakref object
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(live_nodes, 0);
}

// Weakrefs to the trash are cleared before any finalizer of the trash runs.
struct Peeker : Node {
  static inline int saw_alive = -1;
  WeakRef<Node> peek;
  void traverse(rcgc::Visitor& visit) const override {
    Node::traverse(visit);
    visit(peek);
  }
  void finalize() override { saw_alive = peek.expired() ? 0 : 1; }
};

TEST_F(WeakRefTest, WeakRefsClearedBeforeFinalizers) {
  Ref<Peeker> outside = rcgc::make<Peeker>();  // reachable, finalized later
  {
    Ref<Peeker> p = rcgc::make<Peeker>();
    Ref<Node> other = rcgc::make<Node>();
    p->next = other;
    other->next = p;
    p->peek = WeakRef<Node>(other);
  }
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(Peeker::saw_alive, 0);
}

TEST_F(WeakRefTest, CallbackMayResurrectNothingFromTrash) {
  // The callback runs after every weakref to the trash is cleared: what it
  // can reach through weakrefs is already gone.
  WeakRef<Node> w_other;
  bool other_expired_in_callback = false;
  WeakRef<Node> w;
  {
    Ref<Node> a = rcgc::make<Node>(), b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
    w_other = WeakRef<Node>(b);
    w = WeakRef<Node>(a, [&] { other_expired_in_callback = w_other.expired(); });
  }
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_TRUE(other_expired_in_callback);
}

TEST_F(WeakRefTest, CallbackExceptionGoesToHook) {
  std::vector<std::string> where;
  auto previous = rcgc::set_unraisable_hook(
      [&](std::exception_ptr, const std::string& w) { where.push_back(w); });
  Ref<Node> a = rcgc::make<Node>();
  WeakRef<Node> w(a, [] { throw std::runtime_error("callback failed"); });
  a.reset();
  ASSERT_EQ(where.size(), 1u);
  EXPECT_NE(where[0].find("callback"), std::string::npos);
  rcgc::set_unraisable_hook(previous);
}

TEST_F(WeakRefTest, WeakRefToUntrackedObject) {
  Ref<Blob> b = rcgc::make<Blob>("x");
  WeakRef<Blob> w(b);
  EXPECT_EQ(w.lock()->text, "x");
  b.reset();
  EXPECT_TRUE(w.expired());
}

TEST_F(WeakRefTest, ProxyAccessAndReferenceError) {
  Ref<Node> a = rcgc::make<Node>(5);
  rcgc::WeakProxy<Node> p(a);
  EXPECT_EQ(p->value, 5);
  p->value = 6;
  EXPECT_EQ(a->value, 6);
  EXPECT_TRUE(p == a);
  EXPECT_EQ(rcgc::getrefcount(a), 1u);
  a.reset();
  EXPECT_TRUE(p.expired());
  EXPECT_THROW((void)p->value, rcgc::ReferenceError);
  EXPECT_THROW(p.get(), rcgc::ReferenceError);
}

TEST_F(WeakRefTest, ProxyWithCallback) {
  int calls = 0;
  Ref<Node> a = rcgc::make<Node>();
  rcgc::WeakProxy<Node> p(a, [&] { ++calls; });
  a.reset();
  EXPECT_EQ(calls, 1);
}

TEST_F(WeakRefTest, WeakRefObjectIsTracked) {
  Ref<Node> a = rcgc::make<Node>();
  WeakRef<Node> w(a);
  EXPECT_TRUE(gc::is_tracked(w.object()));
  EXPECT_EQ(w.object()->type_name(), "weakref.ReferenceType");
}

}  // namespace
