// Seed 003: weakref.ref and weakref.proxy.
//
//   a = Foo(); a.bar = 123
//   b = weakref.ref(a);   print(b().bar); print(a == b())
//   c = weakref.proxy(a); print(c.bar);   print(c == a)
//   del a   ->  b() is None; c.bar raises ReferenceError
#include <cstdio>

#include <rcgc/rcgc.hpp>

struct Foo : rcgc::Object {
  int bar = 0;
  int bar2 = 0;
};

int main() {
  auto a = rcgc::make<Foo>();
  a->bar = 123;
  a->bar2 = 123;

  rcgc::WeakRef<Foo> b(a, [] { std::printf("(callback: the Foo is gone)\n"); });
  std::printf("getrefcount(a) = %zu (a weak reference adds nothing)\n", rcgc::getrefcount(a));
  std::printf("b().bar -> %d\n", b()->bar);
  std::printf("a == b() -> %s\n", a == b() ? "True" : "False");

  rcgc::WeakProxy<Foo> c(a);
  std::printf("c.bar -> %d\n", c->bar);
  std::printf("c == a -> %s\n", c == a ? "True" : "False");

  std::printf("del a\n");
  a.reset();
  std::printf("b() -> %s\n", b() ? "<Foo>" : "None");
  try {
    std::printf("c.bar -> %d\n", c->bar);
  } catch (const rcgc::ReferenceError& e) {
    std::printf("c.bar -> ReferenceError: %s\n", e.what());
  }
  return 0;
}
