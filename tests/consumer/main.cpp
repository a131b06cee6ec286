// A downstream program: a cycle, collected.
#include <cstdio>

#include <rcgc/rcgc.hpp>

struct Node : rcgc::Object {
  rcgc::Ref<Node> next;
  void traverse(rcgc::Visitor& visit) const override { visit(next); }
};

int main() {
  auto a = rcgc::make<Node>();
  a->next = rcgc::make<Node>();
  a->next->next = a;
  a.reset();
  std::size_t n = rcgc::gc::collect();
  std::printf("consumer: collected %zu\n", n);
  return n == 2 ? 0 : 1;
}
