// The Benchmarks Game's binary-trees with three memory managers:
//   binary_trees rcgc N        rcgc::Ref + make (automatic collection on)
//   binary_trees rcgc_nogc N   the same with gc::disable(): reference counting only
//   binary_trees shared_ptr N  std::shared_ptr + make_shared
//   binary_trees unique_ptr N  std::unique_ptr + new/delete
// Prints the usual output, then "seconds S" and "peak_rss_kib K" (and, with
// RCGC_BENCH_STATS set, the collections and objects examined on stderr).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <rcgc/rcgc.hpp>

namespace {

// RCGC_BENCH_STATS=1: count the objects the collector examines (a gc
// callback, so not in timed runs) and print them with the collections.
const bool g_stats = std::getenv("RCGC_BENCH_STATS") != nullptr;
std::size_t g_candidates = 0;

struct RcNode : rcgc::Object {
  rcgc::Ref<RcNode> left, right;
  void traverse(rcgc::Visitor& visit) const override {
    visit(left);
    visit(right);
  }
};
struct SpNode {
  std::shared_ptr<SpNode> left, right;
};
struct UpNode {
  std::unique_ptr<UpNode> left, right;
};

// The benchmark's two operations for a node type, its handle and its
// allocation (the only part that differs between the memory managers).
template <class Ptr, Ptr (*New)()>
struct Trees {
  static Ptr make(int d) {
    Ptr n = New();
    if (d > 0) {
      n->left = make(d - 1);
      n->right = make(d - 1);
    }
    return n;
  }
  static long check(const Ptr& n) { return n->left ? 1 + check(n->left) + check(n->right) : 1; }
};

rcgc::Ref<RcNode> new_rc() { return rcgc::make<RcNode>(); }
std::shared_ptr<SpNode> new_sp() { return std::make_shared<SpNode>(); }
std::unique_ptr<UpNode> new_up() { return std::unique_ptr<UpNode>(new UpNode); }

using RcTrees = Trees<rcgc::Ref<RcNode>, new_rc>;
using SpTrees = Trees<std::shared_ptr<SpNode>, new_sp>;
using UpTrees = Trees<std::unique_ptr<UpNode>, new_up>;

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
    std::fprintf(stderr, "usage: binary_trees rcgc|rcgc_nogc|shared_ptr|unique_ptr DEPTH\n");
    return 2;
  }
  std::string kind = argv[1];
  int n = std::atoi(argv[2]);
  auto t0 = std::chrono::steady_clock::now();
  if (kind == "rcgc") {
    if (g_stats)
      rcgc::gc::add_callback([](rcgc::gc::Phase p, const rcgc::gc::CollectInfo& info) {
        if (p == rcgc::gc::Phase::stop) g_candidates += info.candidates;
      });
    run<RcTrees>(n);
  } else if (kind == "rcgc_nogc") {  // the same with the cycle collector off
    rcgc::gc::disable();
    run<RcTrees>(n);
  }
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
  if (kind == "rcgc" && g_stats) {
    auto st = rcgc::gc::get_stats();
    std::fprintf(stderr, "collections %zu %zu %zu candidates %zu\n", st[0].collections,
                 st[1].collections, st[2].collections, g_candidates);
  }
  return 0;
}
