// The Benchmarks Game's binary-trees with three memory managers, each tree
// built in one of two orders:
//   bottom-up  a node is made after its children, from them (the Benchmarks
//              Game's programs, and Python's tuples)
//   top-down   a node is made first, its children assigned to it after
// Kinds:
//   binary_trees rcgc N            rcgc::Ref + make_fixed, bottom-up: nodes
//                                  whose references are those they are made
//                                  with (Python's tuples), never tracked, made
//                                  without a GC header (32-byte blocks)
//   binary_trees rcgc_make N       the same nodes made with make: each has the
//                                  16-byte GC header, and make<T> leaves it
//                                  untracked (the program of 2026-11-22 10:00
//                                  to 2026-11-23)
//   binary_trees rcgc_nogc N       rcgc with gc::disable(): reference counting only
//   binary_trees rcgc_topdown N    rcgc, top-down: nodes the collector tracks
//                                  until they die (the program before 2026-11-22 10:00)
//   binary_trees shared_ptr N      std::shared_ptr + make_shared, top-down
//   binary_trees unique_ptr N      std::unique_ptr + new/delete, top-down
//   binary_trees shared_ptr_bottom_up N, unique_ptr_bottom_up N
//                                  the same bottom-up (slower for both with
//                                  glibc's malloc: docs/benchmarks.md)
//   binary_trees model N           no memory manager: rcgc's object model
//                                  alone, bottom-up (a vtable, a 32-bit
//                                  count, flags and heap id, two counted
//                                  references, a virtual destructor; rcgc's
//                                  two counts of objects made: make_fixed's
//                                  node; until 2026-11-23 a 16-byte list head
//                                  too, make's), blocks of 32 bytes from one free
//                                  list that keeps them all: no heap lookup,
//                                  no pools, no trashcan, no collector. At
//                                  depth 16 rcgc's time less this one is
//                                  what rcgc's own work costs. It is no
//                                  floor on larger trees: with 48-byte
//                                  blocks 0.90-0.98x rcgc's time at 18,
//                                  1.29-1.47x at 20 (its one free list
//                                  hands out blocks in the order the last
//                                  frees left them, so its trees scatter;
//                                  rcgc's emptied pools are carved again in
//                                  address order: docs/benchmarks.md,
//                                  session 17); with 32, 0.80x at 18
//                                  (session 20).
// Prints the usual output, then "seconds S" and "peak_rss_kib K" (and, with
// RCGC_BENCH_STATS set, the collections and objects examined on stderr).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

#include <rcgc/rcgc.hpp>

namespace {

// RCGC_BENCH_STATS=1: count the objects the collector examines (a gc
// callback, so not in timed runs) and print them with the collections.
const bool g_stats = std::getenv("RCGC_BENCH_STATS") != nullptr;
std::size_t g_candidates = 0;

// Built bottom-up: its children never change once it is made (a Python
// tuple's items), and it says so: make<T> finds both children untracked and
// leaves the node untracked; make_fixed<T> makes it without a GC header.
struct RcNode : rcgc::Object {
  const rcgc::Ref<RcNode> left, right;
  RcNode(rcgc::Ref<RcNode> l, rcgc::Ref<RcNode> r) noexcept
      : left(std::move(l)), right(std::move(r)) {}
  void traverse(rcgc::Visitor& visit) const override {
    visit(left);
    visit(right);
  }
  bool references_fixed() const noexcept override { return true; }
};
// Built top-down: its children are assigned after it is made.
struct RcMutableNode : rcgc::Object {
  rcgc::Ref<RcMutableNode> left, right;
  void traverse(rcgc::Visitor& visit) const override {
    visit(left);
    visit(right);
  }
};
struct SpNode {
  std::shared_ptr<SpNode> left, right;
  SpNode() = default;
  SpNode(std::shared_ptr<SpNode> l, std::shared_ptr<SpNode> r) noexcept
      : left(std::move(l)), right(std::move(r)) {}
};
struct UpNode {
  std::unique_ptr<UpNode> left, right;
  UpNode() = default;
  UpNode(std::unique_ptr<UpNode> l, std::unique_ptr<UpNode> r) noexcept
      : left(std::move(l)), right(std::move(r)) {}
};

// The object model alone (kind "model"): what make_fixed<T> and a release
// cannot do without, with the least bookkeeping around it.
namespace model {
struct Object {
  virtual ~Object() = default;
  std::uint32_t refcnt = 1;
  std::uint16_t flags = 0, heap = 1;
};
static_assert(sizeof(Object) == 16);

// One LIFO list of 32-byte blocks (a Node), carved from chunks that are
// never given back.
struct Blocks {
  static constexpr std::size_t kBlock = 32, kChunk = 4096;
  void* free = nullptr;
  char* next = nullptr;
  char* end = nullptr;
  std::size_t made = 0, live = 0;  // rcgc counts both (generation 0, live_objects)
  void* allocate() {
    ++made;
    ++live;
    if (free != nullptr) {
      void* b = free;
      free = *static_cast<void**>(b);
      return b;
    }
    if (next == end) [[unlikely]]
      refill();
    void* b = next;
    next += kBlock;
    return b;
  }
  __attribute__((noinline)) void refill() {
    next = static_cast<char*>(std::malloc(kBlock * kChunk));
    if (next == nullptr) throw std::bad_alloc();
    end = next + kBlock * kChunk;
  }
  void deallocate(void* b) noexcept {
    if (made > 0) --made;
    --live;
    *static_cast<void**>(b) = free;
    free = b;
  }
};
Blocks g_blocks;

__attribute__((noinline)) void release(Object* op) noexcept {
  op->~Object();
  g_blocks.deallocate(op);
}

template <class T>
class Ref {
 public:
  Ref(std::nullptr_t) noexcept {}
  explicit Ref(T* p) noexcept : p_(p) {}
  Ref(Ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (p_ != nullptr && --p_->refcnt == 0) release(p_);
  }
  T* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

struct Node final : Object {
  const Ref<Node> left, right;
  Node(Ref<Node> l, Ref<Node> r) noexcept : left(std::move(l)), right(std::move(r)) {}
};
}  // namespace model

// The benchmark's two operations: check, the same for every handle, and
// make, per node type, handle and allocation (the only part that differs
// between the memory managers), in each order: New() makes a node whose
// children are assigned after; New(left, right) makes one from its children.
template <class Ptr>
long check(const Ptr& n) {
  return n->left ? 1 + check(n->left) + check(n->right) : 1;
}
template <class Ptr, Ptr (*New)()>
struct TopDown {
  static Ptr make(int d) {
    Ptr n = New();
    if (d > 0) {
      n->left = make(d - 1);
      n->right = make(d - 1);
    }
    return n;
  }
};
template <class Ptr, Ptr (*New)(Ptr, Ptr)>
struct BottomUp {
  static Ptr make(int d) {
    if (d == 0) return New(nullptr, nullptr);
    Ptr left = make(d - 1);
    Ptr right = make(d - 1);
    return New(std::move(left), std::move(right));
  }
};

rcgc::Ref<RcNode> new_rc(rcgc::Ref<RcNode> l, rcgc::Ref<RcNode> r) {
  return rcgc::make_fixed<RcNode>(std::move(l), std::move(r));
}
rcgc::Ref<RcNode> new_rc_make(rcgc::Ref<RcNode> l, rcgc::Ref<RcNode> r) {
  return rcgc::make<RcNode>(std::move(l), std::move(r));
}
model::Ref<model::Node> new_model(model::Ref<model::Node> l, model::Ref<model::Node> r) {
  void* b = model::g_blocks.allocate();
  return model::Ref<model::Node>(::new (b) model::Node(std::move(l), std::move(r)));
}
rcgc::Ref<RcMutableNode> new_rc_mutable() { return rcgc::make<RcMutableNode>(); }
std::shared_ptr<SpNode> new_sp() { return std::make_shared<SpNode>(); }
std::shared_ptr<SpNode> new_sp2(std::shared_ptr<SpNode> l, std::shared_ptr<SpNode> r) {
  return std::make_shared<SpNode>(std::move(l), std::move(r));
}
std::unique_ptr<UpNode> new_up() { return std::unique_ptr<UpNode>(new UpNode); }
std::unique_ptr<UpNode> new_up2(std::unique_ptr<UpNode> l, std::unique_ptr<UpNode> r) {
  return std::unique_ptr<UpNode>(new UpNode(std::move(l), std::move(r)));
}

using RcTrees = BottomUp<rcgc::Ref<RcNode>, new_rc>;
using RcMakeTrees = BottomUp<rcgc::Ref<RcNode>, new_rc_make>;
using ModelTrees = BottomUp<model::Ref<model::Node>, new_model>;
using RcTopDownTrees = TopDown<rcgc::Ref<RcMutableNode>, new_rc_mutable>;
using SpTrees = TopDown<std::shared_ptr<SpNode>, new_sp>;
using SpBottomUpTrees = BottomUp<std::shared_ptr<SpNode>, new_sp2>;
using UpTrees = TopDown<std::unique_ptr<UpNode>, new_up>;
using UpBottomUpTrees = BottomUp<std::unique_ptr<UpNode>, new_up2>;

template <class Trees>
void run(int n) {
  constexpr int kMinDepth = 4;
  int max_depth = std::max(kMinDepth + 2, n);
  {
    auto stretch = Trees::make(max_depth + 1);
    std::printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(stretch));
  }
  auto long_lived = Trees::make(max_depth);
  for (int d = kMinDepth; d <= max_depth; d += 2) {
    long iterations = 1L << (max_depth - d + kMinDepth);
    long sum = 0;
    for (long i = 0; i < iterations; ++i) sum += check(Trees::make(d));
    std::printf("%ld\t trees of depth %d\t check: %ld\n", iterations, d, sum);
  }
  std::printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: binary_trees rcgc|rcgc_make|rcgc_nogc|rcgc_topdown|model|shared_ptr|"
                 "unique_ptr|shared_ptr_bottom_up|unique_ptr_bottom_up DEPTH\n");
    return 2;
  }
  std::string kind = argv[1];
  int n = std::atoi(argv[2]);
  auto t0 = std::chrono::steady_clock::now();
  if (g_stats)
    rcgc::gc::add_callback([](rcgc::gc::Phase p, const rcgc::gc::CollectInfo& info) {
      if (p == rcgc::gc::Phase::stop) g_candidates += info.candidates;
    });
  if (kind == "rcgc") {
    run<RcTrees>(n);
  } else if (kind == "rcgc_make") {
    run<RcMakeTrees>(n);
  } else if (kind == "rcgc_nogc") {  // the same with the cycle collector off
    rcgc::gc::disable();
    run<RcTrees>(n);
  } else if (kind == "rcgc_topdown") {
    run<RcTopDownTrees>(n);
  } else if (kind == "model") {
    run<ModelTrees>(n);
  } else if (kind == "shared_ptr") {
    run<SpTrees>(n);
  } else if (kind == "unique_ptr") {
    run<UpTrees>(n);
  } else if (kind == "shared_ptr_bottom_up") {
    run<SpBottomUpTrees>(n);
  } else if (kind == "unique_ptr_bottom_up") {
    run<UpBottomUpTrees>(n);
  } else {
    std::fprintf(stderr, "binary_trees: unknown kind %s\n", kind.c_str());
    return 2;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("seconds %.4f\npeak_rss_kib %ld\n", s, ru.ru_maxrss);
  if (kind.rfind("rcgc", 0) == 0 && g_stats) {
    auto st = rcgc::gc::get_stats();
    std::fprintf(stderr, "collections %zu %zu %zu candidates %zu\n", st[0].collections,
                 st[1].collections, st[2].collections, g_candidates);
  }
  return 0;
}
