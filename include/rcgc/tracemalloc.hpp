// rcgc::tracemalloc: Python's tracemalloc for rcgc's allocator.
//
//   rcgc::tracemalloc::start();
//   ... make<T>() and rcgc::mem::malloc() as usual ...
//   auto snap = rcgc::tracemalloc::take_snapshot();
//   for (auto& stat : snap.statistics("lineno")) std::cout << stat.to_string() << "\n";
//     // examples/app.cpp:42: size=31.3 MiB, count=1000000, average=32 B
//
// While tracing, every block the process's heaps hand out (objects made by
// make<T> / make_fixed<T>, rcgc::mem blocks) is recorded with its size and
// where it was allocated, until it is freed. Where: the caller's file and
// line for rcgc::mem (its SourceSite), and for objects the return addresses
// of the allocating code, read with the unwinder and turned into
// "file:line" (binutils' addr2line, when the program has debug
// information; else "function (module+0xoffset)") only when statistics
// are asked for. Frames inside rcgc itself (its inlined make<T>) are
// skipped. Tracing costs an unwind and a locked table update per
// allocation; off, it costs nothing (the allocator's fast paths are the
// same). See docs/design.md, "Seeing memory".
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rcgc/object.hpp"
#include "rcgc/ref.hpp"

namespace rcgc::tracemalloc {

// Starts tracing, keeping up to `nframe` frames per allocation (1..64;
// std::invalid_argument otherwise). While tracing, it changes nothing (the
// frame limit stays, as CPython's).
void start(int nframe = 1);
// Stops tracing and forgets every trace.
void stop();
bool is_tracing() noexcept;
int get_traceback_limit() noexcept;
// Forgets every trace, tracing on.
void clear_traces();
// The traced blocks' bytes now, and the most since tracing started (or
// since reset_peak()).
std::pair<std::size_t, std::size_t> get_traced_memory();
void reset_peak();
// Bytes tracemalloc itself uses for its traces.
std::size_t get_tracemalloc_memory();

// One frame of a traceback: a source line once resolved. Without debug
// information, `filename` is "function (module+0xoffset)" and lineno 0.
struct Frame {
  std::string filename;
  unsigned lineno = 0;  // 0 when unknown, and for the "filename" key
  std::string to_string() const;  // "file:line", as Python's (":0" too)
  friend auto operator<=>(const Frame&, const Frame&) = default;
};
// The oldest frame first, the allocating line last, as Python's
// tracemalloc.Traceback.
using Traceback = std::vector<Frame>;

// Where op was allocated; empty when it was not traced.
Traceback get_object_traceback(const Object* op);
// The same for many objects at once (one run of addr2line per module).
std::vector<Traceback> get_object_tracebacks(const std::vector<const Object*>& objs);
template <class T>
Traceback get_object_traceback(const Ref<T>& r) {
  return get_object_traceback(static_cast<const Object*>(r.get()));
}

struct Trace {
  std::size_t size = 0;
  std::shared_ptr<const Traceback> traceback;  // shared by the traces of one site
};

struct Statistic {
  // The group's key: the allocating frame ("lineno"; "filename": lineno
  // 0), or the whole traceback ("traceback"), whose oldest frame to_string
  // shows, as Python's str().
  Traceback traceback;
  std::size_t size = 0;
  std::size_t count = 0;
  // "file.cpp:42: size=1024 KiB, count=3, average=341 KiB"
  std::string to_string() const;
};

struct StatisticDiff {
  Traceback traceback;
  std::size_t size = 0;
  std::ptrdiff_t size_diff = 0;
  std::size_t count = 0;
  std::ptrdiff_t count_diff = 0;
  // "file.cpp:42: size=1024 KiB (+1024 KiB), count=3 (+3), average=341 KiB"
  std::string to_string() const;
};

// The traces at one moment, their sites resolved.
class Snapshot {
 public:
  const std::vector<Trace>& traces() const noexcept { return traces_; }
  int traceback_limit() const noexcept { return limit_; }
  // Traces grouped by "filename", "lineno" or "traceback" (the allocating
  // frame's file, its line, or all frames), largest size first; with
  // `cumulative`, every frame of a trace counts it, as Python's (a file
  // twice in a traceback counts it twice; not for "traceback").
  // std::invalid_argument for another key.
  std::vector<Statistic> statistics(const std::string& key_type, bool cumulative = false) const;
  // This snapshot against an older one, the largest change first.
  std::vector<StatisticDiff> compare_to(const Snapshot& old, const std::string& key_type,
                                        bool cumulative = false) const;
  // Only the traces that have a frame in a file whose name contains
  // `pattern` (include) or none (exclude).
  Snapshot filter_traces(const std::string& pattern, bool include = true) const;

 private:
  friend Snapshot take_snapshot();
  std::vector<Trace> traces_;
  int limit_ = 1;
};

// The traces now. std::runtime_error when not tracing (as Python).
Snapshot take_snapshot();

// Python's tracemalloc size format: "512 B", "12.5 KiB", "341 KiB",
// "3.0 MiB"; with a sign for differences.
std::string format_size(double bytes, bool sign = false);

}  // namespace rcgc::tracemalloc
