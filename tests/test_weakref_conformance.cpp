// The gc-related tests of CPython 3.11's Lib/test/test_weakref.py
// (ReferencesTestCase), ported to rcgc: weakref callbacks at death and during
// collection, weakrefs that are themselves cyclic trash, proxies, weakref
// reuse and counts. docs/conformance.md lists the rest and why it does not
// apply.
//
// A Python callback that is a bound method (c2.cb) holds its instance
// strongly and CPython's weakref traverses it. An rcgc callback is a C++
// callable the collector cannot see into, so the ports capture raw pointers
// (never a Ref, which would be an invisible strong reference) and, where
// the Python graph needs the bound method as an object, make it an explicit
// BoundMethod held by the trash.
#include <compare>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include "conformance_types.hpp"

using namespace rcgc_test;
using namespace conf;
namespace gc = rcgc::gc;
using rcgc::make;
using rcgc::Ref;
using rcgc::WeakProxy;
using rcgc::WeakRef;

namespace {

// TestBase: setUp() sets cbcalled = 0; callback(ref) increments it. Test
// bodies run with the gc enabled in test_weakref.py; the fixture disables it,
// and each test below that depends on automatic collection enables it.
class ReferencesTestCase : public HeapTest {
 protected:
  int cbcalled = 0;
  std::function<void()> callback() {
    return [this] { ++cbcalled; };
  }
};

using C = Instance;  // class C: def method(self): pass

Ref<Object> create_C() { return make<C>(); }
Ref<Object> create_function() { return make<Function>("f"); }
Ref<Object> create_bound_method() { return make<BoundMethod>(make<C>(), "method"); }

void check_basic_ref(const std::function<Ref<Object>()>& factory) {
  Ref<Object> o = factory();
  WeakRef<Object> ref(o);
  EXPECT_NE(ref.lock(), nullptr) << "weak reference to live object should be live";
  Ref<Object> o2 = ref.lock();
  EXPECT_EQ(o, o2) << "<ref>() should return original object if live";
}

TEST_F(ReferencesTestCase, test_basic_ref) {
  check_basic_ref(create_C);
  check_basic_ref(create_function);
  check_basic_ref(create_bound_method);
  // Live and dead reference (repr() has no C++ counterpart; expired() does).
  Ref<C> o = make<C>();
  WeakRef<C> wr(o);
  EXPECT_FALSE(wr.expired());
  o = nullptr;
  EXPECT_TRUE(wr.expired());
  EXPECT_EQ(live_nodes, 0);
}

void check_basic_callback(ReferencesTestCase* self, int& cbcalled,
                          const std::function<Ref<Object>()>& factory,
                          const std::function<void()>& cb) {
  (void)self;
  cbcalled = 0;
  Ref<Object> o = factory();
  WeakRef<Object> ref(o, cb);
  o = nullptr;
  gc::collect();
  EXPECT_EQ(cbcalled, 1) << "callback did not properly set 'cbcalled'";
  EXPECT_EQ(ref.lock(), nullptr) << "ref2 should be dead after deleting object reference";
}

TEST_F(ReferencesTestCase, test_basic_callback) {
  check_basic_callback(this, cbcalled, create_C, callback());
  check_basic_callback(this, cbcalled, create_function, callback());
  check_basic_callback(this, cbcalled, create_bound_method, callback());
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(ReferencesTestCase, test_cfunction) {
  // A function implemented in C is, in C++, an object without traverse():
  // weak references to untracked objects work the same way.
  Ref<Blob> f = make<Blob>("cfunction");
  ASSERT_FALSE(gc::is_tracked(f));
  WeakRef<Blob> wr(f);
  EXPECT_EQ(wr.lock(), f);
  f = nullptr;
  EXPECT_EQ(wr.lock(), nullptr);
  auto create_cfunction = [] { return Ref<Object>(make<Blob>("cfunction")); };
  check_basic_ref(create_cfunction);
  check_basic_callback(this, cbcalled, create_cfunction, callback());
}

TEST_F(ReferencesTestCase, test_multiple_callbacks) {
  Ref<C> o = make<C>();
  WeakRef<C> ref1(o, callback());
  WeakRef<C> ref2(o, callback());
  o = nullptr;
  gc::collect();
  EXPECT_EQ(ref1.lock(), nullptr) << "expected reference to be invalidated";
  EXPECT_EQ(ref2.lock(), nullptr) << "expected reference to be invalidated";
  EXPECT_EQ(cbcalled, 2) << "callback not called the right number of times";
}

TEST_F(ReferencesTestCase, test_multiple_selfref_callbacks) {
  // All references are invalidated before any callback is invoked: the
  // callback of the second reference sees the first one already dead.
  WeakRef<C> self_ref;
  std::vector<bool> seen_alive;
  auto cb = [&self_ref, &seen_alive] { seen_alive.push_back(!self_ref.expired()); };
  Ref<C> c = make<C>();
  self_ref = WeakRef<C>(c, cb);
  WeakRef<C> ref1(c, cb);
  c = nullptr;
  EXPECT_EQ(seen_alive, (std::vector<bool>{false, false}));
}

TEST_F(ReferencesTestCase, test_proxy_ref) {
  Ref<C> o = make<C>();
  (*o)["bar"] = make<Int>(1);
  WeakProxy<C> ref1(o, callback());
  WeakProxy<C> ref2(o, callback());
  o = nullptr;
  gc::collect();

  auto check = [](const WeakProxy<C>& proxy) { (void)proxy->get("bar"); };
  EXPECT_THROW(check(ref1), rcgc::ReferenceError);
  EXPECT_THROW(check(ref2), rcgc::ReferenceError);
  WeakProxy<C> ref3(make<C>());
  gc::collect();
  EXPECT_THROW((void)ref3.get(), rcgc::ReferenceError);  // bool(ref3)
  EXPECT_EQ(cbcalled, 2);
}

TEST_F(ReferencesTestCase, test_ref_reuse) {
  Ref<C> o = make<C>();
  WeakRef<C> ref1(o);
  // an intervening proxy creation makes no difference
  WeakProxy<C> proxy(o);
  WeakRef<C> ref2(o);
  EXPECT_TRUE(ref1 == ref2) << "reference object w/out callback should be re-used";

  o = make<C>();
  proxy = WeakProxy<C>(o);
  ref1 = WeakRef<C>(o);
  ref2 = WeakRef<C>(o);
  EXPECT_TRUE(ref1 == ref2) << "reference object w/out callback should be re-used";
  // weakref.getweakrefcount(o): a proxy is a weak reference of its own.
  EXPECT_EQ(rcgc::detail::weakref_count(o.get()), 2u) << "wrong weak ref count for object";
  proxy = WeakProxy<C>();
  gc::collect();
  EXPECT_EQ(rcgc::detail::weakref_count(o.get()), 1u)
      << "wrong weak ref count for object after deleting proxy";
}

TEST_F(ReferencesTestCase, test_proxy_reuse) {
  Ref<C> o = make<C>();
  WeakProxy<C> proxy1(o);
  WeakRef<C> ref(o);
  WeakProxy<C> proxy2(o);
  EXPECT_TRUE(proxy1.weakref() == proxy2.weakref())
      << "proxy object w/out callback should have been re-used";
}

void check_proxy(const Ref<C>& o, const WeakProxy<C>& proxy) {
  (*o)["foo"] = make<Int>(1);
  EXPECT_EQ(rcgc::ref_cast<Int>(proxy->get("foo"))->value, 1)
      << "proxy does not reflect attribute addition";
  (*o)["foo"] = make<Int>(2);
  EXPECT_EQ(rcgc::ref_cast<Int>(proxy->get("foo"))->value, 2)
      << "proxy does not reflect attribute modification";
  o->del("foo");
  EXPECT_FALSE(proxy->has("foo")) << "proxy does not reflect attribute removal";

  (*proxy)["foo"] = make<Int>(1);
  EXPECT_EQ(rcgc::ref_cast<Int>(o->get("foo"))->value, 1)
      << "object does not reflect attribute addition via proxy";
  (*proxy)["foo"] = make<Int>(2);
  EXPECT_EQ(rcgc::ref_cast<Int>(o->get("foo"))->value, 2)
      << "object does not reflect attribute modification via proxy";
  proxy->del("foo");
  EXPECT_FALSE(o->has("foo")) << "object does not reflect attribute removal via proxy";
}

TEST_F(ReferencesTestCase, test_basic_proxy) {
  Ref<C> o = make<C>();
  check_proxy(o, WeakProxy<C>(o));

  Ref<List> L = make<List>();  // collections.UserList()
  WeakProxy<List> p(L);
  EXPECT_TRUE(p->items.empty()) << "proxy for empty UserList should be false";
  p->append(make<Int>(12));
  EXPECT_EQ(L->items.size(), 1u);
  EXPECT_FALSE(p->items.empty()) << "proxy for non-empty UserList should be true";
  p->items = {make<Int>(2), make<Int>(3)};  // p[:] = [2, 3]
  EXPECT_EQ(L->items.size(), 2u);
  EXPECT_EQ(p->items.size(), 2u);
  p->items[1] = make<Int>(5);
  EXPECT_EQ(rcgc::ref_cast<Int>(L->items[1])->value, 5);
  EXPECT_EQ(rcgc::ref_cast<Int>(p->items[1])->value, 5);
  EXPECT_TRUE(p == L);  // a proxy compares equal to its referent
  L = nullptr;
  EXPECT_THROW((void)p->items.size(), rcgc::ReferenceError);
}

// weakref.ref(o, None) and weakref.proxy(o, None): "no callback". In C++ the
// None callback is an empty std::function.
template <class MakeRef>
void check_shared_without_callback(MakeRef makeref) {
  using Cb = std::function<void()>;
  Ref<C> o = make<C>();
  {
    auto p1 = makeref(o, Cb{});
    auto p2 = makeref(o, Cb{});
    EXPECT_TRUE(p1 == p2) << "both callbacks were None in the C API";
  }
  {
    auto p1 = makeref(o);
    auto p2 = makeref(o, Cb{});
    EXPECT_TRUE(p1 == p2) << "callbacks were NULL, None in the C API";
  }
  {
    auto p1 = makeref(o);
    auto p2 = makeref(o);
    EXPECT_TRUE(p1 == p2) << "both callbacks were NULL in the C API";
  }
  {
    auto p1 = makeref(o, Cb{});
    auto p2 = makeref(o);
    EXPECT_TRUE(p1 == p2) << "callbacks were None, NULL in the C API";
  }
  // And an empty callback is never called.
  int errors = 0;
  auto old = rcgc::set_unraisable_hook([&errors](std::exception_ptr, const std::string&) { ++errors; });
  {
    auto p = makeref(o, Cb{});
    o = nullptr;
  }
  rcgc::set_unraisable_hook(old);
  EXPECT_EQ(errors, 0);
}

struct MakeWeakRef {
  WeakRef<C> operator()(const Ref<C>& o) const { return WeakRef<C>(o); }
  WeakRef<C> operator()(const Ref<C>& o, std::function<void()> cb) const {
    return WeakRef<C>(o, std::move(cb));
  }
};
struct MakeWeakProxy {
  struct Handle {
    WeakProxy<C> p;
    friend bool operator==(const Handle& a, const Handle& b) {
      return a.p.weakref() == b.p.weakref();
    }
  };
  Handle operator()(const Ref<C>& o) const { return {WeakProxy<C>(o)}; }
  Handle operator()(const Ref<C>& o, std::function<void()> cb) const {
    return {WeakProxy<C>(o, std::move(cb))};
  }
};

TEST_F(ReferencesTestCase, test_shared_ref_without_callback) {
  check_shared_without_callback(MakeWeakRef{});
}

TEST_F(ReferencesTestCase, test_shared_proxy_without_callback) {
  check_shared_without_callback(MakeWeakProxy{});
}

// test_proxy_iter (bpo-38395): a method called through a proxy deletes the
// last strong reference to the referent; the proxy keeps the referent alive
// for the duration of the call.
struct KillsItself : Instance {
  static inline Ref<KillsItself>* obj = nullptr;
  bool alive_after = false;
  int iter() {
    *obj = nullptr;             // nonlocal obj; del obj
    alive_after = has("mark");  // still usable: the proxy pins it
    return 42;
  }
};

TEST_F(ReferencesTestCase, test_proxy_iter) {
  Ref<KillsItself> obj = make<KillsItself>();
  (*obj)["mark"] = make<Int>(1);
  KillsItself::obj = &obj;
  WeakProxy<KillsItself> p(obj);
  const Object* raw = obj.get();
  EXPECT_EQ(live_nodes, 2);
  EXPECT_EQ(p->iter(), 42);
  EXPECT_EQ(obj, nullptr);
  EXPECT_EQ(live_nodes, 0);  // died when the call through the proxy ended
  EXPECT_TRUE(p.expired());
  EXPECT_THROW((void)p.get(), rcgc::ReferenceError);
  (void)raw;
  KillsItself::obj = nullptr;
}

TEST_F(ReferencesTestCase, test_getweakrefcount) {
  using rcgc::detail::weakref_count;
  Ref<C> o = make<C>();
  {
    WeakRef<C> ref1(o);
    WeakRef<C> ref2(o, callback());
    EXPECT_EQ(weakref_count(o.get()), 2u) << "got wrong number of weak reference objects";

    WeakProxy<C> proxy1(o);
    WeakProxy<C> proxy2(o, callback());
    EXPECT_EQ(weakref_count(o.get()), 4u) << "got wrong number of weak reference objects";
  }
  gc::collect();
  EXPECT_EQ(weakref_count(o.get()), 0u)
      << "weak reference objects not unlinked from referent when discarded.";
  // ints do not support weakrefs in CPython; an untracked object has none.
  EXPECT_EQ(weakref_count(make<Int>(1).get()), 0u);
}

// test_callbacks_protected (SF bug #478534): a callback runs while an
// exception is propagating (the referent dies during stack unwinding); the
// exception is neither lost nor replaced.
struct BogusError : std::exception {};

TEST_F(ReferencesTestCase, test_callbacks_protected) {
  std::map<const void*, WeakRef<Function>> data;
  int removed = 0;
  auto encapsulate = [&] {
    Ref<Function> f = make<Function>("<lambda>");
    WeakRef<Function> key(f, [&data, &removed](WeakRef<Function>& k) {
      removed += static_cast<int>(data.erase(k.object().get()));
    });
    data.emplace(key.object().get(), key);
    throw BogusError();
  };
  for (int round = 0; round < 2; ++round) {
    bool caught = false;
    try {
      encapsulate();
    } catch (const BogusError&) {
      caught = true;
    }
    EXPECT_TRUE(caught) << "exception not properly restored";
  }
  EXPECT_EQ(removed, 2);
  EXPECT_TRUE(data.empty());
}

TEST_F(ReferencesTestCase, test_sf_bug_840829) {
  // A weakref callback that triggers gc must not expose an object being
  // deallocated to the collector (double deallocation).
  int collects = 0;
  auto collect_cb = [&collects] {
    gc::collect();
    ++collects;
  };
  {
    Ref<C> c = make<C>();
    WeakRef<C> wr(c, collect_cb);
    c = nullptr;
  }
  EXPECT_EQ(collects, 1);

  Ref<C> c1 = make<C>();
  (*c1)["i"] = make<C>();
  WeakRef<C> wr(rcgc::ref_cast<C>(c1->get("i")), collect_cb);
  Ref<C> c2 = make<C>();
  (*c2)["c1"] = c1;
  c1 = nullptr;  // still alive because c2 points to it
  c2 = nullptr;
  EXPECT_EQ(collects, 2);
  EXPECT_EQ(live_nodes, 0);
  heap().verify();
}

TEST_F(ReferencesTestCase, test_callback_in_cycle) {
  // J and II are classes (self-cycles); I holds J strongly and a weakref to
  // J whose callback is I's bound method; I.wr is part of the trash, so its
  // callback is never called.
  int called = 0;
  Ref<PyClass> J = PyClass::create("J");
  Ref<PyClass> II = PyClass::create("II");
  Ref<Instance> I = make<Instance>(II);
  (*I)["J"] = J;
  // The bound method I.acallback, which CPython's I.wr holds (through its
  // callback): I is in a cycle through it.
  (*I)["acallback"] = make<BoundMethod>(I, "acallback");
  Instance* raw_I = I.get();
  WeakRef<PyClass> wr(J, [raw_I, &called] {
    ++called;
    (void)raw_I->get("J");  // self.J
  });
  (*I)["wr"] = wr.object();
  wr.reset();
  I = nullptr;
  J = nullptr;
  II = nullptr;
  EXPECT_EQ(gc::collect(), 5u);  // I, I.wr, I.acallback, J, II
  EXPECT_EQ(called, 0);
  EXPECT_EQ(live_nodes, 0);
}

// c2.me = c2; c2.c1 = c1; c2.wr = weakref.ref(c1, c2.cb): c1 is reachable
// from c2 only; everything is trash and c2.wr's callback is not called.
template <class C1Type>
void check_callback_reachable_one_way() {
  int called = 0;
  Ref<C1Type> c1 = make<C1Type>();
  Ref<Instance> c2 = make<Instance>();
  (*c2)["me"] = c2;
  (*c2)["c1"] = c1;
  Instance* self = c2.get();
  WeakRef<C1Type> wr(c1, [self, &called] {
    ++called;
    (void)self->get("me");
    (void)self->get("c1");
    (void)self->get("wr");
  });
  (*c2)["wr"] = wr.object();
  wr.reset();
  c1 = nullptr;
  c2 = nullptr;
  // c1, c2, the weakref (CPython 3.11: 4, with the bound method c2.cb).
  EXPECT_EQ(gc::collect(), 3u);
  EXPECT_EQ(called, 0);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(ReferencesTestCase, test_callback_reachable_one_way) {
  check_callback_reachable_one_way<Instance>();
}

struct D : Instance {};  // a different class for c1

TEST_F(ReferencesTestCase, test_callback_different_classes) {
  check_callback_reachable_one_way<D>();
}

TEST_F(ReferencesTestCase, test_callback_in_cycle_resurrection) {
  // Weakref callbacks that would resurrect objects from dead cycles: the
  // weakrefs are part of the trash, so they are cleared without calling back.
  std::vector<std::string> alist;
  Ref<PyClass> Cls = PyClass::create("C");
  auto make_c = [&Cls](long value) {
    Ref<Instance> c = make<Instance>(Cls);
    (*c)["attribute"] = make<Int>(value);
    return c;
  };
  Ref<Instance> c1 = make_c(1), c2 = make_c(2);
  (*c1)["c"] = c2;
  (*c2)["c"] = c1;
  auto acallback = [&alist](Instance* self) {
    return [&alist, self] { alist.push_back(self->get("c") ? "resurrected" : "none"); };
  };
  WeakRef<Instance> w12(c2, acallback(c1.get()));
  WeakRef<Instance> w21(c1, acallback(c2.get()));
  (*c1)["wr"] = w12.object();
  (*c2)["wr"] = w21.object();
  w12.reset();
  w21.reset();

  WeakRef<PyClass> wr(Cls, [&alist] { alist.push_back("C went away"); });

  c1 = nullptr;
  c2 = nullptr;
  Cls = nullptr;  // make them all trash
  EXPECT_EQ(alist, std::vector<std::string>{});  // del isn't enough to reclaim anything

  gc::collect();
  // c1.wr and c2.wr were part of the trash: cleared without their callbacks.
  // The weakref to C is not trash, so its callback ran when C went away.
  EXPECT_EQ(alist, std::vector<std::string>{"C went away"});
  EXPECT_EQ(wr.lock(), nullptr);

  alist.clear();
  EXPECT_EQ(gc::collect(), 0u);
  EXPECT_EQ(alist, std::vector<std::string>{});
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(ReferencesTestCase, test_callbacks_on_callback) {
  // Weakref callbacks *on* weakref callbacks.
  std::vector<std::string> alist;
  auto safe_callback = [&alist] { alist.push_back("safe_callback called"); };
  auto cb = [&alist] { alist.push_back("cb called"); };

  Ref<Instance> c = make<Instance>(), d = make<Instance>();
  (*c)["other"] = d;
  (*d)["other"] = c;
  // callback = c.cb: the bound method object. CPython's c.wr holds it; here
  // c holds it (the same reachability: only from the trash).
  Ref<BoundMethod> callback = make<BoundMethod>(c, "cb");
  (*c)["cb"] = callback;
  WeakRef<Instance> c_wr(d, cb);                  // c.wr: this won't trigger
  WeakRef<BoundMethod> d_wr(callback, cb);        // d.wr: ditto
  WeakRef<BoundMethod> external_wr(callback, safe_callback);  // but this will
  (*c)["wr"] = c_wr.object();
  (*d)["wr"] = d_wr.object();
  c_wr.reset();
  d_wr.reset();
  EXPECT_EQ(external_wr.lock(), callback);

  callback = nullptr;
  c = nullptr;
  d = nullptr;
  EXPECT_EQ(alist, std::vector<std::string>{});  // del isn't enough to clean up cycles
  gc::collect();
  EXPECT_EQ(alist, std::vector<std::string>{"safe_callback called"});
  EXPECT_EQ(external_wr.lock(), nullptr);

  alist.clear();
  gc::collect();
  EXPECT_EQ(alist, std::vector<std::string>{});
  EXPECT_EQ(live_nodes, 0);
}

// check_gc_during_creation: with thresholds (1, 1, 1), creating a weak
// reference runs a collection that finds a weakref to the same referent
// (held by cyclic trash) and frees it.
template <class MakeRef>
void check_gc_during_creation(MakeRef makeref) {
  auto thresholds = gc::get_threshold();
  gc::enable();  // test_weakref.py runs with automatic collection on
  gc::set_threshold(1, 1, 1);
  gc::collect();
  int called = 0;
  auto callback = [&called] { ++called; };

  Ref<C> referenced = make<C>();
  Ref<C> a = make<C>();
  (*a)["a"] = a;
  (*a)["wr"] = makeref(referenced);
  // now make sure the object and the ref get labeled as cyclic trash:
  a = make<C>();
  WeakRef<C> w(referenced, callback);

  gc::disable();
  gc::set_threshold(thresholds[0], thresholds[1], thresholds[2]);
  gc::collect();
  EXPECT_EQ(called, 0);
  EXPECT_FALSE(w.expired());
  EXPECT_EQ(rcgc::detail::weakref_count(referenced.get()), 1u);
  EXPECT_EQ(live_nodes, 2);  // referenced and the new a
}

TEST_F(ReferencesTestCase, test_gc_during_ref_creation) {
  check_gc_during_creation([](const Ref<C>& o) { return WeakRef<C>(o).object(); });
}

TEST_F(ReferencesTestCase, test_gc_during_proxy_creation) {
  check_gc_during_creation([](const Ref<C>& o) { return WeakProxy<C>(o).weakref().object(); });
}

// Bug #1377858: a weakref created in __del__ must be cleared when the
// object dies after all.
struct Target : Instance {
  static inline WeakRef<Target> ref_from_del;
  void finalize() override { ref_from_del = WeakRef<Target>(Ref<Target>(this)); }
};

TEST_F(ReferencesTestCase, test_ref_created_during_del) {
  {
    Ref<Target> w = make<Target>();
  }
  EXPECT_TRUE(Target::ref_from_del.object());  // __del__ ran and made one
  EXPECT_TRUE(Target::ref_from_del.expired());
  EXPECT_EQ(live_nodes, 0);
  Target::ref_from_del.reset();
}

TEST_F(ReferencesTestCase, test_classes) {
  // Classes are weakly referenceable; the callback receives the weakref.
  Ref<PyClass> A = PyClass::create("A");
  std::vector<WeakRef<PyClass>> l;
  WeakRef<PyClass> a(A, [&l](WeakRef<PyClass>& w) { l.push_back(w); });  // l.append
  A = nullptr;
  gc::collect();
  EXPECT_EQ(a.lock(), nullptr);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_TRUE(l[0] == a);
}

template <class T>
concept Orderable = requires(const T& a, const T& b) { a < b; };

TEST_F(ReferencesTestCase, test_ordering) {
  // weakrefs cannot be ordered, even if the underlying objects can (alive or
  // dead): in C++ the comparison does not compile.
  static_assert(!Orderable<WeakRef<C>>);
  static_assert(Orderable<Ref<C>>);
  Ref<C> x = make<C>(), y = make<C>();
  WeakRef<C> a(x), b(y);
  EXPECT_FALSE(a == b);
  x = y = nullptr;
  gc::collect();
  EXPECT_TRUE(a.expired());
  EXPECT_FALSE(a == b);
}

// Issue #16602: a weakref to an object waiting in the trashcan (its count
// already 0, its deallocation delayed by a long chain) must not hand out a
// reference to it.
struct Chain16602 : Instance {
  WeakRef<Chain16602> wparent;
  static inline int dead_seen = 0;
  static inline int alive_seen = 0;
  void traverse(rcgc::Visitor& visit) const override {
    Instance::traverse(visit);
    visit(wparent);
  }
  void clear() override {
    Instance::clear();
    wparent.reset();
  }
};

// A minimal weakref.WeakKeyDictionary: key -> value, keys held weakly; the
// entry disappears (releasing the value) when the key dies.
struct WeakKeyDict {
  std::map<const Object*, std::pair<WeakRef<Chain16602>, Ref<Chain16602>>> data;
  void set(const Ref<Chain16602>& key, Ref<Chain16602> value) {
    const Object* k = key.get();
    WeakRef<Chain16602> w(key, [this, k] {
      auto it = data.find(k);
      if (it == data.end()) return;
      auto victim = std::move(it->second);
      data.erase(it);
    });
    data[k] = {std::move(w), std::move(value)};
  }
};

TEST_F(ReferencesTestCase, test_trashcan_16602) {
  Chain16602::dead_seen = Chain16602::alive_seen = 0;
  auto make_c = [](const Ref<Chain16602>& parent) {
    Ref<Chain16602> self = make<Chain16602>();
    if (!parent) return self;
    WeakRef<Chain16602> wself(self);
    self->wparent = WeakRef<Chain16602>(parent, [wself] {
      Ref<Chain16602> o = wself.lock();  // must be null or a live object
      if (o) {
        EXPECT_GT(rcgc::getrefcount(o), 1u);
        ++Chain16602::alive_seen;
      } else {
        ++Chain16602::dead_seen;
      }
    });
    return self;
  };
  {
    WeakKeyDict d;
    Ref<Chain16602> root = make_c(nullptr);
    Ref<Chain16602> c = root;
    for (int n = 0; n < 100; ++n) {
      Ref<Chain16602> next = make_c(c);
      d.set(c, next);
      c = next;
    }
    c = nullptr;
    root = nullptr;
    gc::collect();
    EXPECT_EQ(d.data.size(), 0u);
  }
  EXPECT_EQ(live_nodes, 0);
  heap().verify();
}

TEST_F(ReferencesTestCase, test_callback_attribute) {
  // ref.__callback__: whether the weak reference has a callback.
  Ref<C> x = make<C>();
  WeakRef<C> ref1(x, [] {});
  EXPECT_TRUE(ref1.object()->has_callback());
  WeakRef<C> ref2(x);
  EXPECT_FALSE(ref2.object()->has_callback());
}

TEST_F(ReferencesTestCase, test_callback_attribute_after_deletion) {
  Ref<C> x = make<C>();
  WeakRef<C> ref(x, callback());
  EXPECT_TRUE(ref.object()->has_callback());
  x = nullptr;
  gc::collect();
  EXPECT_FALSE(ref.object()->has_callback());
  EXPECT_EQ(cbcalled, 1);
}

struct ObjectWithDel : Instance {
  void finalize() override {}
};

TEST_F(ReferencesTestCase, test_callback_gcs) {
  // A weakref callback that collects, run while its referent (which has a
  // finalizer) is being deallocated.
  int calls = 0;
  Ref<ObjectWithDel> x = make<ObjectWithDel>();
  WeakRef<ObjectWithDel> ref1(x, [&calls] {
    gc::collect();
    ++calls;
  });
  x = nullptr;
  gc::collect();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(live_nodes, 0);
  heap().verify();
}

}  // namespace
