// rcgc::leaks: the leak report, objgraph and tracemalloc together.
//
//   rcgc::tracemalloc::start();       // before the leaking code runs
//   ...
//   std::cout << rcgc::leaks::find_leaks().to_string();
//     // 2 objects in garbage cycles
//     //   2 x app::Node, made at app.cpp:12
//     //   <app::Node object at 0x7f..> made at app.cpp:12
//     //   ...
#pragma once

#include <string>
#include <vector>

#include "rcgc/ref.hpp"
#include "rcgc/tracemalloc.hpp"

namespace rcgc::leaks {

struct Leaked {
  Ref<Object> object;
  std::string type;              // qualified (objgraph::type_name)
  tracemalloc::Traceback where;  // empty when tracemalloc did not see it made; oldest first
};

struct Report {
  std::vector<Leaked> objects;  // in the order the collection found them
  // A summary per type and line (most first), then each object.
  std::string to_string() const;
};

// Runs a full collection of the current heap that keeps what it finds
// unreachable (gc::DEBUG_SAVEALL for its duration) and reports every object
// of those cycles: its type and the line that made it (when tracemalloc was
// tracing then). The objects are taken out of gc::garbage() again, so the
// report holds the only references to them: once it is gone they are
// garbage again, for the next collection to free.
Report find_leaks();

}  // namespace rcgc::leaks
