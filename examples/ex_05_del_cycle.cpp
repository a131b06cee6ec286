// Seed 003: "the last bug: __del__". A cycle a -> c -> b -> a where A and B
// have __del__. With Python 2's finalizers (legacy_finalize in rcgc) the
// collector cannot pick an order, so the cycle is uncollectable: A and B go
// to gc.garbage and the programmer breaks the cycle by hand. Python 3.4+
// (PEP 442, finalize in rcgc) collects the same cycle.
#include <cstdio>

#include <rcgc/rcgc.hpp>

namespace gc = rcgc::gc;
using rcgc::Ref;

struct Obj : rcgc::Object {
  Ref<Obj> aa, bb, cc;
  void traverse(rcgc::Visitor& visit) const override {
    visit(aa);
    visit(bb);
    visit(cc);
  }
};
struct A : Obj {
  void legacy_finalize() override { std::printf("__del__ in A\n"); }
  std::string type_name() const override { return "__main__.A"; }
};
struct B : Obj {
  void legacy_finalize() override { std::printf("__del__ in B\n"); }
  std::string type_name() const override { return "__main__.B"; }
};
struct C : Obj {
  std::string type_name() const override { return "__main__.C"; }
};
struct A3 : Obj {
  void finalize() override { std::printf("__del__ in A\n"); }
};
struct B3 : Obj {
  void finalize() override { std::printf("__del__ in B\n"); }
};

static void print_garbage() {
  std::printf("garbage:  [");
  const char* sep = "";
  for (auto& r : gc::garbage()) {
    std::printf("%s<%s object at %p>", sep, r->type_name().c_str(), static_cast<void*>(r.get()));
    sep = ", ";
  }
  std::printf("]\n");
}

int main() {
  std::printf("--- Python 2 semantics (legacy_finalize) ---\n");
  std::printf("collect:  %zu\n", gc::collect());
  print_garbage();
  {
    Ref<Obj> a = rcgc::make<A>(), b = rcgc::make<B>(), c = rcgc::make<C>();
    a->cc = c;
    c->bb = b;
    b->aa = a;
  }  // del a, b, c
  std::printf("collect:  %zu\n", gc::collect());
  print_garbage();
  // del gc.garbage[0].cc: we know the first object is a
  rcgc::ref_cast<Obj>(gc::garbage()[0])->cc = nullptr;
  gc::garbage().clear();  // del gc.garbage[:]
  print_garbage();
  std::printf("----------------------------\n");
  std::printf("collect:  %zu\n", gc::collect());
  print_garbage();

  std::printf("\n--- Python 3.4+ semantics (PEP 442 finalize) ---\n");
  {
    Ref<Obj> a = rcgc::make<A3>(), b = rcgc::make<B3>(), c = rcgc::make<C>();
    a->cc = c;
    c->bb = b;
    b->aa = a;
  }
  std::printf("collect:  %zu\n", gc::collect());
  print_garbage();
  return 0;
}
