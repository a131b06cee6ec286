// Seed 003: make_cycle() in a loop, then gc.collect().
//
//   def make_cycle():
//       l = {}
//       l[0] = l
//   collected = gc.collect()
//   print("Garbage collector: collected %d objects." % collected)
//   print("Creating cycles...")
//   for i in range(10): make_cycle()
//   collected = gc.collect()
//   print("Garbage collector: collected %d objects." % collected)
#include <cstdio>
#include <map>

#include <rcgc/rcgc.hpp>

namespace gc = rcgc::gc;

struct Dict : rcgc::Object {
  std::map<long, rcgc::Ref<rcgc::Object>> items;
  void traverse(rcgc::Visitor& visit) const override {
    for (auto& [key, value] : items) visit(value);
  }
};

static void make_cycle() {
  auto l = rcgc::make<Dict>();
  l->items[0] = l;  // the dict holds itself: its count never reaches 0
}

int main() {
  std::size_t collected = gc::collect();
  std::printf("Garbage collector: collected %zu objects.\n", collected);
  std::printf("Creating cycles...\n");
  for (int i = 0; i < 10; ++i) make_cycle();
  std::printf("(count before collecting: generation 0 holds %d new objects)\n",
              gc::get_count()[0]);
  collected = gc::collect();
  std::printf("Garbage collector: collected %zu objects.\n", collected);
  return collected == 10 ? 0 : 1;
}
