// Seed 004: the tools for looking at memory, memory_profiler and objgraph.
//
//   @profile
//   def my_function():
//       data = [i for i in range(1000000)]
//       return data
//   my_function()              -> memory before, after and at the peak
//
//   a = [1, 2, 3]
//   refs = objgraph.get_backrefs(a)   -> what holds a (the module's globals)
//   objgraph.show_growth()            -> the types that grew since last time
//
// And the two SPEC adds: tracemalloc's statistics by line, and the leak
// report (every object of a garbage cycle, its type and the line that made
// it).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <rcgc/rcgc.hpp>

using rcgc::Ref;
namespace objgraph = rcgc::objgraph;

struct Int : rcgc::Object {  // untracked, as CPython's ints
  long value;
  explicit Int(long v) : value(v) {}
};
struct List : rcgc::Object {
  std::vector<Ref<rcgc::Object>> items;
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
};
// A module's globals: what a module-level `a = [...]` lives in.
struct Globals : rcgc::Object {
  std::vector<Ref<rcgc::Object>> values;
  void traverse(rcgc::Visitor& visit) const override { visit.each(values); }
};

Ref<List> my_function() {
  auto data = rcgc::make<List>();
  for (long i = 0; i < 1000000; ++i) data->items.push_back(rcgc::make<Int>(i));
  return data;
}

int main() {
  rcgc::tracemalloc::start();
  std::printf("-- memory_profiler: @profile def my_function()\n");
  auto data = rcgc::memory_profiler::profile("my_function", my_function, &std::cout);
  std::printf("my_function() returned a list of %zu ints\n", data->items.size());

  std::printf("\n-- tracemalloc: snapshot.statistics('lineno')[:3]\n");
  auto stats = rcgc::tracemalloc::take_snapshot().statistics("lineno");
  for (std::size_t i = 0; i < stats.size() && i < 3; ++i)
    std::printf("%s\n", stats[i].to_string().c_str());
  data.reset();
  std::printf("after del: RSS %.1f MiB, %zu objects on the heap\n\n",
              rcgc::memory_profiler::memory_usage(), rcgc::live_objects());

  std::printf("-- objgraph.show_growth() (first call: every type)\n");
  auto globals = rcgc::make<Globals>();
  objgraph::show_growth();

  std::printf("\n-- a = [1, 2, 3]; refs = objgraph.get_backrefs(a)\n");
  auto a = rcgc::make<List>();
  for (long v : {1, 2, 3}) a->items.push_back(rcgc::make<Int>(v));
  globals->values.push_back(a);
  for (const auto& ref : objgraph::get_backrefs(a))
    std::printf("%s (%s)\n", objgraph::type_name(ref.get()).c_str(),
                ref.get() == globals.get() ? "the module's globals" : "?");

  std::printf("\n-- objgraph.show_growth() after making a, and a cycle that leaks\n");
  {
    auto x = rcgc::make<List>(), y = rcgc::make<List>();
    x->items.push_back(y);
    y->items.push_back(x);
    globals->values.push_back(x);  // still reachable: it grows
  }
  objgraph::show_growth();

  std::printf("\n-- why is a alive? objgraph.find_backref_chain(a)\n");
  for (const auto& o : objgraph::find_backref_chain(a))
    std::printf("  %s%s\n", objgraph::type_name(o.get()).c_str(),
                o.get() == a.get() ? "  <- a" : "");

  std::printf("\n-- objgraph.show_most_common_types()\n");
  objgraph::show_most_common_types();

  std::printf("\n-- the leak report: x and y were left in a cycle, then dropped\n");
  globals->values.pop_back();
  std::printf("%s", rcgc::leaks::find_leaks().to_string().c_str());
  rcgc::tracemalloc::stop();

  auto file = (std::filesystem::temp_directory_path() / "rcgc-ex10-backrefs.svg").string();
  auto written = objgraph::show_backrefs({a.get()}, file);
  std::printf("\n-- objgraph.show_backrefs([a]): %s\n", written.note.c_str());
  return 0;
}
