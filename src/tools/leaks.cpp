// rcgc::leaks (include/rcgc/leaks.hpp).
#include "rcgc/leaks.hpp"

#include <algorithm>
#include <map>

#include "core/describe.hpp"
#include "rcgc/gc.hpp"
#include "rcgc/objgraph.hpp"

namespace rcgc::leaks {
namespace {

std::string where_of(const tracemalloc::Traceback& tb) {
  return tb.empty() ? std::string("(not traced: tracemalloc::start() before it was made)")
                    : "made at " + tb.front().to_string();
}

}  // namespace

Report find_leaks() {
  auto& garbage = gc::garbage();
  const std::size_t before = garbage.size();
  const unsigned flags = gc::get_debug();
  gc::set_debug(flags | gc::DEBUG_SAVEALL);
  gc::collect();
  gc::set_debug(flags);
  Report report;
  for (std::size_t i = before; i < garbage.size(); ++i) {
    Ref<Object> op = garbage[i];
    report.objects.push_back(Leaked{op, objgraph::type_name(op.get(), false),
                                    tracemalloc::get_object_traceback(op)});
  }
  while (garbage.size() > before) garbage.erase(garbage.size() - 1);
  return report;
}

std::string Report::to_string() const {
  std::string out = std::to_string(objects.size()) + " objects in garbage cycles\n";
  std::map<std::pair<std::string, std::string>, std::size_t> groups;
  for (const Leaked& l : objects) ++groups[{l.type, where_of(l.where)}];
  std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> rows;
  for (auto& [key, n] : groups) rows.emplace_back(n, key);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [n, key] : rows)
    out += "  " + std::to_string(n) + " x " + key.first + ", " + key.second + "\n";
  for (const Leaked& l : objects)
    out += "  " + detail::describe(l.object.get()) + " " + where_of(l.where) + "\n";
  return out;
}

}  // namespace rcgc::leaks
