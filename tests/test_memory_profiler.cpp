// rcgc::memory_profiler: the scope guard's RSS, peak and heap figures.
#include "rcgc/memory_profiler.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <sys/mman.h>

#include "fixture.hpp"

namespace {

namespace mp = rcgc::memory_profiler;
class MemoryProfilerTest : public rcgc_test::HeapTest {};

constexpr std::size_t kMiB = 1024 * 1024;

// n bytes of memory the process really holds (touched), given back to the
// system when it dies (its own mapping, not the malloc heap's).
class Touched {
 public:
  explicit Touched(std::size_t n) : n_(n) {
    p_ = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p_ == MAP_FAILED) throw std::bad_alloc();
    std::memset(p_, 1, n);
  }
  ~Touched() { ::munmap(p_, n_); }

 private:
  void* p_;
  std::size_t n_;
};

TEST_F(MemoryProfilerTest, MemoryUsageIsTheResidentSet) {
  const double before = mp::memory_usage();
  EXPECT_GT(before, 0.0);
  Touched t(32 * kMiB);
  EXPECT_GE(mp::memory_usage() - before, 30.0);
}

TEST_F(MemoryProfilerTest, ScopeReportsBeforeAfterAndPeak) {
  std::ostringstream out;
  mp::Report r;
  {
    mp::Scope scope("touch 64 MiB", &out);
    { Touched t(64 * kMiB); }  // gone before the scope ends
    r = scope.finish();
  }
  EXPECT_EQ(r.name, "touch 64 MiB");
  if (!r.peak_in_scope) GTEST_SKIP() << "this kernel refused to reset VmHWM";
  EXPECT_GE(r.peak_mib - r.before_mib, 60.0);
  EXPECT_LT(r.after_mib - r.before_mib, 16.0);
  EXPECT_GE(r.seconds, 0.0);
  // finish() printed the report once; the destructor printed nothing more.
  EXPECT_EQ(out.str(), r.to_string());
  EXPECT_NE(out.str().find("memory_profiler: touch 64 MiB (" __FILE__ ":"), std::string::npos);
  EXPECT_NE(out.str().find("peak"), std::string::npos);
}

TEST_F(MemoryProfilerTest, AnInnerScopeDoesNotLoseTheOuterPeak) {
  mp::Scope outer("outer", nullptr);
  { Touched t(64 * kMiB); }
  mp::Report inner_report;
  {
    mp::Scope inner("inner", nullptr);  // resets the high-water mark
    { Touched t(8 * kMiB); }
    inner_report = inner.finish();
  }
  const mp::Report r = outer.finish();
  if (!r.peak_in_scope || !inner_report.peak_in_scope)
    GTEST_SKIP() << "this kernel refused to reset VmHWM";
  EXPECT_GE(r.peak_mib - r.before_mib, 60.0);
  EXPECT_GE(inner_report.peak_mib - inner_report.before_mib, 7.0);
  EXPECT_LT(inner_report.peak_mib - inner_report.before_mib, 60.0);
}

TEST_F(MemoryProfilerTest, ScopeCountsTheHeapsObjectsAndBytes) {
  auto list = rcgc::make<rcgc_test::List>();
  mp::Scope scope("objects", nullptr);
  for (int i = 0; i < 1000; ++i) list->append(rcgc::make<rcgc_test::Node>(i));
  const mp::Report r = scope.report();  // still open
  EXPECT_EQ(r.objects_after - r.objects_before, 1000u);
  if (rcgc::detail::Allocator::pools_enabled()) {  // Nodes live in the pools
    EXPECT_GE(r.heap_bytes_after - r.heap_bytes_before, 1000 * sizeof(rcgc_test::Node));
  }
  list->items.clear();
  EXPECT_EQ(scope.finish().objects_after, r.objects_before);
}

TEST_F(MemoryProfilerTest, ProfileWrapsACallAndReturnsItsValue) {
  std::ostringstream out;
  const int n = mp::profile("my_function", [] {
    auto data = rcgc::make<rcgc_test::List>();
    for (int i = 0; i < 100; ++i) data->append(rcgc::make<rcgc_test::Node>(i));
    return static_cast<int>(data->items.size());
  }, &out);
  EXPECT_EQ(n, 100);
  EXPECT_NE(out.str().find("memory_profiler: my_function"), std::string::npos);
  EXPECT_NE(out.str().find("objects ->"), std::string::npos);
}

}  // namespace
