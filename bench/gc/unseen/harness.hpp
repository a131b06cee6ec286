// What the out-of-sample workloads share (bench/gc/unseen/unseen.cpp and
// bench/gc/unseen2/unseen2.cpp): the pseudo-random sequence their Python
// twins repeat (harness.py), string building, and the timed main.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <rcgc/rcgc.hpp>

#include "../timing.hpp"

namespace unseen {

// splitmix64, the same sequence as harness.py's.
struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    s += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

// Concatenates C strings, std::strings and integers ("w" + std::to_string(n)
// trips GCC 12's false -Wrestrict positive, PR 105329).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  auto add = [&s](const auto& part) {
    if constexpr (std::is_integral_v<std::remove_cvref_t<decltype(part)>>)
      s += std::to_string(part);
    else
      s += part;
  };
  (add(parts), ...);
  return s;
}

// A workload: its name, what builds its heap, and (or nullptr) what
// measures more on the built heap, given its object count, after the
// collections (printing lines of its own).
struct Workload {
  const char* name;
  rcgc::Ref<rcgc::Object> (*build)();
  void (*more)(const rcgc::Ref<rcgc::Object>& heap, std::size_t objects) = nullptr;
};

// The floor under any collection of the heap: one traversal of every
// tracked object, in the collector's order (the generation's list, which
// get_objects() follows), each reference reported to a plain function
// that only counts it. Best of 5, in ns per object.
inline double traverse_floor() {
  struct Count : rcgc::Visitor {
    std::size_t refs = 0;
    Count() : Visitor(&visit) {}
    static void visit(rcgc::Visitor& v, rcgc::Object*) { ++static_cast<Count&>(v).refs; }
  };
  const rcgc::ObjectList all = rcgc::gc::get_objects();
  Count c;
  const double best = bench::best_of(5, [&] {
    for (const rcgc::Ref<rcgc::Object>& r : all) r->traverse(c);
  });
  if (c.refs == 0) std::puts("");  // keeps the loop
  return best * 1e9 / static_cast<double>(all.size());
}

// `program NAME`: builds NAME's heap with the collector off, collects once
// untimed (everything moves to the oldest generation), then prints
// "NAME_ns_per_object <best of 5 full collections, per object>",
// "NAME_objects <n>", "NAME_best_ms <best ms>" and
// "NAME_traverse_floor_ns_per_object <traverse_floor()>". The heap is not torn
// down: its teardown is not what is measured (the Python side leaves with
// os._exit as well).
template <std::size_t N>
int run(int argc, char** argv, const char* program, const Workload (&workloads)[N]) {
  const Workload* w = nullptr;
  if (argc == 2)
    for (const Workload& each : workloads)
      if (std::string(argv[1]) == each.name) w = &each;
  if (w == nullptr) {
    std::string names;
    for (const Workload& each : workloads) names += cat(names.empty() ? "" : "|", each.name);
    std::fprintf(stderr, "usage: %s %s\n", program, names.c_str());
    return 2;
  }
  rcgc::gc::disable();
  rcgc::Ref<rcgc::Object> heap = w->build();
  rcgc::gc::collect();
  const std::size_t objects = rcgc::gc::get_objects().size();
  bench::timed_phases(true);
  const double best = bench::best_of(5, [] { rcgc::gc::collect(); });
  bench::timed_phases(false);
  if (w->more != nullptr) w->more(heap, objects);
  std::printf("%s_traverse_floor_ns_per_object %.3f\n", w->name, traverse_floor());
  std::printf("%s_ns_per_object %.3f\n", w->name, best * 1e9 / static_cast<double>(objects));
  std::printf("%s_objects %zu\n", w->name, objects);
  std::printf("%s_best_ms %.3f\n", w->name, best * 1e3);
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace unseen
