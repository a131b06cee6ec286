// rcgc::objgraph (include/rcgc/objgraph.hpp; docs/design.md, "Seeing
// memory").
#include "rcgc/objgraph.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <iostream>
#include <stdexcept>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "core/describe.hpp"
#include "rcgc/detail/heap_state.hpp"
#include "tools/run.hpp"

namespace rcgc::objgraph {
namespace {

// Each object of a list once, in the order first met (the objects stay
// alive without the list: whatever listed them holds them).
std::vector<Object*> distinct(const ObjectList& objs) {
  std::unordered_set<const Object*> seen;
  std::vector<Object*> out;
  for (const Ref<Object>& o : objs)
    if (seen.insert(o.get()).second) out.push_back(o.get());
  return out;
}

// Where a type's name starts without its namespaces: after the last "::"
// outside template arguments and parentheses (0 when there is none).
std::size_t unqualified_start(std::string_view name) {
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (depth == 0 && c == ':' && i + 1 < name.size() && name[i + 1] == ':') start = i + 2;
  }
  return start;
}

// Whether a name given to count() or by_type() is qualified.
bool qualified(std::string_view name) { return unqualified_start(name) != 0; }

// Names per dynamic type, demangled once per call.
class Names {
 public:
  explicit Names(bool shortnames) : shortnames_(shortnames) {}
  const std::string& of(const Object* op) {
    const std::type_info* t = &typeid(*op);
    auto it = cache_.find(t);
    if (it == cache_.end()) it = cache_.emplace(t, type_name(op, shortnames_)).first;
    return it->second;
  }

 private:
  bool shortnames_;
  std::unordered_map<const std::type_info*, std::string> cache_;
};

// A snapshot of the tracked heap: each object's referents, the reverse
// edges, and the references each receives from tracked objects.
class Graph {
 public:
  Graph() : nodes_(gc::get_objects()), internal_(nodes_.size(), 0) {
    index_.reserve(nodes_.size());
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) index_.emplace(nodes_[i].get(), i);
    for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
      for (const Ref<Object>& to : gc::get_referents(nodes_[i].get())) {
        auto it = index_.find(to.get());
        if (it != index_.end()) ++internal_[it->second];
        auto& from = referrers_[to.get()];
        if (from.empty() || from.back() != i) from.push_back(i);
      }
    }
  }
  // The tracked objects (gc::get_objects()).
  const ObjectList& nodes() const noexcept { return nodes_; }
  // References in the caller's lists count as the heap's own.
  void ignore(const IgnoreLists& lists) noexcept {
    for (const ObjectList* list : lists)
      for (const Ref<Object>& r : *list)
        if (auto it = index_.find(r.get()); it != index_.end()) ++internal_[it->second];
  }
  // Whether a tracked object references op.
  bool referenced(const Object* op) const noexcept { return referrers_.count(op) != 0; }
  // References to op from outside the tracked objects; 0 for an object
  // that is not tracked (it is not a root of the tracked heap). The
  // snapshot's own reference (nodes_) is not counted.
  std::size_t external(const Object* op) const noexcept {
    auto it = index_.find(op);
    if (it == index_.end()) return 0;
    const std::size_t rc = op->refcount(), in = internal_[it->second] + 1;
    return rc > in ? rc - in : 0;
  }
  std::vector<Object*> referrers(const Object* op) const {
    std::vector<Object*> out;
    auto it = referrers_.find(op);
    if (it != referrers_.end())
      for (std::uint32_t i : it->second) out.push_back(nodes_[i].get());
    return out;
  }

 private:
  ObjectList nodes_;
  std::vector<std::size_t> internal_;
  std::unordered_map<const Object*, std::uint32_t> index_;
  std::unordered_map<const Object*, std::vector<std::uint32_t>> referrers_;
};

// Breadth-first from obj along `next` (referrers or referents), never
// ending at obj: the path from the first object `found` accepts back to
// obj; [obj] when none is found.
template <class Next>
std::vector<const Object*> search(const Object* obj, const Predicate& found,
                                  std::size_t max_depth, Next&& next) {
  std::unordered_map<const Object*, const Object*> parent{{obj, nullptr}};
  std::deque<std::pair<const Object*, std::size_t>> queue{{obj, 0}};
  while (!queue.empty()) {
    auto [op, depth] = queue.front();
    queue.pop_front();
    if (op != obj && found(op)) {
      std::vector<const Object*> path;
      for (const Object* p = op; p != nullptr; p = parent[p]) path.push_back(p);
      return path;
    }
    if (depth >= max_depth) continue;
    for (Object* n : next(op))
      if (parent.emplace(n, op).second) queue.emplace_back(n, depth + 1);
  }
  return {obj};
}

ObjectList as_list(const std::vector<const Object*>& objs) {
  ObjectList out;
  out.reserve(objs.size());
  for (const Object* o : objs) out.emplace_back(const_cast<Object*>(o));
  return out;
}

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string node_label(const Object* op, Names& names,
                       const std::function<std::string(const Object*)>& extra) {
  std::string label = names.of(op);
  label += "\nrefcount " + std::to_string(op->refcount());
  if (extra) label += "\n" + extra(op);
  return dot_escape(label);
}

constexpr const char* kHeader =
    "digraph ObjectGraph {\n"
    "  node [shape=box, style=filled, fillcolor=white, fontname=\"Helvetica\", fontsize=10];\n";

// The starting objects stand out; the rest fade with their distance.
const char* fill_for(std::size_t depth) {
  static const char* const kFills[] = {"#ffd54f", "#fff3c4", "#f4f4f4"};
  return kFills[std::min<std::size_t>(depth, 2)];
}

std::string walk_dot(const std::vector<const Object*>& objs, const GraphOptions& opt,
                     bool backwards) {
  std::unique_ptr<Graph> graph;
  if (backwards) graph = std::make_unique<Graph>();
  Names names(opt.shortnames);
  auto keep = [&](const Object* o) { return o != nullptr && (!opt.filter || opt.filter(o)); };
  std::unordered_map<const Object*, std::size_t> id;
  std::deque<std::pair<const Object*, std::size_t>> queue;
  auto node = [&](const Object* o, std::size_t depth) {
    auto [it, added] = id.emplace(o, id.size());
    if (added) queue.emplace_back(o, depth);
    return it->second;
  };
  for (const Object* o : objs)
    if (keep(o)) node(o, 0);
  std::string out = kHeader, edges;
  while (!queue.empty()) {
    auto [op, depth] = queue.front();
    queue.pop_front();
    const std::size_t me = id.at(op);
    out += "  o" + std::to_string(me) + " [label=\"" + node_label(op, names, opt.extra_info) +
           "\", fillcolor=\"" + fill_for(depth) + "\"];\n";
    if (depth >= opt.max_depth) continue;
    std::vector<Object*> next =
        backwards ? graph->referrers(op) : distinct(gc::get_referents(op));
    std::erase_if(next, [&](const Object* o) { return !keep(o); });
    const std::size_t shown = std::min(next.size(), opt.too_many);
    for (std::size_t i = 0; i < shown; ++i) {
      const std::size_t other = node(next[i], depth + 1);
      const std::size_t from = backwards ? other : me, to = backwards ? me : other;
      edges += "  o" + std::to_string(from) + " -> o" + std::to_string(to) + ";\n";
    }
    if (next.size() > shown) {
      const std::string more = "o" + std::to_string(me) + "_more";
      out += "  " + more + " [label=\"" + std::to_string(next.size() - shown) + " more " +
             (backwards ? "referrers" : "referents") + "\", shape=plaintext, style=\"\"];\n";
      edges += backwards ? "  " + more + " -> o" + std::to_string(me) + " [style=dotted];\n"
                         : "  o" + std::to_string(me) + " -> " + more + " [style=dotted];\n";
    }
  }
  return out + edges + "}\n";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << text;
  f.flush();
  if (!f) throw std::runtime_error("objgraph: cannot write " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string type_name(const Object* op, bool shortnames) {
  std::string name = detail::demangle(typeid(*op).name());
  return shortnames ? name.substr(unqualified_start(name)) : name;
}

std::map<std::string, std::size_t> typestats(bool shortnames) {
  Names names(shortnames);
  std::map<std::string, std::size_t> out;
  for (const Ref<Object>& op : gc::get_objects()) ++out[names.of(op.get())];
  return out;
}

std::size_t count(std::string_view name) {
  Names names(!qualified(name));
  std::size_t n = 0;
  for (const Ref<Object>& op : gc::get_objects()) n += names.of(op.get()) == name;
  return n;
}

ObjectList by_type(std::string_view name) {
  Names names(!qualified(name));
  ObjectList out = gc::get_objects();
  std::erase_if(out, [&](const Ref<Object>& op) { return names.of(op.get()) != name; });
  return out;
}

std::vector<std::pair<std::string, std::size_t>> most_common_types(std::size_t limit,
                                                                   bool shortnames) {
  auto stats = typestats(shortnames);
  std::vector<std::pair<std::string, std::size_t>> out(stats.begin(), stats.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (limit != 0 && out.size() > limit) out.resize(limit);
  return out;
}

namespace {
std::string pad(const std::string& s, std::size_t width) {
  return s + std::string(width > s.size() ? width - s.size() : 0, ' ');
}
std::string right(const std::string& s, std::size_t width) {
  return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}
// growth()'s rows as objgraph prints them: the name padded to the longest,
// the count and the rise in columns of 9.
void print_growth(std::ostream& out, const std::vector<Growth>& rows) {
  std::size_t width = 0;
  for (const Growth& g : rows) width = std::max(width, g.type.size());
  for (const Growth& g : rows)
    out << pad(g.type, width) << right(std::to_string(g.count), 9) << ' '
        << right(std::string(1, '+').append(std::to_string(g.delta)), 9) << '\n';
}
}  // namespace

void show_most_common_types(std::size_t limit, bool shortnames) {
  show_most_common_types(std::cout, limit, shortnames);
}

void show_most_common_types(std::ostream& out, std::size_t limit, bool shortnames) {
  const auto rows = most_common_types(limit, shortnames);
  std::size_t width = 0;
  for (const auto& [name, n] : rows) width = std::max(width, name.size());
  for (const auto& [name, n] : rows) out << pad(name, width) << ' ' << n << '\n';
}

std::vector<Growth> growth(std::size_t limit, bool shortnames) {
  // The current heap's peaks (objgraph keeps one set per interpreter).
  return growth(detail::current_heap_state().objgraph_peaks, limit, shortnames);
}

std::vector<Growth> growth(PeakStats& peaks, std::size_t limit, bool shortnames) {
  gc::collect();
  std::vector<Growth> out;
  for (const auto& [name, n] : typestats(shortnames)) {
    std::size_t& peak = peaks[name];
    if (n > peak) out.push_back({name, n, n - peak});
    peak = std::max(peak, n);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Growth& a, const Growth& b) { return a.delta > b.delta; });
  if (limit != 0 && out.size() > limit) out.resize(limit);
  return out;
}

void show_growth(std::size_t limit, bool shortnames) { show_growth(std::cout, limit, shortnames); }

void show_growth(std::ostream& out, std::size_t limit, bool shortnames) {
  print_growth(out, growth(limit, shortnames));
}

void show_growth(std::ostream& out, PeakStats& peaks, std::size_t limit, bool shortnames) {
  print_growth(out, growth(peaks, limit, shortnames));
}

ObjectList get_backrefs(const Object* obj) { return gc::get_referrers(obj); }

std::vector<Root> roots(const IgnoreLists& extra_ignore) {
  Graph graph;
  graph.ignore(extra_ignore);
  std::vector<Root> out;
  for (const Ref<Object>& op : graph.nodes())
    if (std::size_t ext = graph.external(op.get())) out.push_back(Root{op, ext});
  return out;
}

ObjectList get_leaking_objects() {
  const Graph graph;
  ObjectList out;
  for (const Ref<Object>& op : graph.nodes())
    if (!graph.referenced(op.get())) out.push_back(op);
  return out;
}

ObjectList find_backref_chain(const Object* obj, const Predicate& is_root,
                              std::size_t max_depth, const IgnoreLists& extra_ignore) {
  if (obj == nullptr) throw std::invalid_argument("objgraph::find_backref_chain: null object");
  Graph graph;
  graph.ignore(extra_ignore);
  Predicate root = is_root;
  if (!root) root = [&graph](const Object* o) { return graph.external(o) > 0; };
  return as_list(search(obj, root, max_depth,
                        [&graph](const Object* o) { return graph.referrers(o); }));
}

ObjectList find_ref_chain(const Object* obj, const Predicate& predicate, std::size_t max_depth) {
  if (obj == nullptr) throw std::invalid_argument("objgraph::find_ref_chain: null object");
  if (!predicate) throw std::invalid_argument("objgraph::find_ref_chain: no predicate");
  auto path = search(obj, predicate, max_depth,
                     [](const Object* o) { return distinct(gc::get_referents(o)); });
  std::reverse(path.begin(), path.end());  // obj first
  return as_list(path);
}

std::string refs_dot(const std::vector<const Object*>& objs, const GraphOptions& options) {
  return walk_dot(objs, options, false);
}

std::string backrefs_dot(const std::vector<const Object*>& objs, const GraphOptions& options) {
  return walk_dot(objs, options, true);
}

std::string chain_dot(const ObjectList& chain, bool shortnames) {
  Names names(shortnames);
  std::string out = kHeader;
  for (std::size_t i = 0; i < chain.size(); ++i)
    out += "  o" + std::to_string(i) + " [label=\"" + node_label(chain[i].get(), names, {}) +
           "\", fillcolor=\"" + fill_for(i + 1 == chain.size() ? 0 : 2) + "\"];\n";
  for (std::size_t i = 0; i + 1 < chain.size(); ++i)
    out += "  o" + std::to_string(i) + " -> o" + std::to_string(i + 1) + ";\n";
  return out + "}\n";
}

bool graphviz_available() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view rest(path);
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty()) dir = ".";
    if (::access((dir + "/dot").c_str(), X_OK) == 0) return true;
  }
  return false;
}

Written write_graph(const std::string& dot, const std::string& filename) {
  const std::size_t slash = filename.find_last_of('/');
  const std::size_t dotpos = filename.find_last_of('.');
  if (dotpos == std::string::npos || (slash != std::string::npos && dotpos < slash))
    throw std::invalid_argument("objgraph: " + filename +
                                " has no extension (.dot, .svg, .png, .pdf, ...)");
  const std::string format = filename.substr(dotpos + 1);
  if (format == "dot") {
    write_file(filename, dot);
    return {filename, false, "graph written to " + filename};
  }
  const std::string source = filename + ".dot";
  write_file(source, dot);
  if (!graphviz_available())
    return {source, false,
            "Graphviz's dot is not on PATH: graph written to " + source + ", not rendered"};
  const std::string type = "-T" + format;
  const tools::RunResult r = tools::run({"dot", type, "-o", filename, source});
  if (r.spawn_error != 0)
    throw std::runtime_error("objgraph: cannot run dot: " +
                             std::string(std::strerror(r.spawn_error)));
  if (!r.ok())
    throw std::runtime_error("objgraph: dot " + type + " -o " + filename + " " + source +
                             " failed (status " + std::to_string(r.status) + ")");
  return {filename, true, "graph written to " + source + ", rendered to " + filename};
}

Written show_refs(const std::vector<const Object*>& objs, const std::string& filename,
                  const GraphOptions& options) {
  return write_graph(refs_dot(objs, options), filename);
}

Written show_backrefs(const std::vector<const Object*>& objs, const std::string& filename,
                      const GraphOptions& options) {
  return write_graph(backrefs_dot(objs, options), filename);
}

Written show_chain(const ObjectList& chain, const std::string& filename, bool shortnames) {
  return write_graph(chain_dot(chain, shortnames), filename);
}

}  // namespace rcgc::objgraph
