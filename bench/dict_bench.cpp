// rcgc::Dict against std::unordered_map, the map a C++ program would use
// otherwise, on the operations an object's map sees: inserting fresh keys,
// looking up present ones, an LRU's churn (erase the oldest, insert a new
// one), and a walk of every value (what a traverse() does).
//   bench_dict [google-benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "rcgc/dict.hpp"

namespace {

constexpr std::size_t kN = 100000;

std::vector<std::string> string_keys() {
  std::vector<std::string> keys;
  keys.reserve(kN);
  for (std::size_t i = 0; i < kN; ++i)
    keys.push_back("https://host" + std::to_string(i % 2000) + ".example.com/page/" + std::to_string(i));
  return keys;
}
const std::vector<std::string>& skeys() {
  static const std::vector<std::string> k = string_keys();
  return k;
}
std::uint64_t mix(std::uint64_t i) { return i * 0x9E3779B97F4A7C15ull >> 7; }

template <class Map>
void insert_ints(benchmark::State& st) {
  for (auto _ : st) {
    Map m;
    for (std::uint64_t i = 0; i < kN; ++i) m.emplace(mix(i), i);
    benchmark::DoNotOptimize(m);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}

template <class Map>
void insert_strings(benchmark::State& st) {
  for (auto _ : st) {
    Map m;
    for (std::size_t i = 0; i < kN; ++i) m.emplace(skeys()[i], i);
    benchmark::DoNotOptimize(m);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * kN));
}

template <class Map>
void find_strings(benchmark::State& st) {
  Map m;
  for (std::size_t i = 0; i < kN; ++i) m.emplace(skeys()[i], i);
  std::size_t at = 0, sum = 0;
  for (auto _ : st) {
    sum += m.find(skeys()[at])->second;
    at = (at + 7919) % kN;
  }
  benchmark::DoNotOptimize(sum);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

// An LRU's map: kN / 2 live keys, each step erases the oldest and inserts
// a new one.
template <class Map>
void churn(benchmark::State& st) {
  Map m;
  std::uint64_t oldest = 0, next = 0;
  for (; next < kN / 2; ++next) m.emplace(mix(next), next);
  for (auto _ : st) {
    m.erase(mix(oldest++));
    m.emplace(mix(next), next);
    ++next;
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

// The walk a traverse() makes, after churn has scattered the elements.
template <class Map>
void walk_after_churn(benchmark::State& st) {
  Map m;
  std::uint64_t oldest = 0, next = 0;
  for (; next < kN; ++next) m.emplace(mix(next), next);
  for (std::size_t i = 0; i < 4 * kN; ++i) {
    m.erase(mix(oldest++));
    m.emplace(mix(next), next);
    ++next;
  }
  for (auto _ : st) {
    std::uint64_t sum = 0;
    for (const auto& [k, v] : m) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * m.size()));
}

using DictU = rcgc::Dict<std::uint64_t, std::uint64_t>;
using StdU = std::unordered_map<std::uint64_t, std::uint64_t>;
using DictS = rcgc::Dict<std::string, std::size_t>;
using StdS = std::unordered_map<std::string, std::size_t>;

BENCHMARK(insert_ints<DictU>)->Name("insert_ints/rcgc_Dict");
BENCHMARK(insert_ints<StdU>)->Name("insert_ints/std_unordered_map");
BENCHMARK(insert_strings<DictS>)->Name("insert_strings/rcgc_Dict");
BENCHMARK(insert_strings<StdS>)->Name("insert_strings/std_unordered_map");
BENCHMARK(find_strings<DictS>)->Name("find_strings/rcgc_Dict");
BENCHMARK(find_strings<StdS>)->Name("find_strings/std_unordered_map");
BENCHMARK(churn<DictU>)->Name("churn/rcgc_Dict");
BENCHMARK(churn<StdU>)->Name("churn/std_unordered_map");
BENCHMARK(walk_after_churn<DictU>)->Name("walk_after_churn/rcgc_Dict");
BENCHMARK(walk_after_churn<StdU>)->Name("walk_after_churn/std_unordered_map");

}  // namespace

BENCHMARK_MAIN();
