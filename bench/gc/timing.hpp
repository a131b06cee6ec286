// What the collector benchmarks share (gc_bench.cpp, unseen/harness.hpp):
// the best of several timings, and the phase lines of timed collections.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <rcgc/rcgc.hpp>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best of `reps` timings of f(), in seconds (the machine is shared: the
// minimum is the least disturbed run).
template <class F>
double best_of(int reps, F&& f) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const Clock::time_point t0 = Clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// With RCGC_BENCH_PHASES set, the collections between timed_phases(true)
// and timed_phases(false) print the time of each of their phases on stderr
// (gc::DEBUG_PHASES; bench/gc/ab.py --phases).
inline void timed_phases(bool on) {
  static const bool wanted = std::getenv("RCGC_BENCH_PHASES") != nullptr;
  if (wanted) rcgc::gc::set_debug(on ? rcgc::gc::DEBUG_PHASES : 0);
}

}  // namespace bench
