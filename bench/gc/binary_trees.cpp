// The Benchmarks Game's binary-trees with three memory managers:
//   binary_trees rcgc N        rcgc::Ref + make (automatic collection on)
//   binary_trees shared_ptr N  std::shared_ptr + make_shared
//   binary_trees unique_ptr N  std::unique_ptr + new/delete
// Prints the usual output, then "seconds S" and "peak_rss_kib K".
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <rcgc/rcgc.hpp>

namespace {

struct RcNode : rcgc::Object {
  rcgc::Ref<RcNode> left, right;
  void traverse(rcgc::Visitor& visit) const override {
    visit(left);
    visit(right);
  }
};
struct RcTrees {
  using Ptr = rcgc::Ref<RcNode>;
  static Ptr make(int d) {
    Ptr n = rcgc::make<RcNode>();
    if (d > 0) {
      n->left = make(d - 1);
      n->right = make(d - 1);
    }
    return n;
  }
  static long check(const Ptr& n) { return n->left ? 1 + check(n->left) + check(n->right) : 1; }
};

struct SpNode {
  std::shared_ptr<SpNode> left, right;
};
struct SpTrees {
  using Ptr = std::shared_ptr<SpNode>;
  static Ptr make(int d) {
    Ptr n = std::make_shared<SpNode>();
    if (d > 0) {
      n->left = make(d - 1);
      n->right = make(d - 1);
    }
    return n;
  }
  static long check(const Ptr& n) { return n->left ? 1 + check(n->left) + check(n->right) : 1; }
};

struct UpNode {
  std::unique_ptr<UpNode> left, right;
};
struct UpTrees {
  using Ptr = std::unique_ptr<UpNode>;
  static Ptr make(int d) {
    Ptr n(new UpNode);
    if (d > 0) {
      n->left = make(d - 1);
      n->right = make(d - 1);
    }
    return n;
  }
  static long check(const Ptr& n) { return n->left ? 1 + check(n->left) + check(n->right) : 1; }
};

template <class Trees>
void run(int n) {
  constexpr int kMinDepth = 4;
  int max_depth = std::max(kMinDepth + 2, n);
  {
    auto stretch = Trees::make(max_depth + 1);
    std::printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, Trees::check(stretch));
  }
  auto long_lived = Trees::make(max_depth);
  for (int d = kMinDepth; d <= max_depth; d += 2) {
    long iterations = 1L << (max_depth - d + kMinDepth);
    long check = 0;
    for (long i = 0; i < iterations; ++i) check += Trees::check(Trees::make(d));
    std::printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, check);
  }
  std::printf("long lived tree of depth %d\t check: %ld\n", max_depth, Trees::check(long_lived));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: binary_trees rcgc|shared_ptr|unique_ptr DEPTH\n");
    return 2;
  }
  std::string kind = argv[1];
  int n = std::atoi(argv[2]);
  auto t0 = std::chrono::steady_clock::now();
  if (kind == "rcgc") run<RcTrees>(n);
  else if (kind == "shared_ptr") run<SpTrees>(n);
  else if (kind == "unique_ptr") run<UpTrees>(n);
  else {
    std::fprintf(stderr, "binary_trees: unknown kind %s\n", kind.c_str());
    return 2;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("seconds %.4f\npeak_rss_kib %ld\n", s, ru.ru_maxrss);
  return 0;
}
