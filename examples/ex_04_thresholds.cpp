// Seeds 003/004: generations, thresholds and counts.
//
//   gc.get_threshold() -> (700, 10, 10)
//   gc.isenabled(); gc.set_threshold(700, 10, 10)
// A generation-0 collection runs when allocations minus deallocations of
// tracked objects pass threshold0; generation 1 after threshold1 collections
// of generation 0; generation 2 after threshold2 of generation 1 (and only
// when 25% of the long-lived objects are new).
#include <cstdio>
#include <vector>

#include <rcgc/rcgc.hpp>

namespace gc = rcgc::gc;

struct Node : rcgc::Object {
  rcgc::Ref<Node> next;
  void traverse(rcgc::Visitor& visit) const override { visit(next); }
};

static void show(const char* what) {
  auto c = gc::get_count();
  auto s = gc::get_stats();
  std::printf("%-48s count=(%d, %d, %d)  collections=(%zu, %zu, %zu)\n", what, c[0], c[1], c[2],
              s[0].collections, s[1].collections, s[2].collections);
}

int main() {
  auto t = gc::get_threshold();
  std::printf("gc.get_threshold() -> (%d, %d, %d)\n", t[0], t[1], t[2]);
  std::printf("gc.isenabled() -> %s\n", gc::isenabled() ? "True" : "False");
  show("start");

  std::vector<rcgc::Ref<Node>> keep;
  for (int i = 0; i < 700; ++i) keep.push_back(rcgc::make<Node>());
  show("after 700 new objects");
  keep.push_back(rcgc::make<Node>());
  show("after the 701st (gen 0 collected)");

  for (int i = 0; i < 701 * 10; ++i) keep.push_back(rcgc::make<Node>());
  show("after 7010 more (gen 0 collected 10 more times)");

  auto id = gc::add_callback([](gc::Phase phase, const gc::CollectInfo& info) {
    if (phase == gc::Phase::stop)
      std::printf("  callback: generation %d examined %zu objects, collected %zu\n",
                  info.generation, info.candidates, info.collected);
  });
  keep.resize(100);  // frees 7611 objects by reference counting
  show("after dropping most of them");
  for (int i = 0; i < 701; ++i) keep.push_back(rcgc::make<Node>());
  gc::remove_callback(id);

  gc::set_threshold(0);
  std::printf("gc.set_threshold(0): automatic collection off\n");
  for (int i = 0; i < 5000; ++i) keep.push_back(rcgc::make<Node>());
  show("after 5000 more");
  gc::set_threshold(700, 10, 10);
  std::printf("gc.collect() -> %zu\n", gc::collect());
  show("after a full collection");
  return 0;
}
