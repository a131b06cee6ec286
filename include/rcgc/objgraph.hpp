// rcgc::objgraph: what Python's objgraph shows, for the current heap.
//
// Counts of tracked objects by type, their growth between calls, the
// objects that hold one ("why is this alive?"), and the object graph as
// Graphviz DOT, rendered to SVG / PNG / PDF when Graphviz's `dot` is
// installed. Like objgraph (which reads gc.get_objects()), it sees the
// tracked objects of the current heap: those gc::get_objects() lists.
// Nothing here changes the heap, but growth(), which collects first (and
// leaks::find_leaks, which collects). `filter` and `extra_info` callbacks
// must not release references.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rcgc/gc.hpp"
#include "rcgc/ref.hpp"

namespace rcgc::objgraph {

// The demangled name of op's dynamic type; with `shortnames`, without its
// namespaces ("scene::Entity" -> "Entity"; a template's arguments keep
// theirs): objgraph's default, a class's __name__.
std::string type_name(const Object* op, bool shortnames = true);

// Tracked objects per type name.
std::map<std::string, std::size_t> typestats(bool shortnames = true);
// Tracked objects whose type is `name`: qualified ("scene::Entity") when it
// has "::" outside template arguments, else short ("Entity",
// "Box<scene::Entity>").
std::size_t count(std::string_view name);
// The tracked objects whose type is `name` (as count() reads it).
ObjectList by_type(std::string_view name);

// The `limit` most numerous types (0: all), most numerous first (ties by
// name).
std::vector<std::pair<std::string, std::size_t>> most_common_types(std::size_t limit = 10,
                                                                   bool shortnames = true);
// Prints them, a line each: the name padded to the longest, then the count.
void show_most_common_types(std::size_t limit = 10, bool shortnames = true);
void show_most_common_types(std::ostream& out, std::size_t limit = 10, bool shortnames = true);

// The highest count seen of each type, kept between calls of growth().
using PeakStats = std::map<std::string, std::size_t>;
struct Growth {
  std::string type;
  std::size_t count = 0;  // now
  std::size_t delta = 0;  // above its peak before this call
};
// Runs a full collection, then returns the types whose count is above its
// peak in `peaks` (the current heap's own when not given), largest rise
// first (ties by name), at most `limit` (0: all); the peaks are raised to
// the counts. The first call reports every type.
std::vector<Growth> growth(std::size_t limit = 10, bool shortnames = true);
std::vector<Growth> growth(PeakStats& peaks, std::size_t limit = 10, bool shortnames = true);
// Prints growth(): name, count and "+delta", aligned.
void show_growth(std::size_t limit = 10, bool shortnames = true);
void show_growth(std::ostream& out, std::size_t limit = 10, bool shortnames = true);
void show_growth(std::ostream& out, PeakStats& peaks, std::size_t limit = 10,
                 bool shortnames = true);

// The tracked objects that reference obj (gc::get_referrers).
ObjectList get_backrefs(const Object* obj);
template <class T>
ObjectList get_backrefs(const Ref<T>& r) {
  return get_backrefs(static_cast<const Object*>(r.get()));
}

// A tracked object referenced from outside the tracked objects (a local or
// global Ref, an untracked object), and how many such references it has:
// its count less the references tracked objects hold (the collector's
// gc_refs after subtract_refs). What keeps the heap alive starts here.
// The references in `extra_ignore`'s lists (by_type()'s result, say: a
// std::vector of Refs, outside the heap too) are not counted (objgraph's
// extra_ignore).
struct Root {
  Ref<Object> object;
  std::size_t external = 0;  // not counting this Root's own `object`
};
using IgnoreLists = std::vector<const ObjectList*>;
std::vector<Root> roots(const IgnoreLists& extra_ignore = {});

// Tracked objects that no tracked object references (objgraph's
// get_leaking_objects): the tops of the heap's structures, held from
// outside it (or by nothing: an object whose last Ref was leaked).
ObjectList get_leaking_objects();

using Predicate = std::function<bool(const Object*)>;
// The shortest chain of references to obj from an object for which
// `is_root` is true (by default: a root, above, not counting the
// references in `extra_ignore`), searched breadth-first through referrers,
// at most max_depth steps: [root, ..., obj]. obj itself is never taken as
// the end (the caller's handle on it is an outside reference too). [obj]
// when there is no such chain (objgraph's contract). A list this library
// returned (by_type, an earlier chain) holds references from outside the
// heap: pass it in `extra_ignore`, or its objects are roots.
ObjectList find_backref_chain(const Object* obj, const Predicate& is_root = {},
                              std::size_t max_depth = 20, const IgnoreLists& extra_ignore = {});
template <class T>
ObjectList find_backref_chain(const Ref<T>& r, const Predicate& is_root = {},
                              std::size_t max_depth = 20, const IgnoreLists& extra_ignore = {}) {
  return find_backref_chain(static_cast<const Object*>(r.get()), is_root, max_depth,
                            extra_ignore);
}
// The shortest chain from obj to an object for which `predicate` is true,
// through referents: [obj, ..., target]; [obj] when there is none.
ObjectList find_ref_chain(const Object* obj, const Predicate& predicate,
                          std::size_t max_depth = 20);
template <class T>
ObjectList find_ref_chain(const Ref<T>& r, const Predicate& predicate,
                          std::size_t max_depth = 20) {
  return find_ref_chain(static_cast<const Object*>(r.get()), predicate, max_depth);
}

// Graphviz DOT of the objects reachable from `objs` through references
// (refs_dot) or through referrers (backrefs_dot), breadth-first.
struct GraphOptions {
  std::size_t max_depth = 3;   // steps from the starting objects
  std::size_t too_many = 10;   // edges shown per object; the rest as one note
  bool shortnames = true;
  Predicate filter;            // objects to leave out (false: left out)
  std::function<std::string(const Object*)> extra_info;  // a line under the name
};
std::string refs_dot(const std::vector<const Object*>& objs, const GraphOptions& options = {});
std::string backrefs_dot(const std::vector<const Object*>& objs,
                         const GraphOptions& options = {});
// A chain (find_backref_chain, find_ref_chain): its objects in a row.
std::string chain_dot(const ObjectList& chain, bool shortnames = true);

// Writes DOT to `filename`: as it is when the name ends in ".dot"; else
// rendered by Graphviz's `dot` in the format the extension names (svg, png,
// pdf, ...), with the DOT kept beside it as <filename>.dot. Without `dot` on
// PATH, only the .dot is written. Throws std::runtime_error when a file
// cannot be written or `dot` fails.
struct Written {
  std::string path;       // the file with the graph: the image, or the .dot
  bool rendered = false;  // an image was made
  std::string note;       // one line for the user: what was written
};
Written write_graph(const std::string& dot, const std::string& filename);
// Whether Graphviz's `dot` is on PATH.
bool graphviz_available();
// refs_dot / backrefs_dot / chain_dot, written by write_graph.
Written show_refs(const std::vector<const Object*>& objs, const std::string& filename,
                  const GraphOptions& options = {});
Written show_backrefs(const std::vector<const Object*>& objs, const std::string& filename,
                      const GraphOptions& options = {});
Written show_chain(const ObjectList& chain, const std::string& filename, bool shortnames = true);

}  // namespace rcgc::objgraph
