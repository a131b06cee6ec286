// Out-of-sample full-collection workloads: heap shapes the collector has not
// been tuned on. unseen.py builds the same heaps in CPython 3.11 from the
// same pseudo-random sequence (splitmix64), so both sides hold the same
// logical structure.
//
//   gc_unseen parse_tree   NLTK-style ParentedTree corpus: interior nodes hold
//                          a label, a parent back-pointer and their children;
//                          leaves are Token objects with a parent pointer
//   gc_unseen flow_graph   residual flow network stored as a dict of
//                          adjacency lists: map<Vertex, vector<Edge>>, each
//                          Edge points to its head vertex and its reverse
//                          edge, each vertex to its BFS predecessor edge
//   gc_unseen lru_cache    an LRU cache (hash map + doubly linked Link nodes
//                          with strong prev/next) whose values are Response
//                          objects referencing shared Host objects and
//                          sometimes the response they were redirected from
//   gc_unseen orm          an ORM-like object graph: regions, currencies,
//                          statuses, categories, customers, products, orders,
//                          order lines; each instance references its model
//                          class and a few foreign-key neighbours; a session
//                          holds identity maps (pk -> instance) per class
//
// Output: "NAME_ns_per_object <best ns per object>", then "NAME_objects <n>"
// and "NAME_best_ms <best collect() ms>".
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <rcgc/rcgc.hpp>

#include "harness.hpp"

namespace gc = rcgc::gc;
using rcgc::make;
using rcgc::Object;
using rcgc::Ref;
using rcgc::Visitor;

namespace {

using unseen::cat;
using unseen::Rng;

// ---------------------------------------------------------------- parse_tree

struct Tree : Object {
  std::string label;
  Ref<Tree> parent;
  std::vector<Ref<Object>> children;
  Tree(std::string l, Ref<Tree> p) : label(std::move(l)), parent(std::move(p)) {}
  void traverse(Visitor& visit) const override {
    visit(parent);
    visit.each(children);
  }
};

struct Token : Object {
  std::string word;
  std::string tag;
  Ref<Tree> parent;
  Token(std::string w, std::string t, Ref<Tree> p)
      : word(std::move(w)), tag(std::move(t)), parent(std::move(p)) {}
  void traverse(Visitor& visit) const override { visit(parent); }
};

struct Corpus : Object {
  std::vector<Ref<Tree>> sentences;
  void traverse(Visitor& visit) const override { visit.each(sentences); }
};

const char* const kPhrase[] = {"NP", "VP", "PP", "S", "SBAR", "ADJP", "ADVP", "WHNP"};
const char* const kTag[] = {"NN", "NNS", "VB", "VBD", "JJ", "DT", "IN", "RB", "PRP", "CC"};
constexpr int kMaxDepth = 6;
constexpr int kSentences = 13000;

Ref<Tree> make_phrase(Rng& rng, const std::string& label, const Ref<Tree>& parent, int depth) {
  Ref<Tree> node = make<Tree>(label, parent);
  const std::uint64_t n = 1 + rng.below(4);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (depth >= kMaxDepth || rng.below(100) < 40) {
      std::string word = cat("w", rng.below(50000));
      std::string tag = kTag[rng.below(10)];
      node->children.push_back(make<Token>(std::move(word), std::move(tag), node));
    } else {
      node->children.push_back(make_phrase(rng, kPhrase[rng.below(8)], node, depth + 1));
    }
  }
  return node;
}

Ref<Object> build_parse_tree() {
  Rng rng(1);
  Ref<Corpus> corpus = make<Corpus>();
  corpus->sentences.reserve(kSentences);
  for (int i = 0; i < kSentences; ++i) corpus->sentences.push_back(make_phrase(rng, "S", nullptr, 0));
  return corpus;
}

// ---------------------------------------------------------------- flow_graph

struct Edge;

struct Vertex : Object {
  std::string name;
  long level = -1;
  Ref<Edge> pred;  // the BFS tree edge that reached it
  explicit Vertex(std::string n) : name(std::move(n)) {}
  void traverse(Visitor& visit) const override;
};

struct Edge : Object {
  Ref<Vertex> to;
  Ref<Edge> rev;
  double cap;
  double flow = 0.0;
  Edge(Ref<Vertex> t, double c) : to(std::move(t)), cap(c) {}
  void traverse(Visitor& visit) const override {
    visit(to);
    visit(rev);
  }
};

void Vertex::traverse(Visitor& visit) const { visit(pred); }

struct Graph : Object {
  std::vector<Ref<Vertex>> vertices;
  std::unordered_map<Ref<Vertex>, std::vector<Ref<Edge>>> adj;
  void traverse(Visitor& visit) const override {
    visit.each(vertices);
    for (const auto& [v, edges] : adj) {
      visit(v);
      visit.each(edges);
    }
  }
};

constexpr std::uint64_t kVertices = 80000;
constexpr std::uint64_t kEdgePairs = 3 * kVertices;

Ref<Object> build_flow_graph() {
  Rng rng(2);
  Ref<Graph> g = make<Graph>();
  g->vertices.reserve(kVertices);
  for (std::uint64_t i = 0; i < kVertices; ++i) {
    Ref<Vertex> v = make<Vertex>(cat("v", i));
    g->adj[v];  // an empty adjacency list
    g->vertices.push_back(std::move(v));
  }
  for (std::uint64_t i = 0; i < kEdgePairs; ++i) {
    const Ref<Vertex>& u = g->vertices[rng.below(kVertices)];
    const Ref<Vertex>& v = g->vertices[rng.below(kVertices)];
    const double cap = static_cast<double>(1 + rng.below(100));
    Ref<Edge> fwd = make<Edge>(v, cap);
    Ref<Edge> back = make<Edge>(u, 0.0);
    fwd->rev = back;
    back->rev = fwd;
    g->adj[u].push_back(std::move(fwd));
    g->adj[v].push_back(std::move(back));
  }
  // One BFS over edges with residual capacity (Dinic's level graph).
  std::deque<Vertex*> queue;
  Vertex* s = g->vertices[0].get();
  s->level = 0;
  queue.push_back(s);
  while (!queue.empty()) {
    Vertex* u = queue.front();
    queue.pop_front();
    for (const Ref<Edge>& e : g->adj[Ref<Vertex>(u)]) {
      if (e->cap - e->flow > 0 && e->to->level < 0) {
        e->to->level = u->level + 1;
        e->to->pred = e;
        queue.push_back(e->to.get());
      }
    }
  }
  return g;
}

// ---------------------------------------------------------------- lru_cache

struct Host : Object {
  std::string name;
  Ref<Host> parent_domain;
  explicit Host(std::string n) : name(std::move(n)) {}
  void traverse(Visitor& visit) const override { visit(parent_domain); }
};

struct Response : Object {
  std::string url;
  long status;
  std::string body;
  Ref<Host> host;
  Ref<Response> redirect_from;
  Response(std::string u, long s, std::string b, Ref<Host> h, Ref<Response> r)
      : url(std::move(u)), status(s), body(std::move(b)), host(std::move(h)), redirect_from(std::move(r)) {}
  void traverse(Visitor& visit) const override {
    visit(host);
    visit(redirect_from);
  }
};

struct Link : Object {
  Ref<Link> prev;
  Ref<Link> next;
  std::string key;
  Ref<Response> value;
  void traverse(Visitor& visit) const override {
    visit(prev);
    visit(next);
    visit(value);
  }
};

// lru_cache_dict (added in session 7, not by the helper): the same program
// with rcgc::Dict as the map, the only change.
template <class Map>
struct LruCacheOf : Object {
  std::size_t capacity;
  Ref<Link> root;  // sentinel: root->next is the oldest, root->prev the newest
  Map map;
  std::vector<Ref<Host>> hosts;
  explicit LruCacheOf(std::size_t cap) : capacity(cap), root(make<Link>()) {
    root->prev = root;
    root->next = root;
  }
  void traverse(Visitor& visit) const override {
    visit(root);
    for (const auto& [k, link] : map) visit(link);
    visit.each(hosts);
  }
  Ref<Response> get(const std::string& key) {
    auto it = map.find(key);
    if (it == map.end()) return nullptr;
    Ref<Link> link = it->second;
    link->prev->next = link->next;  // unlink
    link->next->prev = link->prev;
    Ref<Link> last = root->prev;  // append as the newest
    last->next = link;
    root->prev = link;
    link->prev = last;
    link->next = root;
    return link->value;
  }
  void put(const std::string& key, Ref<Response> value) {
    if (map.size() >= capacity) {  // evict the oldest
      Ref<Link> oldest = root->next;
      root->next = oldest->next;
      oldest->next->prev = root;
      oldest->prev = nullptr;
      oldest->next = nullptr;
      map.erase(oldest->key);
    }
    Ref<Link> link = make<Link>();
    Ref<Link> last = root->prev;
    link->prev = last;
    link->next = root;
    link->key = key;
    link->value = std::move(value);
    last->next = link;
    root->prev = link;
    map.emplace(key, std::move(link));
  }
};
using LruCache = LruCacheOf<std::unordered_map<std::string, Ref<Link>>>;
using LruCacheDict = LruCacheOf<rcgc::Dict<std::string, Ref<Link>>>;

constexpr std::uint64_t kHosts = 2000;
constexpr std::size_t kCapacity = 220000;
constexpr int kRequests = 400000;
constexpr std::uint64_t kUrls = 300000;

template <class Cache>
Ref<Object> build_lru() {
  Rng rng(3);
  Ref<Cache> cache = make<Cache>(kCapacity);
  for (std::uint64_t i = 0; i < kHosts; ++i) {
    Ref<Host> h = make<Host>(cat("host", i, ".example.com"));
    if (i > 0 && rng.below(4) == 0) h->parent_domain = cache->hosts[rng.below(i)];
    cache->hosts.push_back(std::move(h));
  }
  Ref<Response> last;
  for (int i = 0; i < kRequests; ++i) {
    const std::uint64_t u = rng.below(kUrls);
    std::string url = cat("https://host", u % kHosts, ".example.com/page/", u);
    Ref<Response> hit = cache->get(url);
    if (hit) {
      last = hit;
      continue;
    }
    const bool redirected = last && rng.below(5) == 0;
    std::string body = cat("<html>", u, "</html>");
    Ref<Response> r = make<Response>(url, redirected ? 301 : 200, std::move(body),
                                     cache->hosts[u % kHosts], redirected ? last : nullptr);
    cache->put(url, r);
    last = std::move(r);
  }
  return cache;
}

// ---------------------------------------------------------------- orm

struct ModelClass : Object {
  std::string name;
  Ref<ModelClass> base;
  ModelClass(std::string n, Ref<ModelClass> b) : name(std::move(n)), base(std::move(b)) {}
  void traverse(Visitor& visit) const override { visit(base); }
};

struct Model : Object {
  Ref<ModelClass> cls;  // Python: the instance's type
  long pk;
  Model(Ref<ModelClass> c, long p) : cls(std::move(c)), pk(p) {}
  void traverse(Visitor& visit) const override { visit(cls); }
};

struct Named : Model {  // Region, Currency, Status
  std::string name;
  Named(Ref<ModelClass> c, long p, std::string n) : Model(std::move(c), p), name(std::move(n)) {}
};

struct Category : Model {
  std::string name;
  Ref<Category> parent;
  Category(Ref<ModelClass> c, long p, std::string n, Ref<Category> par)
      : Model(std::move(c), p), name(std::move(n)), parent(std::move(par)) {}
  void traverse(Visitor& visit) const override {
    visit(cls);
    visit(parent);
  }
};

struct Customer : Model {
  std::string name;
  std::string email;
  Ref<Named> region;
  Ref<Customer> referred_by;
  Customer(Ref<ModelClass> c, long p, std::string n, std::string e, Ref<Named> r, Ref<Customer> ref)
      : Model(std::move(c), p), name(std::move(n)), email(std::move(e)), region(std::move(r)),
        referred_by(std::move(ref)) {}
  void traverse(Visitor& visit) const override {
    visit(cls);
    visit(region);
    visit(referred_by);
  }
};

struct Product : Model {
  std::string name;
  double price;
  Ref<Category> category;
  Ref<Named> currency;
  Product(Ref<ModelClass> c, long p, std::string n, double pr, Ref<Category> cat, Ref<Named> cur)
      : Model(std::move(c), p), name(std::move(n)), price(pr), category(std::move(cat)),
        currency(std::move(cur)) {}
  void traverse(Visitor& visit) const override {
    visit(cls);
    visit(category);
    visit(currency);
  }
};

struct Order : Model {
  double total = 0.0;
  Ref<Customer> customer;
  Ref<Named> status;
  Ref<Named> currency;
  Order(Ref<ModelClass> c, long p, Ref<Customer> cu, Ref<Named> st, Ref<Named> cur)
      : Model(std::move(c), p), customer(std::move(cu)), status(std::move(st)), currency(std::move(cur)) {}
  void traverse(Visitor& visit) const override {
    visit(cls);
    visit(customer);
    visit(status);
    visit(currency);
  }
};

struct OrderLine : Model {
  long qty;
  double price;
  Ref<Order> order;
  Ref<Product> product;
  OrderLine(Ref<ModelClass> c, long p, long q, double pr, Ref<Order> o, Ref<Product> prod)
      : Model(std::move(c), p), qty(q), price(pr), order(std::move(o)), product(std::move(prod)) {}
  void traverse(Visitor& visit) const override {
    visit(cls);
    visit(order);
    visit(product);
  }
};

struct Session : Object {
  // class name -> (pk -> instance): the identity maps.
  std::unordered_map<std::string, std::unordered_map<long, Ref<Model>>> identity;
  std::vector<Ref<ModelClass>> classes;
  void traverse(Visitor& visit) const override {
    visit.each(classes);
    for (const auto& [name, objs] : identity)
      for (const auto& [pk, obj] : objs) visit(obj);
  }
};

constexpr long kRegions = 50, kCurrencies = 10, kStatuses = 6, kCategories = 300;
constexpr long kCustomers = 60000, kProducts = 20000, kOrders = 150000, kLines = 400000;

Ref<Object> build_orm() {
  Rng rng(4);
  Ref<Session> s = make<Session>();
  Ref<ModelClass> model = make<ModelClass>("Model", nullptr);
  auto cls = [&](const char* name) {
    Ref<ModelClass> c = make<ModelClass>(name, model);
    s->classes.push_back(c);
    return c;
  };
  s->classes.push_back(model);
  Ref<ModelClass> region_c = cls("Region"), currency_c = cls("Currency"), status_c = cls("Status"),
                  category_c = cls("Category"), customer_c = cls("Customer"), product_c = cls("Product"),
                  order_c = cls("Order"), line_c = cls("OrderLine");
  auto& regions = s->identity["Region"];
  auto& currencies = s->identity["Currency"];
  auto& statuses = s->identity["Status"];
  auto& categories = s->identity["Category"];
  auto& customers = s->identity["Customer"];
  auto& products = s->identity["Product"];
  auto& orders = s->identity["Order"];
  auto& lines = s->identity["OrderLine"];
  std::vector<Ref<Named>> region_v, currency_v, status_v;
  std::vector<Ref<Category>> category_v;
  std::vector<Ref<Customer>> customer_v;
  std::vector<Ref<Product>> product_v;
  std::vector<Ref<Order>> order_v;
  for (long i = 0; i < kRegions; ++i) {
    region_v.push_back(make<Named>(region_c, i, cat("region", i)));
    regions.emplace(i, region_v.back());
  }
  for (long i = 0; i < kCurrencies; ++i) {
    currency_v.push_back(make<Named>(currency_c, i, cat("cur", i)));
    currencies.emplace(i, currency_v.back());
  }
  for (long i = 0; i < kStatuses; ++i) {
    status_v.push_back(make<Named>(status_c, i, cat("status", i)));
    statuses.emplace(i, status_v.back());
  }
  for (long i = 0; i < kCategories; ++i) {
    Ref<Category> parent = i > 0 && rng.below(3) != 0 ? category_v[rng.below(i)] : nullptr;
    category_v.push_back(make<Category>(category_c, i, cat("cat", i), parent));
    categories.emplace(i, category_v.back());
  }
  for (long i = 0; i < kCustomers; ++i) {
    Ref<Customer> ref = i > 0 && rng.below(10) < 3 ? customer_v[rng.below(i)] : nullptr;
    customer_v.push_back(make<Customer>(customer_c, i, cat("customer", i),
                                        cat("c", i, "@example.com"),
                                        region_v[rng.below(kRegions)], ref));
    customers.emplace(i, customer_v.back());
  }
  for (long i = 0; i < kProducts; ++i) {
    const double price = static_cast<double>(rng.below(100000)) / 100.0;
    Ref<Category> categ = category_v[rng.below(kCategories)];
    product_v.push_back(make<Product>(product_c, i, cat("product", i), price, categ,
                                      currency_v[rng.below(kCurrencies)]));
    products.emplace(i, product_v.back());
  }
  for (long i = 0; i < kOrders; ++i) {
    Ref<Customer> cu = customer_v[rng.below(kCustomers)];
    Ref<Named> st = status_v[rng.below(kStatuses)];
    order_v.push_back(make<Order>(order_c, i, cu, st, currency_v[rng.below(kCurrencies)]));
    orders.emplace(i, order_v.back());
  }
  for (long i = 0; i < kLines; ++i) {
    Ref<Order> o = order_v[rng.below(kOrders)];
    Ref<Product> p = product_v[rng.below(kProducts)];
    const long qty = 1 + static_cast<long>(rng.below(5));
    Ref<OrderLine> line = make<OrderLine>(line_c, i, qty, p->price, o, p);
    o->total += static_cast<double>(qty) * p->price;
    lines.emplace(i, std::move(line));
  }
  return s;
}

// ---------------------------------------------------------------- main

// The part of LruCache::traverse no collector can skip: the walk of the
// std::unordered_map's nodes, read for the links they hold (the nodes are
// scattered through malloc's heap by the evictions), in ns per object of
// the heap, to set beside the collection's.
void lru_map_walk(const Ref<Object>& heap, std::size_t objects) {
  const auto& map = static_cast<const LruCache&>(*heap).map;
  std::uintptr_t sum = 0;
  const double walk = bench::best_of(5, [&] {
    for (const auto& [key, link] : map) sum += reinterpret_cast<std::uintptr_t>(link.get());
  });
  if (sum == 0) std::puts("");  // keeps the loop
  std::printf("lru_cache_map_walk_ns_per_object %.3f\n",
              walk * 1e9 / static_cast<double>(objects));
}

constexpr unseen::Workload kWorkloads[] = {
    {"parse_tree", build_parse_tree},
    {"flow_graph", build_flow_graph},
    {"lru_cache", build_lru<LruCache>, lru_map_walk},
    {"lru_cache_dict", build_lru<LruCacheDict>},
    {"orm", build_orm},
};

}  // namespace

int main(int argc, char** argv) { return unseen::run(argc, argv, "gc_unseen", kWorkloads); }
