// Death tests of the debug hooks: one per kind of misuse. Each test re-runs
// this program ("threadsafe" death tests) with RCGC_MALLOC set to the debug
// variant of the backend under test, so they run whatever RCGC_MALLOC CI
// chose for the suite.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "alloc/region.hpp"
#include "rcgc/detail/allocator.hpp"
#include "rcgc/mem.hpp"

namespace {

using rcgc::detail::Allocator;

class AllocDebugDeathTest : public testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    std::string name = Allocator::backend_name();
    std::string base = name.substr(0, name.find("_debug"));
    setenv("RCGC_MALLOC", (base + "_debug").c_str(), 1);
  }
};

// The statement runs in a child started with the debug backend.
#define EXPECT_MISUSE(regex, ...) EXPECT_DEATH(([&] __VA_ARGS__()), regex)

TEST_F(AllocDebugDeathTest, ChildReallyRunsWithDebugHooks) {
  EXPECT_EXIT(
      {
        std::fprintf(stderr, "debug=%d\n", Allocator::debug_enabled() ? 1 : 0);
        std::exit(Allocator::debug_enabled() ? 0 : 1);
      },
      testing::ExitedWithCode(0), "debug=1");
}

TEST_F(AllocDebugDeathTest, Overflow) {
  EXPECT_MISUSE("buffer overflow.*\n.*block: 24 bytes at 0x[0-9a-f]+, serial [0-9]+.*\n"
      ".*allocated at: .*test_alloc_debug.cpp:[0-9]+",
      {
        auto* p = static_cast<char*>(rcgc::mem::malloc(24));
        p[24] = 'x';  // one past the end
        rcgc::mem::free(p);
      });
}

TEST_F(AllocDebugDeathTest, Underflow) {
  EXPECT_MISUSE("buffer underflow.*\n.*block: 40 bytes at",
      {
        auto* p = static_cast<char*>(rcgc::mem::malloc(40));
        p[-1] = 'x';
        rcgc::mem::free(p);
      });
}

TEST_F(AllocDebugDeathTest, DoubleFree) {
  EXPECT_MISUSE("double free.*\n.*block: 100 bytes at",
      {
        void* p = rcgc::mem::malloc(100);
        rcgc::mem::free(p);
        rcgc::mem::free(p);
      });
}

TEST_F(AllocDebugDeathTest, UseAfterFreeFoundByVerify) {
  EXPECT_MISUSE("use after free: byte 10 of a freed block was written.*\n.*block: 64 bytes at",
      {
        auto* p = static_cast<char*>(rcgc::mem::malloc(64));
        rcgc::mem::free(p);
        p[10] = 'x';  // write into the freed block
        rcgc::mem::verify();
      });
}

TEST_F(AllocDebugDeathTest, UseAfterFreeFoundByLaterAllocations) {
  EXPECT_MISUSE("use after free",
      {
        auto* p = static_cast<char*>(rcgc::mem::malloc(32));
        rcgc::mem::free(p);
        p[0] = 'x';
        for (int i = 0; i < 1000; ++i) rcgc::mem::free(rcgc::mem::malloc(16));
      });
}

TEST_F(AllocDebugDeathTest, UseAfterFreeFoundAtExit) {
  EXPECT_MISUSE("use after free: byte 47",
      {
        auto* p = static_cast<char*>(rcgc::mem::malloc(48));
        rcgc::mem::free(p);
        p[47] = 'x';
        std::exit(0);
      });
}

TEST_F(AllocDebugDeathTest, FreeThroughTheWrongApi) {
  EXPECT_MISUSE("free through the wrong API",
      {
        Allocator a;
        void* p = a.allocate(32);  // the object API
        rcgc::mem::free(p);        // the raw-memory API
      });
}

TEST_F(AllocDebugDeathTest, FreeThroughTheWrongHeap) {
  EXPECT_MISUSE("free through the wrong heap",
      {
        Allocator a, b;
        void* p = a.allocate(32);
        b.deallocate_owned(p);
      });
}

TEST_F(AllocDebugDeathTest, FreeOfAPointerNotOurs) {
  EXPECT_MISUSE("not allocated by rcgc",
      {
        alignas(16) static char not_ours[256];
        rcgc::mem::free(not_ours + 128);
      });
}

// A pointer into the arena region where no arena is mapped (a slot never
// used, or given back): reported, not a fault (found by review: PROT_NONE
// slots are mapped, and mincore alone called them readable).
TEST_F(AllocDebugDeathTest, FreeOfAPointerIntoAnEmptyArenaSlot) {
  if (!Allocator::pools_enabled()) GTEST_SKIP() << "no arenas with " << Allocator::backend_name();
  EXPECT_MISUSE("not allocated by rcgc",
      {
        void* warm = rcgc::mem::malloc(64);  // an arena exists, so the region does
        auto region = rcgc::detail::ArenaRegion::view();
        if (region.size == 0) std::abort();
        rcgc::mem::free(reinterpret_cast<char*>(region.base + region.size) - 4096 + 64);
        rcgc::mem::free(warm);
      });
}

TEST_F(AllocDebugDeathTest, ReallocOfAFreedBlock) {
  EXPECT_MISUSE("realloc of a freed block",
      {
        void* p = rcgc::mem::malloc(8);
        rcgc::mem::free(p);
        (void)rcgc::mem::realloc(p, 16);
      });
}

TEST_F(AllocDebugDeathTest, BadRcgcMallocStopsTheProgramAtStartUp) {
  setenv("RCGC_MALLOC", "bogus", 1);
  EXPECT_EXIT({ std::exit(0); }, testing::ExitedWithCode(2),
              "RCGC_MALLOC=bogus is not a valid value; valid values are: pymalloc");
}

// Correct use under the debug hooks runs clean.
TEST(AllocDebug, CleanProgramPasses) {
  void* p = rcgc::mem::malloc(10);
  std::memset(p, 1, 10);
  p = rcgc::mem::realloc(p, 1000);
  rcgc::mem::free(p);
  rcgc::mem::verify();
  std::string json = rcgc::mem::stats_json();
  EXPECT_NE(json.find("\"debug\":{\"enabled\":" +
                      std::string(Allocator::debug_enabled() ? "true" : "false")),
            std::string::npos);
}

}  // namespace
