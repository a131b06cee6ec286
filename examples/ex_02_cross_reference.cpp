// Seeds 000/004: two lists that reference each other survive the function
// that made them; only the cycle collector frees them.
//
//   def foo():
//       list_a = [i for i in range(100000)]; list_b = [...]
//       list_a.append(list_b); list_b.append(list_a)
//   foo(); print(memory)   # not freed
//   gc.collect(); print(memory)   # freed
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <rcgc/rcgc.hpp>

namespace gc = rcgc::gc;

struct PyList : rcgc::Object {
  std::vector<rcgc::Ref<rcgc::Object>> items;
  void traverse(rcgc::Visitor& visit) const override {
    for (auto& r : items) visit(r);
  }
};
struct PyInt : rcgc::Object {  // untracked: holds no references
  long value;
  explicit PyInt(long v) : value(v) {}
};

static double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1024.0 * 1024.0);
}

static void foo(bool cross_reference) {
  auto list_a = rcgc::make<PyList>();
  auto list_b = rcgc::make<PyList>();
  for (long i = 0; i < 200000; ++i) {
    list_a->items.push_back(rcgc::make<PyInt>(i));
    list_b->items.push_back(rcgc::make<PyInt>(i));
  }
  if (cross_reference) {
    list_a->items.push_back(list_b);
    list_b->items.push_back(list_a);
  }
  std::printf("  inside foo: %.1f MiB, %zu objects alive\n", rss_mib(),
              rcgc::live_objects());
}

int main() {
  gc::disable();  // show reference counting alone first
  std::printf("start: %.1f MiB\n", rss_mib());

  std::printf("foo() without a cycle:\n");
  foo(false);
  std::printf("  after foo: %.1f MiB, %zu objects alive (local lists freed at return)\n",
              rss_mib(), rcgc::live_objects());

  std::printf("foo() with list_a.append(list_b); list_b.append(list_a):\n");
  foo(true);
  std::printf("  after foo: %.1f MiB, %zu objects alive (each list still has count 1)\n",
              rss_mib(), rcgc::live_objects());

  std::size_t n = gc::collect();
  std::printf("gc.collect() -> %zu\n", n);
  std::printf("  after collect: %.1f MiB, %zu objects alive\n", rss_mib(),
              rcgc::live_objects());

  std::printf("\nThe seed's Node example: a.next = b; b.next = a\n");
  struct Node : rcgc::Object {
    rcgc::Ref<Node> next;
    void traverse(rcgc::Visitor& visit) const override { visit(next); }
  };
  {
    auto a = rcgc::make<Node>();
    auto b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
    std::printf("  getrefcount(a) = %zu, getrefcount(b) = %zu\n", rcgc::getrefcount(a),
                rcgc::getrefcount(b));
  }
  std::printf("  after del a, b: gc.collect() -> %zu\n", gc::collect());
  return 0;
}
