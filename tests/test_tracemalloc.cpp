// rcgc::tracemalloc: traces of objects and raw blocks, their lines,
// snapshots, statistics and comparisons, on every allocator backend.
#include "rcgc/tracemalloc.hpp"

#include <gtest/gtest.h>

#include <future>
#include <string_view>
#include <thread>

#include "fixture.hpp"
#include "rcgc/leaks.hpp"
#include "rcgc/mem.hpp"

namespace {

namespace tm = rcgc::tracemalloc;
using rcgc::Ref;
using rcgc_test::Node;

class TracemallocTest : public rcgc_test::HeapTest {
 protected:
  void TearDown() override {
    tm::stop();
    rcgc_test::HeapTest::TearDown();
  }
};

// What a tracked Node's block is asked for: the object and its GC header.
constexpr std::size_t kNodeBlock = sizeof(Node) + 16;

bool is_this_file(const tm::Frame& f) {
  return std::string_view(f.filename).ends_with("test_tracemalloc.cpp");
}

// The statistic whose first frame is this file's line `line`.
const tm::Statistic* at_line(const std::vector<tm::Statistic>& stats, unsigned line) {
  for (const auto& s : stats)
    if (!s.traceback.empty() && is_this_file(s.traceback[0]) && s.traceback[0].lineno == line)
      return &s;
  return nullptr;
}

TEST_F(TracemallocTest, OffByDefault) {
  EXPECT_FALSE(tm::is_tracing());
  EXPECT_THROW(tm::take_snapshot(), std::runtime_error);
  auto n = rcgc::make<Node>();
  EXPECT_EQ(tm::get_traced_memory(), std::make_pair(std::size_t{0}, std::size_t{0}));
  EXPECT_TRUE(tm::get_object_traceback(n).empty());
  EXPECT_THROW(tm::start(0), std::invalid_argument);
  EXPECT_THROW(tm::start(65), std::invalid_argument);
  EXPECT_FALSE(tm::is_tracing());
}

TEST_F(TracemallocTest, ObjectsAreTracedAtTheLineThatMadeThem) {
  tm::start();
  EXPECT_TRUE(tm::is_tracing());
  EXPECT_EQ(tm::get_traceback_limit(), 1);
  std::vector<Ref<Node>> keep;
  const unsigned line = __LINE__ + 1;
  for (int i = 0; i < 1000; ++i) keep.push_back(rcgc::make<Node>(i));
  EXPECT_EQ(tm::get_traced_memory().first, 1000 * kNodeBlock);

  auto snap = tm::take_snapshot();
  EXPECT_EQ(snap.traces().size(), 1000u);
  auto stats = snap.statistics("lineno");
  ASSERT_FALSE(stats.empty());
  const tm::Statistic* s = at_line(stats, line);
  ASSERT_NE(s, nullptr) << stats[0].to_string();
  EXPECT_EQ(s, &stats[0]);
  EXPECT_EQ(s->count, 1000u);
  EXPECT_EQ(s->size, 1000 * kNodeBlock);
  const std::string text = s->to_string();
  EXPECT_NE(text.find("test_tracemalloc.cpp:" + std::to_string(line) + ": size="),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(", count=1000, average=" + tm::format_size(kNodeBlock)), std::string::npos)
      << text;

  auto tb = tm::get_object_traceback(keep[7]);
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_TRUE(is_this_file(tb[0]));
  EXPECT_EQ(tb[0].lineno, line);
}

TEST_F(TracemallocTest, RawBlocksAreTracedAtTheirCallersLine) {
  tm::start();
  const unsigned line = __LINE__ + 1;
  void* p = rcgc::mem::malloc(100);
  void* q = rcgc::mem::malloc(3000);  // beyond the pools
  auto stats = tm::take_snapshot().statistics("lineno");
  const tm::Statistic* s = at_line(stats, line);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->size, 100u);
  EXPECT_EQ(s->count, 1u);
  ASSERT_NE(at_line(stats, line + 1), nullptr);
  EXPECT_EQ(at_line(stats, line + 1)->size, 3000u);
  EXPECT_EQ(tm::get_traced_memory().first, 3100u);
  p = rcgc::mem::realloc(p, 200);
  EXPECT_EQ(tm::get_traced_memory().first, 3200u);
  rcgc::mem::free(p);
  rcgc::mem::free(q);
  EXPECT_EQ(tm::get_traced_memory(), std::make_pair(std::size_t{0}, std::size_t{3200}));
}

TEST_F(TracemallocTest, FreedBlocksAreForgottenAndThePeakKept) {
  tm::start();
  std::vector<Ref<Node>> keep;
  for (int i = 0; i < 100; ++i) keep.push_back(rcgc::make<Node>(i));
  keep.resize(40);
  auto [current, peak] = tm::get_traced_memory();
  EXPECT_EQ(current, 40 * kNodeBlock);
  EXPECT_EQ(peak, 100 * kNodeBlock);
  tm::reset_peak();
  EXPECT_EQ(tm::get_traced_memory().second, 40 * kNodeBlock);
  {  // a garbage cycle: freed by the collector, forgotten too
    auto a = rcgc::make<Node>(), b = rcgc::make<Node>();
    a->next = b;
    b->next = a;
  }
  EXPECT_EQ(tm::get_traced_memory().first, 42 * kNodeBlock);
  EXPECT_EQ(rcgc::gc::collect(), 2u);
  EXPECT_EQ(tm::get_traced_memory().first, 40 * kNodeBlock);
  EXPECT_EQ(tm::take_snapshot().traces().size(), 40u);
  tm::clear_traces();
  EXPECT_EQ(tm::get_traced_memory(), std::make_pair(std::size_t{0}, std::size_t{0}));
  keep.clear();  // untraced now: nothing to forget
  EXPECT_EQ(tm::get_traced_memory().first, 0u);
}

TEST_F(TracemallocTest, StopForgetsEverythingAndTracesNothingMore) {
  tm::start();
  auto a = rcgc::make<Node>();
  tm::stop();
  EXPECT_FALSE(tm::is_tracing());
  EXPECT_EQ(tm::get_traced_memory().first, 0u);
  auto b = rcgc::make<Node>();
  EXPECT_TRUE(tm::get_object_traceback(b).empty());
  EXPECT_EQ(tm::get_traced_memory().first, 0u);
}

TEST_F(TracemallocTest, CompareToShowsWhatGrewLargestFirst) {
  tm::start();
  std::vector<Ref<Node>> keep;
  const unsigned first = __LINE__ + 1;
  for (int i = 0; i < 5; ++i) keep.push_back(rcgc::make<Node>(i));
  auto before = tm::take_snapshot();
  const unsigned second = __LINE__ + 1;
  for (int i = 0; i < 10; ++i) keep.push_back(rcgc::make<Node>(i));
  keep.erase(keep.begin(), keep.begin() + 2);  // two of the first five die
  auto after = tm::take_snapshot();
  auto diffs = after.compare_to(before, "lineno");
  ASSERT_GE(diffs.size(), 2u);
  EXPECT_TRUE(is_this_file(diffs[0].traceback[0]));
  EXPECT_EQ(diffs[0].traceback[0].lineno, second);
  EXPECT_EQ(diffs[0].size_diff, static_cast<std::ptrdiff_t>(10 * kNodeBlock));
  EXPECT_EQ(diffs[0].count_diff, 10);
  EXPECT_EQ(diffs[1].traceback[0].lineno, first);
  EXPECT_EQ(diffs[1].count, 3u);
  EXPECT_EQ(diffs[1].count_diff, -2);
  const std::string text = diffs[0].to_string();
  EXPECT_NE(text.find("(+" + tm::format_size(10 * kNodeBlock) + ")"), std::string::npos)
      << text;
  EXPECT_NE(text.find("count=10 (+10)"), std::string::npos) << text;
  EXPECT_NE(diffs[1].to_string().find("count=3 (-2)"), std::string::npos);
  EXPECT_THROW(after.compare_to(before, "function"), std::invalid_argument);
}

[[gnu::noinline]] Ref<Node> make_in_helper(int v) {
  return rcgc::make<Node>(v);  // helper_line
}
constexpr unsigned kHelperLine = __LINE__ - 2;

TEST_F(TracemallocTest, MoreFramesShowTheCallers) {
  tm::start(4);
  EXPECT_EQ(tm::get_traceback_limit(), 4);
  tm::start(1);  // while tracing: changes nothing
  EXPECT_EQ(tm::get_traceback_limit(), 4);
  const unsigned line = __LINE__ + 1;
  auto n = make_in_helper(1);
  auto tb = tm::get_object_traceback(n);  // oldest first, as Python's
  ASSERT_GE(tb.size(), 2u);
  EXPECT_LE(tb.size(), 4u);
  EXPECT_TRUE(is_this_file(tb.back()));
  EXPECT_EQ(tb.back().lineno, kHelperLine);
  EXPECT_TRUE(is_this_file(tb[tb.size() - 2]));
  EXPECT_EQ(tb[tb.size() - 2].lineno, line);

  auto snap = tm::take_snapshot();
  auto by_tb = snap.statistics("traceback");
  ASSERT_EQ(by_tb.size(), 1u);
  EXPECT_EQ(by_tb[0].traceback, tb);
  // Cumulative: the helper's line and the caller's line each count it;
  // by file, this file twice (two of its frames), as Python counts.
  auto cumulative = snap.statistics("lineno", true);
  ASSERT_NE(at_line(cumulative, kHelperLine), nullptr);
  ASSERT_NE(at_line(cumulative, line), nullptr);
  EXPECT_EQ(at_line(cumulative, line)->count, 1u);
  std::size_t this_file = 0;
  for (const auto& s : snap.statistics("filename", true))
    if (is_this_file(s.traceback[0])) this_file = s.count;
  EXPECT_EQ(this_file, 2u);
  // The "traceback" key's text shows the oldest frame, as Python's str().
  EXPECT_EQ(by_tb[0].to_string().rfind(tb.front().to_string() + ": size=", 0), 0u);
  EXPECT_THROW(snap.statistics("traceback", true), std::invalid_argument);
}

TEST_F(TracemallocTest, UntrackedAndHeaderlessObjectsToo) {
  tm::start();
  const unsigned line = __LINE__ + 1;
  auto blob = rcgc::make<rcgc_test::Blob>("text");
  auto tb = tm::get_object_traceback(blob);
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(tb[0].lineno, line);
  EXPECT_EQ(tm::get_traced_memory().first, sizeof(rcgc_test::Blob));
}

TEST_F(TracemallocTest, FilenameGroupsAndFilters) {
  tm::start();
  std::vector<Ref<Node>> keep;
  for (int i = 0; i < 3; ++i) keep.push_back(rcgc::make<Node>(i));
  void* p = rcgc::mem::malloc(64, rcgc::mem::SourceSite{"elsewhere.cpp", 7});
  auto snap = tm::take_snapshot();
  auto files = snap.statistics("filename");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_TRUE(is_this_file(files[0].traceback[0]));
  EXPECT_EQ(files[0].traceback[0].lineno, 0u);
  EXPECT_EQ(files[0].count, 3u);
  EXPECT_EQ(files[1].traceback[0].to_string(), "elsewhere.cpp:0");  // Python's "file:0"
  EXPECT_EQ(snap.filter_traces("elsewhere").traces().size(), 1u);
  EXPECT_EQ(snap.filter_traces("elsewhere", false).traces().size(), 3u);
  EXPECT_THROW(snap.statistics("nothing"), std::invalid_argument);
  rcgc::mem::free(p);
  EXPECT_GT(tm::get_tracemalloc_memory(), 0u);
}

TEST_F(TracemallocTest, ManyObjectsTracebacksAtOnce) {
  tm::start();
  const unsigned line = __LINE__ + 1;
  auto a = rcgc::make<Node>(), b = rcgc::make<Node>();
  tm::stop();
  auto untraced = rcgc::make<Node>();
  tm::start();
  rcgc::mem::free(rcgc::mem::malloc(8));
  auto c = rcgc::make<Node>();
  auto tbs = tm::get_object_tracebacks({a.get(), nullptr, untraced.get(), c.get()});
  ASSERT_EQ(tbs.size(), 4u);
  EXPECT_TRUE(tbs[0].empty());  // traced, then forgotten by stop()
  EXPECT_TRUE(tbs[1].empty());
  EXPECT_TRUE(tbs[2].empty());
  ASSERT_EQ(tbs[3].size(), 1u);
  EXPECT_EQ(tbs[3][0].lineno, line + 5);
}

TEST_F(TracemallocTest, HeapsOfOtherThreadsAlreadyRunningAreTraced) {
  std::promise<void> ready, traced, done;
  std::size_t seen = 0;
  std::thread t([&] {
    rcgc::Heap heap;  // made before tracing starts
    auto scope = heap.enter();
    std::vector<Ref<Node>> keep;
    keep.push_back(rcgc::make<Node>(0));  // its pools in use already
    ready.set_value();
    traced.get_future().wait();
    for (int i = 0; i < 20; ++i) keep.push_back(rcgc::make<Node>(i));
    seen = tm::get_traced_memory().first;
    done.set_value();
  });
  ready.get_future().wait();
  tm::start();
  traced.set_value();
  done.get_future().wait();
  t.join();
  EXPECT_EQ(seen, 20 * kNodeBlock);
  EXPECT_EQ(tm::get_traced_memory().first, 0u);  // the thread's heap freed them
}

TEST_F(TracemallocTest, HeapsMadeWhileTracingAndOtherThreadsAreTraced) {
  tm::start();
  std::thread t([] {
    rcgc::Heap heap;
    auto scope = heap.enter();
    std::vector<Ref<Node>> keep;
    for (int i = 0; i < 50; ++i) keep.push_back(rcgc::make<Node>(i));
    EXPECT_GE(tm::get_traced_memory().first, 50 * kNodeBlock);
  });
  t.join();
  auto here = rcgc::make<Node>();
  EXPECT_EQ(tm::get_traced_memory().first, kNodeBlock);  // the thread's died with it
}

TEST_F(TracemallocTest, LeakReportNamesEachCycleMemberAndItsLine) {
  tm::start();
  auto keep = rcgc::make<Node>();  // alive: not reported
  const unsigned line = __LINE__ + 1;
  auto a = rcgc::make<Node>(1), b = rcgc::make<Node>(2);
  a->next = b;
  b->next = a;
  auto list = rcgc::make<rcgc_test::List>();
  list->append(list);
  a = b = nullptr;
  list = nullptr;
  auto report = rcgc::leaks::find_leaks();
  ASSERT_EQ(report.objects.size(), 3u);
  std::size_t nodes = 0;
  for (const auto& l : report.objects) {
    ASSERT_EQ(l.where.size(), 1u);
    if (l.type == "rcgc_test::Node") {
      ++nodes;
      EXPECT_EQ(l.where[0].lineno, line);
    } else {
      EXPECT_EQ(l.type, "rcgc_test::List");
      EXPECT_EQ(l.where[0].lineno, line + 3);
    }
  }
  EXPECT_EQ(nodes, 2u);
  const std::string text = report.to_string();
  EXPECT_EQ(text.rfind("3 objects in garbage cycles\n  2 x rcgc_test::Node, made at ", 0), 0u)
      << text;
  EXPECT_NE(text.find("test_tracemalloc.cpp:" + std::to_string(line) + "\n"), std::string::npos);
  EXPECT_TRUE(rcgc::gc::garbage().empty());  // taken back out
  EXPECT_EQ(rcgc::gc::get_debug(), 0u);       // restored
  report.objects.clear();                      // garbage again
  EXPECT_EQ(rcgc::gc::collect(), 3u);
}

TEST_F(TracemallocTest, LeakReportWithoutTracingSaysSo) {
  {
    auto a = rcgc::make<Node>();
    a->next = a;
  }
  auto report = rcgc::leaks::find_leaks();
  ASSERT_EQ(report.objects.size(), 1u);
  EXPECT_TRUE(report.objects[0].where.empty());
  EXPECT_NE(report.to_string().find("not traced"), std::string::npos);
}

TEST(TracemallocFormat, SizesAsPython) {
  // python3 -c "import tracemalloc; print(tracemalloc._format_size(512, False))" ...
  EXPECT_EQ(tm::format_size(512), "512 B");
  EXPECT_EQ(tm::format_size(10240), "10.0 KiB");
  EXPECT_EQ(tm::format_size(5000), "5000 B");
  EXPECT_EQ(tm::format_size(150 * 1024), "150 KiB");
  EXPECT_EQ(tm::format_size(3 * 1024 * 1024), "3072 KiB");
  EXPECT_EQ(tm::format_size(10240, true), "+10.0 KiB");
  EXPECT_EQ(tm::format_size(-2048, true), "-2048 B");
  EXPECT_EQ(tm::format_size(0), "0 B");
}

}  // namespace
