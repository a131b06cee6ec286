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
                    : "made at " + tb.back().to_string();  // the allocating line
}

// Restores the debug flags and takes what the collection saved back out of
// gc::garbage(), whatever happens after the collection.
class SavedGarbage {
 public:
  SavedGarbage() : before_(gc::garbage().size()), flags_(gc::get_debug()) {
    gc::set_debug(flags_ | gc::DEBUG_SAVEALL);
  }
  ~SavedGarbage() {
    gc::set_debug(flags_);
    auto& garbage = gc::garbage();
    while (garbage.size() > before_) garbage.erase(garbage.size() - 1);
  }
  SavedGarbage(const SavedGarbage&) = delete;
  SavedGarbage& operator=(const SavedGarbage&) = delete;
  std::size_t before() const noexcept { return before_; }

 private:
  std::size_t before_;
  unsigned flags_;
};

}  // namespace

Report find_leaks() {
  Report report;
  SavedGarbage saved;
  gc::collect();
  auto& garbage = gc::garbage();
  std::vector<const Object*> found;
  for (std::size_t i = saved.before(); i < garbage.size(); ++i) found.push_back(garbage[i].get());
  auto where = tracemalloc::get_object_tracebacks(found);  // one symbolizing run
  for (std::size_t i = 0; i < found.size(); ++i)
    report.objects.push_back(Leaked{Ref<Object>(const_cast<Object*>(found[i])),
                                    objgraph::type_name(found[i], false), std::move(where[i])});
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
