// Seeds 000/002/004: the reference count going up and down ("四增五减").
//
//   a = [1, 2, 3]; sys.getrefcount(a); b = a; ...; del b; ...
//
// rcgc::getrefcount is exact: CPython's sys.getrefcount shows one more,
// because passing `a` to it adds a reference for the call.
#include <cstdio>
#include <vector>

#include <rcgc/rcgc.hpp>

struct PyList : rcgc::Object {
  std::vector<rcgc::Ref<rcgc::Object>> items;
  void traverse(rcgc::Visitor& visit) const override {
    for (auto& r : items) visit(r);
  }
};

static void takes_argument(rcgc::Ref<PyList> arg) {  // passed by value: +1
  std::printf("  inside a call taking a by value:  %zu\n", rcgc::getrefcount(arg));
}

int main() {
  std::printf("a = [1, 2, 3]\n");
  rcgc::Ref<PyList> a = rcgc::make<PyList>();
  std::printf("  getrefcount(a) = %zu   (created and bound to a name)\n", rcgc::getrefcount(a));

  std::printf("b = a\n");
  rcgc::Ref<PyList> b = a;
  std::printf("  getrefcount(a) = %zu   (+1: another name)\n", rcgc::getrefcount(a));

  takes_argument(a);
  std::printf("  after the call returns:           %zu   (-1: the parameter is gone)\n",
              rcgc::getrefcount(a));

  std::printf("container = [a]\n");
  rcgc::Ref<PyList> container = rcgc::make<PyList>();
  container->items.push_back(a);
  std::printf("  getrefcount(a) = %zu   (+1: stored in a container)\n", rcgc::getrefcount(a));

  std::printf("del container\n");
  container.reset();
  std::printf("  getrefcount(a) = %zu   (-1: the container died)\n", rcgc::getrefcount(a));

  std::printf("del b\n");
  b.reset();
  std::printf("  getrefcount(a) = %zu   (-1: name deleted)\n", rcgc::getrefcount(a));

  std::printf("a = another list\n");
  a = rcgc::make<PyList>();
  std::printf("  the old list reached 0 and was freed at once; the new one has %zu\n",
              rcgc::getrefcount(a));
  return 0;
}
