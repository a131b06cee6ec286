// The code of ../shared/API.md, compiled and run as written (only wrapped in
// tests and given the declarations it leaves to the reader).
#include <gtest/gtest.h>

#include <algorithm>
#include <ranges>
#include <stdexcept>
#include <string>

#include <rcgc/rcgc.hpp>

namespace {

struct Node : rcgc::Object {
  rcgc::Ref<Node> next;
  rcgc::Ref<rcgc::Object> other;
  void traverse(rcgc::Visitor& visit) const override { visit(next); visit(other); }
  void clear() override { next = nullptr; other = nullptr; }   // break cycles
};

struct Blob : rcgc::Object { std::string text; };

int closer_calls = 0, old_calls = 0;
struct Closer : Node {
  void finalize() override { ++closer_calls; }
};
struct OldStyle : Node {
  void legacy_finalize() override { ++old_calls; }
};

TEST(ApiContract, ObjectsStrongReferencesHeaps) {
  rcgc::Heap heap;
  auto in_heap = heap.enter();

  rcgc::Ref<Node> a = rcgc::make<Node>();
  rcgc::Ref<Node> b = a;
  EXPECT_EQ(rcgc::getrefcount(a), 2u);
  a->next = a;
  b.reset(); a = nullptr;
  bool empty = !a;
  EXPECT_TRUE(empty);
  rcgc::Ref<rcgc::Object> base = rcgc::make<Node>();
  rcgc::Ref<Node> down = rcgc::ref_cast<Node>(base);
  Node* raw_node_ptr = down.get();
  rcgc::Ref<Node> self = rcgc::Ref<Node>(raw_node_ptr);
  EXPECT_EQ(self.get(), down.get());
  EXPECT_EQ(self.use_count(), 3);
  EXPECT_FALSE(rcgc::make<Blob>()->text.size());
  EXPECT_EQ(rcgc::gc::collect(), 1u);  // the self-cycle
}

TEST(ApiContract, WeakReferences) {
  rcgc::Heap heap;
  auto in_heap = heap.enter();
  rcgc::Ref<Node> a = rcgc::make<Node>();
  int calls = 0;
  auto callback = [&](rcgc::WeakRef<Node>&) { ++calls; };

  rcgc::WeakRef<Node> w(a);
  rcgc::WeakRef<Node> wc(a, callback);
  rcgc::Ref<Node> s = w.lock();
  bool gone = w.expired();
  EXPECT_FALSE(gone);
  rcgc::WeakProxy<Node> p(a);
  EXPECT_FALSE(p->next);
  s.reset();
  a.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(w.expired());
  EXPECT_THROW((void)p->next, rcgc::ReferenceError);  // API.md: `p->next;` throws
}

TEST(ApiContract, GcModule) {
  rcgc::Heap heap;
  auto in_heap = heap.enter();
  namespace gc = rcgc::gc;
  rcgc::Ref<Node> a = rcgc::make<Node>();

  std::size_t n = gc::collect();
  EXPECT_EQ(n, 0u);
  EXPECT_THROW(gc::collect(3), std::invalid_argument);
  gc::enable(); gc::disable(); bool on = gc::isenabled();
  EXPECT_FALSE(on);
  auto t = gc::get_threshold();
  EXPECT_TRUE(t[0] == 700 && t[1] == 10 && t[2] == 10);
  gc::set_threshold(100);
  auto c = gc::get_count();
  EXPECT_EQ(c[0] + c[1] + c[2], 0);  // reset by the full collection above
  auto st = gc::get_stats();
  EXPECT_EQ(st[2].collections, 1u);
  EXPECT_EQ(st[2].collected + st[2].uncollectable, 0u);
  auto& g = gc::garbage();
  EXPECT_EQ(g.size(), 0u);
  for (auto& item : g) (void)item;
  g.clear();
  gc::set_debug(gc::DEBUG_SAVEALL); unsigned f = gc::get_debug();
  EXPECT_EQ(f, 32u);
  gc::set_debug(0);

  int starts = 0, stops = 0;
  auto id = gc::add_callback([&](gc::Phase phase, const gc::CollectInfo& info) {
    if (phase == gc::Phase::start) {
      ++starts;
      EXPECT_EQ(info.duration, 0.0);
    } else {
      ++stops;
      EXPECT_EQ(info.generation, 2);
      EXPECT_EQ(info.collected + info.uncollectable, 0u);
      EXPECT_EQ(info.candidates, 1u);
    }
  });
  gc::collect();
  gc::remove_callback(id);
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(stops, 1);

  rcgc::Ref<Node> b = rcgc::make<Node>();
  b->next = a;
  auto all  = gc::get_objects();
  auto from = gc::get_referrers(a);
  auto to   = gc::get_referents(b);
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(std::ranges::count_if(all, [&](auto& r) { return r == a; }), 1);
  EXPECT_EQ(from.size(), 1u);
  EXPECT_TRUE(std::ranges::any_of(to, [&](auto& r) { return r == a; }));
  bool tracked   = gc::is_tracked(a);
  bool finalized = gc::is_finalized(a);
  EXPECT_TRUE(tracked);
  EXPECT_FALSE(finalized);
  gc::freeze(); gc::unfreeze(); std::size_t frozen = gc::get_freeze_count();
  EXPECT_EQ(frozen, 0u);
}

TEST(ApiContract, FinalizersAndUnraisableHook) {
  rcgc::Heap heap;
  auto in_heap = heap.enter();
  namespace gc = rcgc::gc;
  std::string where_seen;
  auto hook = [&](std::exception_ptr, const std::string& where) { where_seen = where; };
  auto previous = rcgc::set_unraisable_hook(hook);
  {
    rcgc::Ref<Node> c = rcgc::make<Closer>();
    c->next = c;
    rcgc::Ref<Node> o = rcgc::make<OldStyle>();
    o->next = o;
  }
  EXPECT_EQ(gc::collect(), 2u);
  EXPECT_EQ(closer_calls, 1);
  EXPECT_EQ(old_calls, 0);
  ASSERT_EQ(gc::garbage().size(), 1u);
  rcgc::ref_cast<Node>(gc::garbage()[0])->next = nullptr;
  gc::garbage().clear();
  EXPECT_EQ(old_calls, 1);
  rcgc::set_unraisable_hook(previous);
}

TEST(ApiContract, RawMemory) {
  void* p = rcgc::mem::malloc(100);
  ASSERT_NE(p, nullptr);
  p = rcgc::mem::realloc(p, 1000);
  ASSERT_NE(p, nullptr);
  void* z = rcgc::mem::calloc(10, 24);
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(z)[239], 0);
  rcgc::mem::free(p); rcgc::mem::free(z);
  std::string json = rcgc::mem::stats_json();
  EXPECT_EQ(json.front(), '{');
}

}  // namespace
