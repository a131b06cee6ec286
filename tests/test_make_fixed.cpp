// make_fixed<T>: an object whose references are those its constructor is
// given (a Python tuple) is made without a GC header when no argument holds
// a tracked object, and as make<T> makes it otherwise.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/pool.hpp"
#include "fixture.hpp"

using rcgc::Ref;
using rcgc::WeakRef;
using rcgc_test::Blob;
using rcgc_test::HeapTest;
using rcgc_test::List;
using rcgc_test::live_nodes;
using rcgc_test::Node;
namespace gc = rcgc::gc;

namespace {

// A pair with fixed references: a vtable, the count, flags and heap id, two
// references: 32 bytes, 48 with the GC header.
struct Pair : rcgc::Object {
  const Ref<rcgc::Object> first, second;
  Pair(Ref<rcgc::Object> a, Ref<rcgc::Object> b) : first(std::move(a)), second(std::move(b)) {
    ++live_nodes;
  }
  ~Pair() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override {
    visit(first);
    visit(second);
  }
  bool references_fixed() const noexcept override { return true; }
};
static_assert(sizeof(Pair) == 32);

// A fixed node of a chain, with a number and a name (arguments make_fixed
// sees through: they hold no references).
struct Link : rcgc::Object {
  const Ref<Link> next;
  const int value;
  const std::string name;
  Link(Ref<Link> n, int v, std::string s) : next(std::move(n)), value(v), name(std::move(s)) {
    ++live_nodes;
  }
  ~Link() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override { visit(next); }
  bool references_fixed() const noexcept override { return true; }
};

// Its items come in a container make_fixed cannot see into.
struct Tuple : rcgc::Object {
  const std::vector<Ref<rcgc::Object>> items;
  explicit Tuple(std::vector<Ref<rcgc::Object>> i) : items(std::move(i)) { ++live_nodes; }
  ~Tuple() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
  bool references_fixed() const noexcept override { return true; }
};

// Breaks the promise: its constructor takes a tracked object from elsewhere.
struct Sneaky : Pair {
  Sneaky() : Pair(rcgc::make<List>(), nullptr) {}
};
// Breaks it the other way: says its references may still change.
struct Unsure : Pair {
  using Pair::Pair;
  bool references_fixed() const noexcept override { return false; }
};
// A constructor that throws after taking its arguments; it notes where it
// was constructed.
struct Throws : Pair {
  static inline const void* at = nullptr;
  Throws(Ref<rcgc::Object> a) : Pair(std::move(a), nullptr) {
    at = this;
    throw std::runtime_error("no");
  }
};
static_assert(sizeof(Throws) == sizeof(Pair));
// A pointer make_fixed cannot see through: to a type it cannot see.
struct Opaque;
struct HoldsOpaque : Pair {
  Opaque* const opaque;
  explicit HoldsOpaque(Opaque* o) : Pair(nullptr, nullptr), opaque(o) {}
};
// Arguments of each kind make_fixed sees through but Refs.
enum class Colour { red, green };
struct Mixed : rcgc::Object {
  const Ref<rcgc::Object> held;
  const Colour colour;
  const std::string text;
  Mixed(rcgc::Object* p, Colour c, std::string_view t) : held(p), colour(c), text(t) {
    ++live_nodes;
  }
  ~Mixed() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override { visit(held); }
  bool references_fixed() const noexcept override { return true; }
};

// Whether op's block starts at op (no header before it). Only the pools
// can say; elsewhere (RCGC_MALLOC=malloc, mimalloc) the test checks what
// the collector sees only.
bool headless(const rcgc::Object* op) {
  if (!rcgc::detail::Allocator::pools_enabled() || rcgc::detail::Allocator::debug_enabled())
    return !gc::is_tracked(op);
  return rcgc::detail::PoolAllocator::is_block_start(op) &&
         rcgc::detail::PoolAllocator::block_size(op) == sizeof(Pair);
}
bool pools_only() {
  return rcgc::detail::Allocator::pools_enabled() && !rcgc::detail::Allocator::debug_enabled();
}

class MakeFixedTest : public HeapTest {
 protected:
  // Drops the only reference to a chain of n counted objects: all of them
  // die, their memory with them.
  template <class T>
  void expect_chain_dies(Ref<T>& head, int n) {
    EXPECT_EQ(live_nodes, n);
    head.reset();
    EXPECT_EQ(live_nodes, 0);
    EXPECT_EQ(heap().live_objects(), 0u);
  }
};

TEST_F(MakeFixedTest, ArgumentsHoldingNothingTrackedGiveNoHeader) {
  Ref<Blob> atom = rcgc::make<Blob>("x");
  Ref<Pair> leaf = rcgc::make_fixed<Pair>(nullptr, nullptr);
  Ref<Pair> p = rcgc::make_fixed<Pair>(leaf, atom);
  EXPECT_FALSE(gc::is_tracked(leaf));
  EXPECT_FALSE(gc::is_tracked(p));
  EXPECT_TRUE(headless(leaf.get()));
  EXPECT_TRUE(headless(p.get()));
  EXPECT_EQ(p->first.get(), leaf.get());
  EXPECT_EQ(rcgc::getrefcount(leaf), 2u);
  EXPECT_EQ(heap().live_objects(), 3u);
  // make<T> gives the same object a header, and leaves it untracked.
  Ref<Pair> q = rcgc::make<Pair>(leaf, atom);
  EXPECT_FALSE(gc::is_tracked(q));
  if (pools_only()) {
    EXPECT_FALSE(rcgc::detail::PoolAllocator::is_block_start(q.get()));
  }
  // An untracked object is no collector's business: not in get_objects,
  // not among the referrers (as CPython's untracked tuples).
  for (const auto& op : gc::get_objects()) EXPECT_NE(op.get(), p.get());
  const rcgc::ObjectList referrers = gc::get_referrers(leaf);
  EXPECT_EQ(std::count_if(referrers.begin(), referrers.end(),
                          [&](const auto& r) { return r.get() == p.get(); }),
            0);
  // Its references are visited as any object's.
  const rcgc::ObjectList refs = gc::get_referents(p.get());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].get(), leaf.get());
  EXPECT_EQ(refs[1].get(), atom.get());
}

TEST_F(MakeFixedTest, DiesByReferenceCountingWithWhatItHolds) {
  Ref<Pair> p = rcgc::make_fixed<Pair>(rcgc::make_fixed<Pair>(nullptr, nullptr),
                                       rcgc::make<Blob>("y"));
  EXPECT_EQ(live_nodes, 3);
  EXPECT_EQ(heap().live_objects(), 3u);
  p.reset();
  EXPECT_EQ(live_nodes, 0);
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST_F(MakeFixedTest, TrackedArgumentGivesTrackedObjectInCollectableCycle) {
  // Python: l = []; t = (l,); l.append(t); del l, t; gc.collect() == 2
  Ref<List> l = rcgc::make<List>();
  Ref<Pair> t = rcgc::make_fixed<Pair>(l, nullptr);
  EXPECT_TRUE(gc::is_tracked(t));
  EXPECT_FALSE(headless(t.get()) && pools_only());
  l->append(t);
  l.reset();
  t.reset();
  EXPECT_EQ(live_nodes, 2);
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(live_nodes, 0);
}

TEST_F(MakeFixedTest, FrozenArgumentIsTracked) {
  Ref<List> l = rcgc::make<List>();
  gc::freeze();
  Ref<Pair> t = rcgc::make_fixed<Pair>(l, nullptr);
  EXPECT_TRUE(gc::is_tracked(t));
  gc::unfreeze();
}

TEST_F(MakeFixedTest, ArgumentOfAnotherHeapIsTracked) {
  rcgc::Heap other;
  Ref<Pair> foreign;
  {
    auto scope = other.enter();
    foreign = rcgc::make_fixed<Pair>(nullptr, nullptr);
    EXPECT_FALSE(gc::is_tracked(foreign));
  }
  Ref<Pair> t = rcgc::make_fixed<Pair>(foreign, nullptr);
  EXPECT_TRUE(gc::is_tracked(t));
  t.reset();
  foreign.reset();
  EXPECT_EQ(other.live_objects(), 0u);
}

TEST_F(MakeFixedTest, ArgumentsItCannotSeeThroughMakeItAsMake) {
  // The vector's items are untracked, but make_fixed cannot know: the object
  // gets its header, and make<T> leaves it untracked.
  Ref<Tuple> t = rcgc::make_fixed<Tuple>(
      std::vector<Ref<rcgc::Object>>{rcgc::make<Blob>("a"), rcgc::make<Blob>("b")});
  EXPECT_FALSE(gc::is_tracked(t));
  if (pools_only()) {
    EXPECT_FALSE(rcgc::detail::PoolAllocator::is_block_start(t.get()));
  }
  // With a tracked item, it is tracked, and a cycle through it is collected.
  Ref<List> l = rcgc::make<List>();
  Ref<Tuple> u = rcgc::make_fixed<Tuple>(std::vector<Ref<rcgc::Object>>{l});
  EXPECT_TRUE(gc::is_tracked(u));
  l->append(u);
  l.reset();
  u.reset();
  EXPECT_EQ(gc::collect(), 2u);
}

TEST_F(MakeFixedTest, PointerToAnIncompleteTypeMakesItAsMake) {
  static_assert(!rcgc::detail::ObjectPointer<Opaque*>);
  static_assert(!rcgc::detail::ObjectPointer<void*>);
  static_assert(rcgc::detail::ObjectPointer<const Pair*>);
  Ref<HoldsOpaque> h = rcgc::make_fixed<HoldsOpaque>(static_cast<Opaque*>(nullptr));
  EXPECT_FALSE(gc::is_tracked(h));  // make<T>'s check: it holds nothing tracked
  if (pools_only()) {
    EXPECT_FALSE(rcgc::detail::PoolAllocator::is_block_start(h.get()));
  }
}

TEST_F(MakeFixedTest, NumbersAndStringsAreSeenThrough) {
  Ref<Link> a = rcgc::make_fixed<Link>(nullptr, 1, "one");  // a string literal
  Ref<Link> b = rcgc::make_fixed<Link>(a, 2, std::string("two"));
  EXPECT_FALSE(gc::is_tracked(a));
  EXPECT_FALSE(gc::is_tracked(b));
  EXPECT_TRUE(rcgc::detail::PoolAllocator::is_block_start(a.get()) || !pools_only());
  EXPECT_TRUE(rcgc::detail::PoolAllocator::is_block_start(b.get()) || !pools_only());
  EXPECT_EQ(b->next->name, "one");
  // A raw pointer to an untracked object, an enumeration, a string_view.
  Ref<Mixed> m = rcgc::make_fixed<Mixed>(a.get(), Colour::green, std::string_view("three"));
  EXPECT_FALSE(gc::is_tracked(m));
  EXPECT_TRUE(rcgc::detail::PoolAllocator::is_block_start(m.get()) || !pools_only());
  EXPECT_EQ(rcgc::getrefcount(a), 3u);
  // A raw pointer to a tracked object: tracked, with its header.
  Ref<List> l = rcgc::make<List>();
  Ref<Mixed> n = rcgc::make_fixed<Mixed>(l.get(), Colour::red, std::string_view("four"));
  EXPECT_TRUE(gc::is_tracked(n));
  if (pools_only()) {
    EXPECT_FALSE(rcgc::detail::PoolAllocator::is_block_start(n.get()));
  }
}

TEST_F(MakeFixedTest, ConstructorTakingATrackedObjectIsFatal) {
  EXPECT_DEATH((void)rcgc::make_fixed<Sneaky>(),
               "make_fixed<.*Sneaky.*>: the new object references a tracked object");
}

TEST_F(MakeFixedTest, ReferencesNotYetFixedIsFatal) {
  EXPECT_DEATH((void)rcgc::make_fixed<Unsure>(nullptr, nullptr),
               "make_fixed<.*Unsure.*>: .*references_fixed\\(\\) answers false");
}

TEST_F(MakeFixedTest, ConstructorThatThrowsLosesNothing) {
  Ref<Pair> arg = rcgc::make_fixed<Pair>(nullptr, nullptr);
  const std::size_t before = heap().live_objects();
  Throws::at = nullptr;
  EXPECT_THROW((void)rcgc::make_fixed<Throws>(arg), std::runtime_error);
  EXPECT_EQ(heap().live_objects(), before);
  EXPECT_EQ(rcgc::getrefcount(arg), 1u);
  EXPECT_EQ(live_nodes, 1);
  // The block went back to its pool: the pools hand out the block freed
  // last first, so the next object of its size is made there.
  ASSERT_NE(Throws::at, nullptr);
  if (pools_only()) {
    Ref<Pair> next = rcgc::make_fixed<Pair>(nullptr, nullptr);
    EXPECT_EQ(static_cast<const void*>(next.get()), Throws::at);
  }
  // The same through make<T> (an argument holds a tracked object).
  Ref<List> l = rcgc::make<List>();
  Throws::at = nullptr;
  EXPECT_THROW((void)rcgc::make_fixed<Throws>(l), std::runtime_error);
  EXPECT_EQ(rcgc::getrefcount(l), 1u);
  ASSERT_NE(Throws::at, nullptr);
  if (pools_only()) {
    Ref<Pair> next = rcgc::make<Pair>(l, nullptr);  // tracked: the same lane
    EXPECT_EQ(static_cast<const void*>(next.get()), Throws::at);
  }
}

TEST_F(MakeFixedTest, LongChainDiesWithoutStackOverflow) {
  Ref<Link> head;
  for (int i = 0; i < 1'000'000; ++i) head = rcgc::make_fixed<Link>(std::move(head), i, "");
  EXPECT_FALSE(gc::is_tracked(head));
  expect_chain_dies(head, 1'000'000);
}

TEST_F(MakeFixedTest, LongChainWithWeakReferencesCallsEveryCallback) {
  // Every hundredth link has a weak reference with a callback: the deaths
  // the trashcan queues clear theirs before they wait.
  int calls = 0;
  std::vector<WeakRef<Link>> weak;
  Ref<Link> head;
  for (int i = 0; i < 200'000; ++i) {
    head = rcgc::make_fixed<Link>(std::move(head), i, "");
    if (i % 100 == 0) weak.emplace_back(head, [&](WeakRef<Link>& w) {
      EXPECT_TRUE(w.expired());
      ++calls;
    });
  }
  head.reset();
  EXPECT_EQ(live_nodes, 0);
  EXPECT_EQ(calls, 2000);
  for (auto& w : weak) EXPECT_TRUE(w.expired());
}

TEST_F(MakeFixedTest, WeakReferenceCallbackDeepInAChainReleasesAndCollects) {
  // A link 100 deep in a dying chain has a weak reference whose callback
  // (run while the trashcan queues the link) releases a second long chain
  // and collects a cycle: everything dies, the stack stays bounded.
  Ref<Link> other;
  for (int i = 0; i < 100'000; ++i) other = rcgc::make_fixed<Link>(std::move(other), i, "");
  Ref<List> a = rcgc::make<List>();
  Ref<List> b = rcgc::make<List>();
  a->append(b);
  b->append(a);
  a.reset();
  b.reset();
  Ref<Link> head;
  std::vector<WeakRef<Link>> weak;
  std::size_t collected = 0;
  int calls = 0;
  for (int i = 0; i < 200; ++i) {
    head = rcgc::make_fixed<Link>(std::move(head), i, "");
    if (i == 100) weak.emplace_back(head, [&](WeakRef<Link>&) {
      ++calls;
      other.reset();
      collected = gc::collect();
    });
  }
  EXPECT_EQ(live_nodes, 100'000 + 200 + 2);
  head.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(collected, 2u);
  EXPECT_EQ(live_nodes, 0);
  EXPECT_TRUE(weak[0].expired());
  weak.clear();  // the weak reference object itself
  EXPECT_EQ(heap().live_objects(), 0u);
}

TEST_F(MakeFixedTest, ChainOfHeaderlessAndHeadedLinksAlternating) {
  // make<T> gives a pair of untracked objects a header (untracked all the
  // same), make_fixed none: in one long chain of both, the trashcan's queue
  // holds both kinds of entry, one after the other.
  Ref<rcgc::Object> head;
  for (int i = 0; i < 300'000; ++i) {
    if (i % 2 == 0) {
      head = rcgc::make<Pair>(std::move(head), nullptr);
    } else {
      head = rcgc::make_fixed<Pair>(std::move(head), nullptr);
    }
    EXPECT_FALSE(gc::is_tracked(head));
  }
  expect_chain_dies(head, 300'000);
}

TEST_F(MakeFixedTest, HeaderlessObjectsInsideCollectedCycles) {
  // Lists in a cycle, each holding headerless pairs: the collection walks
  // past them and frees them with the cycle.
  Ref<List> a = rcgc::make<List>();
  Ref<List> b = rcgc::make<List>();
  for (int i = 0; i < 100; ++i) {
    a->append(rcgc::make_fixed<Pair>(rcgc::make_fixed<Pair>(nullptr, nullptr), nullptr));
    b->append(rcgc::make_fixed<Pair>(nullptr, rcgc::make<Blob>("z")));
  }
  a->append(b);
  b->append(a);
  Ref<Pair> kept = rcgc::make_fixed<Pair>(nullptr, nullptr);
  a->append(kept);
  a.reset();
  b.reset();
  EXPECT_EQ(gc::collect(), 2u);  // the lists; the rest dies by counting
  EXPECT_EQ(live_nodes, 1);
  EXPECT_EQ(rcgc::getrefcount(kept), 1u);
}

TEST_F(MakeFixedTest, WeakReferenceToHeaderlessObject) {
  Ref<Pair> p = rcgc::make_fixed<Pair>(nullptr, nullptr);
  int calls = 0;
  WeakRef<Pair> w(p, [&](WeakRef<Pair>&) { ++calls; });
  EXPECT_EQ(w.lock().get(), p.get());
  p.reset();
  EXPECT_TRUE(w.expired());
  EXPECT_EQ(calls, 1);
}

}  // namespace
