// rcgc's collector workloads (issue 4), and the C++ floors they are compared
// with. Each subcommand prints "name value unit" lines; bench/gc/run.py runs
// this, the CPython versions (gc_bench.py) and the peers, and prints ratios.
//
//   gc_bench traversal        pyperformance gc_traversal: 1000 nested lists
//   gc_bench tree             a live binary tree of 2^20 - 1 nodes
//   gc_bench cycles           pyperformance create_gc_cycles scaled to ~1M nodes
//   gc_bench btree            a B-tree (t = 16) of 200k records, full collect()
//   gc_bench random_graph     500k lists of 3 random references, full collect()
//   gc_bench json_like        nested lists built bottom-up, full collect()
//   gc_bench linked_list      a doubly linked list of 1M nodes, full collect()
//   gc_bench attr_objects     200k instances with attribute dicts, full collect()
//   gc_bench list_of_pairs    1000 lists of 1000 two-element lists, full collect()
//   gc_bench young            gen-0 collection with 0, 1M and 5M old objects
//   gc_bench young_tree       gen-0 collection of a fresh tree made children first
//   gc_bench young_doubly_linked  gen-0 collection of a fresh doubly linked list
//   gc_bench refs             Ref copy+destroy against std::shared_ptr
//   gc_bench size             bytes per tracked object
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rcgc/rcgc.hpp>

#include "timing.hpp"

namespace gc = rcgc::gc;
using rcgc::Ref;

namespace {

using bench::best_of;
using bench::Clock;
using bench::seconds_since;
using bench::timed_phases;

void report(const char* name, double value, const char* unit) {
  std::printf("%s %.3f %s\n", name, value, unit);
  std::fflush(stdout);
}

// A full collect() of the current heap, after one untimed (which moves every
// object to generation 2): the objects it walks and the best time of `reps`.
struct FullCollect {
  double objects;
  double seconds;
  double ns_per_object() const { return seconds * 1e9 / objects; }
};
FullCollect full_collect(int reps) {
  gc::collect();
  double n = static_cast<double>(gc::get_objects().size());
  timed_phases(true);
  const double best = best_of(reps, [] { gc::collect(); });
  timed_phases(false);
  return {n, best};
}

struct PyList : rcgc::Object {
  std::vector<Ref<rcgc::Object>> items;
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
};

// The bare walk: the same graph as plain structs, visited depth-first with
// an explicit stack and a mark per node (what any tracing pass must do).
// Aligned to a cache line: its inner loop is a handful of instructions, and
// where the linker happened to place it moved gc_traversal's floor by 1.8x
// between two builds of unrelated changes (166 -> 294 ns per object); at 64
// bytes it runs at the faster figure.
struct PlainNode {
  std::vector<PlainNode*> items;
  bool mark = false;
};

__attribute__((aligned(64))) std::size_t bare_walk(PlainNode* root, bool mark_value, std::vector<PlainNode*>& stack) {
  std::size_t n = 0;
  stack.clear();
  stack.push_back(root);
  root->mark = mark_value;
  while (!stack.empty()) {
    PlainNode* p = stack.back();
    stack.pop_back();
    ++n;
    for (PlainNode* c : p->items)
      if (c->mark != mark_value) {
        c->mark = mark_value;
        stack.push_back(c);
      }
  }
  return n;
}

void traversal() {
  constexpr int kLevels = 1000;
  gc::disable();
  Ref<PyList> current = rcgc::make<PyList>();
  std::size_t edges = 0;
  for (int n = 0; n < kLevels; ++n) {
    Ref<PyList> next = rcgc::make<PyList>();
    next->items.assign(static_cast<std::size_t>(n), current);
    edges += static_cast<std::size_t>(n);
    current = next;
  }
  const FullCollect c = full_collect(20);
  const double objects = c.objects;
  report("traversal_ns_per_object", c.ns_per_object(), "ns");
  report("traversal_ns_per_edge", c.seconds * 1e9 / static_cast<double>(edges), "ns");

  std::vector<std::unique_ptr<PlainNode>> plain;
  plain.push_back(std::make_unique<PlainNode>());
  for (int n = 0; n < kLevels; ++n) {
    auto next = std::make_unique<PlainNode>();
    next->items.assign(static_cast<std::size_t>(n), plain.back().get());
    plain.push_back(std::move(next));
  }
  std::vector<PlainNode*> stack;
  bool m = false;
  double tw = best_of(20, [&] { m = !m; bare_walk(plain.back().get(), m, stack); });
  report("traversal_walk_ns_per_object", tw * 1e9 / objects, "ns");
}

struct TreeNode : rcgc::Object {
  Ref<TreeNode> left, right;
  void traverse(rcgc::Visitor& visit) const override {
    visit(left);
    visit(right);
  }
};

Ref<TreeNode> make_tree(int depth) {
  Ref<TreeNode> t = rcgc::make<TreeNode>();
  if (depth > 0) {
    t->left = make_tree(depth - 1);
    t->right = make_tree(depth - 1);
  }
  return t;
}

PlainNode* make_plain_tree(int depth, std::vector<std::unique_ptr<PlainNode>>& owner) {
  owner.push_back(std::make_unique<PlainNode>());
  PlainNode* p = owner.back().get();
  if (depth > 0) {
    p->items.push_back(make_plain_tree(depth - 1, owner));
    p->items.push_back(make_plain_tree(depth - 1, owner));
  }
  return p;
}

// Children first, then their parent: the order Python's nested lists
// ([make(d - 1), make(d - 1)]) are made in.
Ref<TreeNode> make_tree_bottom_up(int depth) {
  Ref<TreeNode> left, right;
  if (depth > 0) {
    left = make_tree_bottom_up(depth - 1);
    right = make_tree_bottom_up(depth - 1);
  }
  Ref<TreeNode> t = rcgc::make<TreeNode>();
  t->left = std::move(left);
  t->right = std::move(right);
  return t;
}

void tree() {
  constexpr int kDepth = 19;  // 2^20 - 1 nodes
  gc::disable();
  {
    Ref<TreeNode> root = make_tree_bottom_up(kDepth);
    report("tree_bottom_up_ns_per_object", full_collect(10).ns_per_object(), "ns");
  }
  Ref<TreeNode> root = make_tree(kDepth);
  const FullCollect c = full_collect(10);
  report("tree_ns_per_object", c.ns_per_object(), "ns");
  const double n = c.objects;

  std::vector<std::unique_ptr<PlainNode>> owner;
  PlainNode* proot = make_plain_tree(kDepth, owner);
  std::vector<PlainNode*> stack;
  bool m = false;
  double tw = best_of(10, [&] { m = !m; bare_walk(proot, m, stack); });
  report("tree_walk_ns_per_object", tw * 1e9 / n, "ns");
}

struct CycleNode : rcgc::Object {
  long value;
  Ref<CycleNode> next, prev;
  explicit CycleNode(long v) : value(v) {}
  void traverse(rcgc::Visitor& visit) const override {
    visit(next);
    visit(prev);
  }
};

// pyperformance's create_gc_cycles: n_cycles rings of n_links + 1 nodes.
std::vector<Ref<CycleNode>> create_gc_cycles(int n_cycles, int n_links) {
  std::vector<Ref<CycleNode>> cycles;
  for (int c = 0; c < n_cycles; ++c) {
    Ref<CycleNode> node = rcgc::make<CycleNode>(0);
    Ref<CycleNode> current = node;
    for (int i = 0; i < n_links; ++i) {
      Ref<CycleNode> next = rcgc::make<CycleNode>(i);
      current->next = next;
      next->prev = current;
      current = next;
    }
    current->next = node;
    node->prev = current;
    cycles.push_back(node);
  }
  return cycles;
}

void cycles() {
  constexpr int kCycles = 47620, kLinks = 20;  // 1,000,020 nodes
  gc::disable();
  double best = 1e300;
  std::size_t collected = 0;
  for (int rep = 0; rep < 5; ++rep) {
    gc::collect();
    auto all = create_gc_cycles(kCycles, kLinks);
    all.clear();
    timed_phases(true);
    auto t0 = Clock::now();
    collected = gc::collect();
    best = std::min(best, seconds_since(t0));
    timed_phases(false);
  }
  report("cycles_collected", static_cast<double>(collected), "objects");
  report("cycles_ns_per_object", best * 1e9 / static_cast<double>(collected), "ns");
}

// A B-tree of minimum degree t: nodes hold up to 2t - 1 records.
struct Record : rcgc::Object {
  long key;
  Ref<rcgc::Object> value;
  explicit Record(long k) : key(k) {}
  void traverse(rcgc::Visitor& visit) const override { visit(value); }
};
struct BNode : rcgc::Object {
  std::vector<Ref<Record>> keys;
  std::vector<Ref<BNode>> children;
  void traverse(rcgc::Visitor& visit) const override {
    for (auto& k : keys) visit(k);
    for (auto& c : children) visit(c);
  }
};

class BTree {
 public:
  static constexpr std::size_t t = 16;
  Ref<BNode> root = rcgc::make<BNode>();

  void insert(Ref<Record> rec) {
    if (root->keys.size() == 2 * t - 1) {
      Ref<BNode> s = rcgc::make<BNode>();
      s->children.push_back(root);
      split(s, 0);
      root = s;
    }
    insert_nonfull(root, std::move(rec));
  }

 private:
  static void split(const Ref<BNode>& parent, std::size_t i) {
    Ref<BNode> y = parent->children[i];
    Ref<BNode> z = rcgc::make<BNode>();
    z->keys.assign(y->keys.begin() + t, y->keys.end());
    if (!y->children.empty()) {
      z->children.assign(y->children.begin() + t, y->children.end());
      y->children.resize(t);
    }
    Ref<Record> mid = y->keys[t - 1];
    y->keys.resize(t - 1);
    parent->children.insert(parent->children.begin() + static_cast<long>(i) + 1, z);
    parent->keys.insert(parent->keys.begin() + static_cast<long>(i), mid);
  }
  static void insert_nonfull(Ref<BNode> x, Ref<Record> rec) {
    while (true) {
      std::size_t i = 0;
      while (i < x->keys.size() && x->keys[i]->key < rec->key) ++i;
      if (x->children.empty()) {
        x->keys.insert(x->keys.begin() + static_cast<long>(i), std::move(rec));
        return;
      }
      if (x->children[i]->keys.size() == 2 * t - 1) {
        split(x, i);
        if (x->keys[i]->key < rec->key) ++i;
      }
      x = x->children[i];
    }
  }
};

void btree() {
  constexpr long kRecords = 200000;
  gc::disable();
  BTree tree;
  Ref<rcgc::Str> v = rcgc::intern("v");  // one shared string, as Python's "v"
  unsigned long x = 12345;
  for (long i = 0; i < kRecords; ++i) {
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    Ref<Record> r = rcgc::make<Record>(static_cast<long>(x >> 33));
    r->value = v;
    tree.insert(r);
  }
  const FullCollect c = full_collect(10);
  report("btree_objects", c.objects, "objects");
  report("btree_ns_per_object", c.ns_per_object(), "ns");
  report("btree_collect_ms", c.seconds * 1e3, "ms");
}

// Two shapes chosen after the collector was tuned (checks out of sample):
// a random graph (500k lists of 3 references to random lists, held by one
// list) and JSON-like data built bottom-up (lists of 10, five levels, the
// children made before their parent, untracked leaves at the bottom).

void random_graph() {
  constexpr std::size_t kNodes = 500000;
  gc::disable();
  std::vector<Ref<PyList>> nodes;
  for (std::size_t i = 0; i < kNodes; ++i) nodes.push_back(rcgc::make<PyList>());
  std::uint64_t x = 1;
  for (auto& node : nodes)
    for (int k = 0; k < 3; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      node->items.push_back(nodes[(x >> 33) % kNodes]);
    }
  Ref<PyList> root = rcgc::make<PyList>();
  root->items.assign(nodes.begin(), nodes.end());
  nodes.clear();
  report("random_graph_ns_per_object", full_collect(5).ns_per_object(), "ns");
}

struct Leaf : rcgc::Object {  // untracked, as Python's int or str
  long value = 0;
};

Ref<PyList> bottom_up(int depth) {
  std::vector<Ref<rcgc::Object>> kids;
  for (int i = 0; i < 10; ++i) {
    if (depth > 0)
      kids.push_back(bottom_up(depth - 1));
    else
      kids.push_back(rcgc::make<Leaf>());
  }
  Ref<PyList> list = rcgc::make<PyList>();
  list->items = std::move(kids);
  return list;
}

void json_like() {
  gc::disable();
  Ref<PyList> root = bottom_up(5);  // 111,111 lists, 1,000,000 leaves
  report("json_like_ns_per_object", full_collect(5).ns_per_object(), "ns");
}

// Written in session 4 to check the collector on shapes it had not been
// tuned on; the shadow's gate and the mark's direction were then changed
// after seeing attr_objects and list_of_pairs, so they are in sample now.

// A doubly linked list of 1M nodes appended at the tail (Python: objects
// with __slots__ prev, next, value).
struct DNode : rcgc::Object {
  Ref<DNode> prev, next;
  long value = 0;
  void traverse(rcgc::Visitor& visit) const override {
    visit(prev);
    visit(next);
  }
};

// n nodes made from the head, each holding the next and the one before;
// returns the head, and the tail in `tail` when given.
Ref<DNode> doubly_linked(int n, Ref<DNode>* tail = nullptr) {
  Ref<DNode> head = rcgc::make<DNode>(), last = head;
  for (int i = 1; i < n; ++i) {
    Ref<DNode> node = rcgc::make<DNode>();
    node->prev = last;
    last->next = node;
    last = std::move(node);
  }
  if (tail != nullptr) *tail = std::move(last);
  return head;
}

void linked_list() {
  gc::disable();
  Ref<DNode> tail;
  Ref<DNode> head = doubly_linked(1000000, &tail);
  report("linked_list_ns_per_object", full_collect(5).ns_per_object(), "ns");
}

// 200k instances, each with an attribute dict (a tracked object of its own,
// as a Python instance's __dict__) of five entries: three untracked values
// made with it, two references to other instances anywhere; a list holds
// them all. Keys are five shared untracked strings.
struct Str : rcgc::Object {  // untracked, as Python's str
  std::string text;
  explicit Str(std::string t = {}) : text(std::move(t)) {}
};
struct AttrDict : rcgc::Object {
  std::vector<std::pair<Ref<rcgc::Object>, Ref<rcgc::Object>>> items;
  void traverse(rcgc::Visitor& visit) const override {
    for (const auto& [k, v] : items) {
      visit(k);
      visit(v);
    }
  }
};
struct Instance : rcgc::Object {
  Ref<AttrDict> dict;
  void traverse(rcgc::Visitor& visit) const override { visit(dict); }
};

void attr_objects() {
  constexpr std::size_t kInstances = 200000;
  gc::disable();
  std::vector<Ref<rcgc::Object>> keys;
  for (char k = '0'; k < '5'; ++k) keys.push_back(rcgc::make<Str>(std::string{'k', k}));
  std::vector<Ref<Instance>> all;
  for (std::size_t i = 0; i < kInstances; ++i) {
    all.push_back(rcgc::make<Instance>());
    all.back()->dict = rcgc::make<AttrDict>();
    for (int k = 0; k < 3; ++k)
      all.back()->dict->items.emplace_back(keys[k], rcgc::make<Str>("value"));
  }
  std::uint64_t x = 7;
  for (auto& inst : all)
    for (int k = 3; k < 5; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      inst->dict->items.emplace_back(keys[k], all[(x >> 33) % kInstances]);
    }
  Ref<PyList> root = rcgc::make<PyList>();
  root->items.assign(all.begin(), all.end());
  all.clear();
  report("attr_objects_ns_per_object", full_collect(5).ns_per_object(), "ns");
}

// 1000 lists of 1000 two-element lists of untracked objects, appended
// top-down (Python: [[object(), object()] for ...] appended to lists).
void list_of_pairs() {
  gc::disable();
  Ref<PyList> root = rcgc::make<PyList>();
  for (int i = 0; i < 1000; ++i) {
    Ref<PyList> mid = rcgc::make<PyList>();
    for (int j = 0; j < 1000; ++j) {
      Ref<PyList> pair = rcgc::make<PyList>();
      pair->items.push_back(rcgc::make<Leaf>());
      pair->items.push_back(rcgc::make<Leaf>());
      mid->items.push_back(std::move(pair));
    }
    root->items.push_back(std::move(mid));
  }
  report("list_of_pairs_ns_per_object", full_collect(5).ns_per_object(), "ns");
}

// A young collection of a fresh doubly linked list of 1000 nodes made from
// its head (DNode, as linked_list's): references lead both ways, and every
// node but the head is held by the one before (session 17: the roots'
// proof keeps them all without move_unreachable); ns per object, best of
// 500 (the Python twin took 3.4 s of CPU for 2000: bench/run.sh keeps
// under 10 minutes).
// collect(0) of `objects` objects that `make` builds fresh after a full
// collection (what it returns is held meanwhile): the best of `reps`, in
// ns per object.
template <class Make>
double young_ns_per_object(int reps, double objects, Make make) {
  gc::disable();
  double best = 1e300;
  for (int rep = 0; rep < reps; ++rep) {
    gc::collect();
    auto held = make();
    auto t0 = Clock::now();
    gc::collect(0);
    best = std::min(best, seconds_since(t0));
  }
  return best * 1e9 / objects;
}

void young_doubly_linked() {
  constexpr int kNodes = 1000;
  report("young_doubly_linked_ns_per_object",
         young_ns_per_object(500, kNodes, [] { return doubly_linked(kNodes); }), "ns");
}

// A young collection of fresh data: a tree of 1023 nodes made children
// first (as Python makes nested lists), then one collect(0); ns per object.
void young_tree() {
  constexpr int kDepth = 9;
  report("young_tree_ns_per_object",
         young_ns_per_object(2000, (2 << kDepth) - 1, [] { return make_tree_bottom_up(kDepth); }),
         "ns");
}

// Generation 0 holds `kYoung` objects (a few rings of garbage and some live
// ones); the old generation holds `old` objects.
// Keeps the anchor in generation 0 for the next round (as a fresh object).
void anchor_to_young(Ref<TreeNode>& anchor) { anchor = rcgc::make<TreeNode>(); }

double young_collection_ms(std::size_t old) {
  constexpr int kYoung = 10000;
  gc::disable();
  std::vector<Ref<TreeNode>> keep;
  keep.reserve(old);
  for (std::size_t i = 0; i < old; ++i) {
    keep.push_back(rcgc::make<TreeNode>());
    if (i > 0 && i % 2 == 0) keep[i]->left = keep[i - 1];
  }
  gc::collect(2);
  double best = 1e300;
  // The young objects reference a live young object (not the old ones): the
  // question is whether a young collection costs anything per old object.
  Ref<TreeNode> anchor = rcgc::make<TreeNode>();
  for (int rep = 0; rep < 20; ++rep) {
    std::vector<Ref<TreeNode>> young;
    young.push_back(anchor);
    for (int i = 1; i < kYoung; ++i) {
      young.push_back(rcgc::make<TreeNode>());
      young.back()->right = anchor;
    }
    for (int i = 0; i < kYoung; i += 2) young[static_cast<std::size_t>(i)]->left = young[static_cast<std::size_t>(i)];
    young.resize(kYoung / 2);
    auto t0 = Clock::now();
    gc::collect(0);
    best = std::min(best, seconds_since(t0));
    young.clear();
    gc::collect(1);
    anchor_to_young(anchor);
  }
  return best * 1e3;
}

void young() {
  for (std::size_t old : {std::size_t{0}, std::size_t{1000000}, std::size_t{5000000}}) {
    double ms = young_collection_ms(old);
    char name[64];
    std::snprintf(name, sizeof name, "young_gen0_ms_old_%zu", old);
    report(name, ms, "ms");
  }
}

struct Plain : rcgc::Object {
  int x = 0;
};
struct SharedPlain {
  int x = 0;
};

void refs() {
  constexpr int kOps = 50'000'000;
  Ref<Plain> r = rcgc::make<Plain>();
  auto sp = std::make_shared<SharedPlain>();
  std::vector<Ref<Plain>> rv(16, r);
  std::vector<std::shared_ptr<SharedPlain>> sv(16, sp);
  double tr = best_of(5, [&] {
    for (int i = 0; i < kOps; ++i) {
      Ref<Plain> copy = rv[static_cast<std::size_t>(i) & 15];
      asm volatile("" : : "r"(copy.get()) : "memory");
    }
  });
  double ts = best_of(5, [&] {
    for (int i = 0; i < kOps; ++i) {
      std::shared_ptr<SharedPlain> copy = sv[static_cast<std::size_t>(i) & 15];
      asm volatile("" : : "r"(copy.get()) : "memory");
    }
  });
  report("ref_copy_destroy_ns", tr * 1e9 / kOps, "ns");
  report("shared_ptr_copy_destroy_ns", ts * 1e9 / kOps, "ns");
}

struct Minimal : rcgc::Object {
  void traverse(rcgc::Visitor&) const override {}
};

void size() {
  report("tracked_header_bytes", static_cast<double>(sizeof(rcgc::detail::GcHead) + sizeof(rcgc::Object)),
         "bytes");
  report("untracked_header_bytes", static_cast<double>(sizeof(rcgc::Object)), "bytes");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: gc_bench traversal|tree|cycles|btree|random_graph|json_like|linked_list|"
                 "attr_objects|list_of_pairs|young|young_tree|young_doubly_linked|refs|size\n");
    return 2;
  }
  std::string what = argv[1];
  if (what == "traversal") traversal();
  else if (what == "tree") tree();
  else if (what == "cycles") cycles();
  else if (what == "btree") btree();
  else if (what == "random_graph") random_graph();
  else if (what == "json_like") json_like();
  else if (what == "linked_list") linked_list();
  else if (what == "attr_objects") attr_objects();
  else if (what == "list_of_pairs") list_of_pairs();
  else if (what == "young") young();
  else if (what == "young_tree") young_tree();
  else if (what == "young_doubly_linked") young_doubly_linked();
  else if (what == "refs") refs();
  else if (what == "size") size();
  else {
    std::fprintf(stderr, "gc_bench: unknown workload %s\n", what.c_str());
    return 2;
  }
  return 0;
}
