// binary-trees with the Boehm-Demers-Weiser conservative collector (libgc).
#include <gc/gc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

struct Node {
  Node* left;
  Node* right;
};

Node* make(int d) {
  Node* n = static_cast<Node*>(GC_MALLOC(sizeof(Node)));
  if (d > 0) {
    n->left = make(d - 1);
    n->right = make(d - 1);
  } else {
    n->left = n->right = nullptr;
  }
  return n;
}

long check(const Node* n) { return n->left ? 1 + check(n->left) + check(n->right) : 1; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  GC_INIT();
  int n = std::atoi(argv[argc - 1]);
  auto t0 = std::chrono::steady_clock::now();
  constexpr int kMinDepth = 4;
  int max_depth = std::max(kMinDepth + 2, n);
  std::printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(make(max_depth + 1)));
  Node* long_lived = make(max_depth);
  for (int d = kMinDepth; d <= max_depth; d += 2) {
    long iterations = 1L << (max_depth - d + kMinDepth);
    long c = 0;
    for (long i = 0; i < iterations; ++i) c += check(make(d));
    std::printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, c);
  }
  std::printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("seconds %.4f\npeak_rss_kib %ld\n", s, ru.ru_maxrss);
  return 0;
}
