// Seed 003: variables captured by a closure live as long as the closure.
//
//   def f1():
//       a = A('a'); b = A('b')
//       def f2():
//           c = A('c'); print(a)
//       return f2
//   f2 = f1()    # b dies when f1 returns; a lives on in f2.__closure__
//   f2()         # c dies when f2 returns
//   del f2       # now a dies
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <rcgc/rcgc.hpp>

using rcgc::Ref;

struct A : rcgc::Object {
  std::string name;
  explicit A(std::string n) : name(std::move(n)) {}
  void finalize() override { std::printf("__del__ in  %s\n", name.c_str()); }
};

// A function object with its cells (the captured variables), like Python's
// function.__closure__. It reports the cells to the collector.
struct Function : rcgc::Object {
  std::vector<Ref<rcgc::Object>> closure;
  std::function<void(const Function&)> code;
  void traverse(rcgc::Visitor& visit) const override {
    for (auto& cell : closure) visit(cell);
  }
  void operator()() const { code(*this); }
};

static Ref<Function> f1() {
  auto a = rcgc::make<A>("a");
  auto b = rcgc::make<A>("b");
  auto f2 = rcgc::make<Function>();
  f2->closure.push_back(a);
  f2->code = [](const Function& self) {
    auto c = rcgc::make<A>("c");
    auto captured = rcgc::ref_cast<A>(self.closure[0]);
    std::printf("<__main__.A object at %p> (%s)\n", static_cast<void*>(captured.get()),
                captured->name.c_str());
  };
  return f2;
}

int main() {
  std::printf("f2 = f1():\n");
  Ref<Function> f2 = f1();
  std::printf("\nf2.__closure__:\n(");
  for (auto& cell : f2->closure)
    std::printf("<cell: A object at %p>,", static_cast<void*>(cell.get()));
  std::printf(")\n");
  std::printf("\nf2():\n");
  (*f2)();
  std::printf("\ndel f2:\n");
  f2.reset();
  std::printf("\nover!\n");
  return 0;
}
