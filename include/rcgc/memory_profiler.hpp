// rcgc::memory_profiler: memory_profiler's @profile as a scope guard.
//
//   {
//     rcgc::memory_profiler::Scope scope("build_index");
//     ...                       // work
//   }                           // prints: before, after, increment, peak
//
// It reports the process's resident set size (RSS) when the scope opens and
// when it ends, the peak RSS in between (Linux's high-water mark, reset
// when the scope opens), and the current heap's bytes in allocated pool
// blocks and live objects. See docs/design.md, "Seeing memory".
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <type_traits>
#include <utility>

#include "rcgc/mem.hpp"

namespace rcgc::memory_profiler {

// The process's resident set size now, in MiB (memory_profiler's
// memory_usage() unit).
double memory_usage();

struct Report {
  std::string name;
  mem::SourceSite where;
  double before_mib = 0;  // RSS when the scope opened
  double after_mib = 0;   // RSS when it ended (or now, for a scope still open)
  double peak_mib = 0;    // the highest RSS in between
  // False when the kernel refused to reset the high-water mark: the peak
  // is then the process's since it started, perhaps before the scope.
  bool peak_in_scope = true;
  std::size_t heap_bytes_before = 0, heap_bytes_after = 0;  // the heap's pool blocks in use
  std::size_t objects_before = 0, objects_after = 0;        // the heap's live objects
  double seconds = 0;
  double increment_mib() const noexcept { return after_mib - before_mib; }
  // memory_profiler's summary, a few lines.
  std::string to_string() const;
};

class Scope {
 public:
  // Prints the report to `out` when it ends (nothing when out is null).
  explicit Scope(std::string name, std::ostream* out = default_stream(),
                 mem::SourceSite where = mem::SourceSite::current());
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  // The report so far, the scope still open.
  Report report() const;
  // Ends the scope now: the final report, printed to `out` as the
  // destructor would (which then prints nothing).
  Report finish();

  static std::ostream* default_stream() noexcept;  // &std::cerr

 private:
  Report measure() const;
  Report start_;
  std::ostream* out_;
  bool open_ = true;
  double peak_mib_;  // raised by scopes opened inside this one (they reset the mark)
  long long started_ns_;
  friend struct ScopeRegistry;
};

// Runs f() in a Scope named `name`; returns what f returns.
template <class F>
decltype(auto) profile(std::string name, F&& f, std::ostream* out = Scope::default_stream(),
                       mem::SourceSite where = mem::SourceSite::current()) {
  Scope scope(std::move(name), out, where);
  return std::forward<F>(f)();
}

}  // namespace rcgc::memory_profiler
