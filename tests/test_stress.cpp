// Random programs against a reachability model (tests/stress/driver.hpp).
//
// Environment (see docs/reliability.md):
//   RCGC_STRESS_OPS    total operations for RandomPrograms (default 40000)
//   RCGC_STRESS_SEED   first seed (default 1)
//   RCGC_STRESS_SEEDS  number of seeds the operations are split over (default 8)
// CI runs RCGC_STRESS_OPS=1000000 in the ASan+UBSan build
// (tests/ci_reliability.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "stress/driver.hpp"

namespace {

using rcgc_stress::Config;
using rcgc_stress::Counts;
using rcgc_stress::Result;

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::strtoull(v, nullptr, 0);
}

void print_counts(const char* what, const Counts& c) {
  std::printf("[stress] %s: %s\n", what, c.str().c_str());
  std::fflush(stdout);
}

// The main run: every feature on, seeds and operations from the environment.
TEST(Stress, RandomPrograms) {
  const std::uint64_t ops = env_u64("RCGC_STRESS_OPS", 40000);
  const std::uint64_t first = env_u64("RCGC_STRESS_SEED", 1);
  const std::uint64_t seeds = std::max<std::uint64_t>(1, env_u64("RCGC_STRESS_SEEDS", 8));
  Counts total;
  for (std::uint64_t s = 0; s < seeds; ++s) {
    Config cfg;
    cfg.seed = first + s;
    cfg.ops = ops / seeds + (s < ops % seeds ? 1 : 0);
    cfg.automatic = (cfg.seed % 4) != 3;  // one seed in four: manual collections only
    Result r = rcgc_stress::run(cfg);
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: RCGC_STRESS_SEED=" << cfg.seed
                      << " RCGC_STRESS_SEEDS=1 RCGC_STRESS_OPS=" << cfg.ops;
    EXPECT_EQ(r.counts.ops, cfg.ops);
    total.add(r.counts);
  }
  std::printf("[stress] seeds %llu..%llu\n", static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(first + seeds - 1));
  print_counts("RandomPrograms total", total);
  // The programs really exercised what they claim to.
  EXPECT_EQ(total.ops, ops);
  if (ops >= 20000) {
    EXPECT_GT(total.collections[2], 0u);
    EXPECT_GT(total.explicit_full, 0u);
    EXPECT_GT(total.finalizers_run, 0u);
    EXPECT_GT(total.legacy_finalizers_run, 0u);
    EXPECT_GT(total.resurrections, 0u);
    EXPECT_GT(total.callbacks, 0u);
    EXPECT_GT(total.unraisable, 0u);
    EXPECT_GT(total.injected_failures, 0u);
    EXPECT_GT(total.garbage_seen, 0u);
    EXPECT_GT(total.freezes, 0u);
    EXPECT_GE(total.max_depth, 200u);
  }
}

// Plain graphs only (no finalizers, no failures): the collector's core.
TEST(Stress, PlainGraphsManualAndAutomatic) {
  Counts total;
  for (std::uint64_t seed = 1000; seed < 1006; ++seed) {
    Config cfg;
    cfg.seed = seed;
    cfg.ops = 3000;
    cfg.finalizers = false;
    cfg.inject_failures = false;
    cfg.automatic = seed % 2 == 0;
    cfg.verify_every = 16;
    Result r = rcgc_stress::run(cfg);
    ASSERT_TRUE(r.ok) << r.failure;
    total.add(r.counts);
  }
  print_counts("PlainGraphs", total);
  EXPECT_EQ(total.finalizers_run, 0u);
  EXPECT_GT(total.collections[0] + total.collections[1] + total.collections[2], 0u);
}

// Large graphs: many objects reachable at once.
TEST(Stress, LargeGraphs) {
  Config cfg;
  cfg.seed = 77;
  cfg.ops = 4000;
  cfg.max_reachable = 2000;
  cfg.verify_every = 200;
  Result r = rcgc_stress::run(cfg);
  ASSERT_TRUE(r.ok) << r.failure;
  print_counts("LargeGraphs", r.counts);
}

// The same seed gives the same program: failures are replayable.
TEST(Stress, Deterministic) {
  Config cfg;
  cfg.seed = 4242;
  cfg.ops = 3000;
  Result a = rcgc_stress::run(cfg);
  Result b = rcgc_stress::run(cfg);
  ASSERT_TRUE(a.ok) << a.failure;
  ASSERT_TRUE(b.ok) << b.failure;
  EXPECT_EQ(a.counts.str(), b.counts.str());
  cfg.seed = 4243;
  Result c = rcgc_stress::run(cfg);
  ASSERT_TRUE(c.ok) << c.failure;
  EXPECT_NE(a.counts.str(), c.counts.str());
}

// Consecutive seeds are unrelated programs: the stream of seed s + 1 is not
// the stream of seed s shifted by one decision (it was, before the seed went
// through the mixer: CI's consecutive seeds ran nearly the same program).
TEST(Stress, ConsecutiveSeedsAreUnrelated) {
  rcgc_stress::Choice a(4242), b(4243);
  std::vector<std::uint32_t> va, vb;
  for (int i = 0; i < 65; ++i) {
    va.push_back(a.below(1u << 30));
    vb.push_back(b.below(1u << 30));
  }
  int shifted = 0, same = 0;
  for (int i = 0; i < 64; ++i) {
    shifted += va[i + 1] == vb[i];
    same += va[i] == vb[i];
  }
  EXPECT_EQ(shifted, 0);
  EXPECT_EQ(same, 0);
}

// The oracle fails when it must: an edge the model does not know is found
// by the after-every-step check...
TEST(Stress, OracleCatchesACorruptObject) {
  Config cfg;
  cfg.seed = 5;
  cfg.ops = 500;
  cfg.sabotage = 1;
  cfg.sabotage_step = 200;
  Result r = rcgc_stress::run(cfg);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.failure.find("is not intact"), std::string::npos) << r.failure;
  EXPECT_NE(r.failure.find("step 200"), std::string::npos) << r.failure;
}

// ...and an object kept alive by a reference the model does not know is
// found by the after-a-full-collection check.
TEST(Stress, OracleCatchesASurvivor) {
  Config cfg;
  cfg.seed = 6;
  cfg.ops = 500;
  cfg.sabotage = 2;
  cfg.sabotage_step = 100;
  Result r = rcgc_stress::run(cfg);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.failure.find("survived a full collection"), std::string::npos) << r.failure;
}

// The fuzzer's entry: bytes instead of a seed (the corpus replays here too).
TEST(Stress, BytesDriveTheSameProgram) {
  std::vector<std::uint8_t> bytes(6000);
  std::uint32_t x = 12345;
  for (auto& b : bytes) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  Config cfg;
  cfg.data = bytes.data();
  cfg.size = bytes.size();
  cfg.ops = 100000;
  Result r = rcgc_stress::run(cfg);
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_GT(r.counts.ops, 100u);
  EXPECT_LT(r.counts.ops, 6000u);  // stops when the bytes run out
}

// Every input of the fuzz corpus (tests/fuzz/corpus), and the file named by
// RCGC_STRESS_REPLAY (a fuzzer crash, say), read as the fuzzer reads them.
TEST(Stress, FuzzCorpusReplays) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  fs::path corpus = fs::path(__FILE__).parent_path() / "fuzz" / "corpus";
  for (auto& e : fs::directory_iterator(corpus))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (const char* extra = std::getenv("RCGC_STRESS_REPLAY")) files.insert(files.begin(), extra);
  ASSERT_GE(files.size(), 5u) << corpus;
  Counts total;
  for (auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
    Result r = rcgc_stress::run(rcgc_stress::config_from_bytes(bytes.data(), bytes.size()));
    ASSERT_TRUE(r.ok) << f << ": " << r.failure;
    total.add(r.counts);
  }
  print_counts("FuzzCorpus", total);
}

}  // namespace
