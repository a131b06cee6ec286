// rcgc::objgraph: counts by type, growth, backrefs and chains, DOT graphs.
#include "rcgc/objgraph.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fixture.hpp"

namespace og {
struct Widget : rcgc::Object {
  rcgc::Ref<rcgc::Object> parent, child;
  void traverse(rcgc::Visitor& visit) const override {
    visit(parent);
    visit(child);
  }
};
struct Panel : rcgc::Object {
  std::vector<rcgc::Ref<rcgc::Object>> items;
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
};
template <class T>
struct Box : rcgc::Object {
  rcgc::Ref<T> inside;
  void traverse(rcgc::Visitor& visit) const override { visit(inside); }
};
}  // namespace og

namespace {

using og::Panel;
using og::Widget;
using rcgc::Ref;
namespace objgraph = rcgc::objgraph;

class ObjgraphTest : public rcgc_test::HeapTest {};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST_F(ObjgraphTest, TypeNamesAreShortUnlessAskedQualified) {
  auto w = rcgc::make<Widget>();
  auto b = rcgc::make<og::Box<Widget>>();
  EXPECT_EQ(objgraph::type_name(w.get()), "Widget");
  EXPECT_EQ(objgraph::type_name(w.get(), false), "og::Widget");
  EXPECT_EQ(objgraph::type_name(b.get()), "Box<og::Widget>");
  EXPECT_EQ(objgraph::type_name(b.get(), false), "og::Box<og::Widget>");
  // A short name may hold "::" in its template arguments.
  EXPECT_EQ(objgraph::count("Box<og::Widget>"), 1u);
  EXPECT_EQ(objgraph::count("og::Box<og::Widget>"), 1u);
  EXPECT_EQ(objgraph::by_type("Box<og::Widget>").size(), 1u);
}

TEST_F(ObjgraphTest, TypestatsCountTrackedObjectsOnly) {
  std::vector<Ref<rcgc::Object>> keep;
  for (int i = 0; i < 3; ++i) keep.push_back(rcgc::make<Widget>());
  for (int i = 0; i < 2; ++i) keep.push_back(rcgc::make<Panel>());
  for (int i = 0; i < 4; ++i) keep.push_back(rcgc::make<rcgc_test::Blob>("x"));  // untracked
  const std::map<std::string, std::size_t> expected{{"Panel", 2}, {"Widget", 3}};
  EXPECT_EQ(objgraph::typestats(), expected);
  const std::map<std::string, std::size_t> qualified{{"og::Panel", 2}, {"og::Widget", 3}};
  EXPECT_EQ(objgraph::typestats(false), qualified);
  EXPECT_EQ(objgraph::count("Widget"), 3u);
  EXPECT_EQ(objgraph::count("og::Widget"), 3u);
  EXPECT_EQ(objgraph::count("Blob"), 0u);
  EXPECT_EQ(objgraph::count("Nothing"), 0u);
  auto widgets = objgraph::by_type("Widget");
  ASSERT_EQ(widgets.size(), 3u);
  for (auto& o : widgets) EXPECT_NE(dynamic_cast<Widget*>(o.get()), nullptr);
}

TEST_F(ObjgraphTest, MostCommonTypesInOrderAndPrintedAligned) {
  std::vector<Ref<rcgc::Object>> keep;
  for (int i = 0; i < 3; ++i) keep.push_back(rcgc::make<Widget>());
  for (int i = 0; i < 2; ++i) keep.push_back(rcgc::make<Panel>());
  keep.push_back(rcgc::make<rcgc_test::Node>());
  using Rows = std::vector<std::pair<std::string, std::size_t>>;
  EXPECT_EQ(objgraph::most_common_types(), (Rows{{"Widget", 3}, {"Panel", 2}, {"Node", 1}}));
  EXPECT_EQ(objgraph::most_common_types(2), (Rows{{"Widget", 3}, {"Panel", 2}}));
  EXPECT_EQ(objgraph::most_common_types(0).size(), 3u);  // 0: all, as objgraph
  std::ostringstream out;
  objgraph::show_most_common_types(out, 2);
  EXPECT_EQ(out.str(), "Widget 3\nPanel  2\n");
}

TEST_F(ObjgraphTest, GrowthReportsRisesAbovePeaksAfterACollection) {
  objgraph::PeakStats peaks;
  std::vector<Ref<Widget>> keep;
  for (int i = 0; i < 3; ++i) keep.push_back(rcgc::make<Widget>());
  auto first = objgraph::growth(peaks);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].type, "Widget");
  EXPECT_EQ(first[0].count, 3u);
  EXPECT_EQ(first[0].delta, 3u);

  for (int i = 0; i < 5; ++i) keep.push_back(rcgc::make<Widget>());
  {  // garbage: a cycle of two Panels, which growth's collection takes
    auto a = rcgc::make<Panel>(), b = rcgc::make<Panel>();
    a->items.push_back(b);
    b->items.push_back(a);
  }
  std::ostringstream out;
  objgraph::show_growth(out, peaks);
  EXPECT_EQ(out.str(), "Widget        8        +5\n");
  EXPECT_EQ(objgraph::count("Panel"), 0u);

  keep.resize(2);  // below the peak: no growth
  EXPECT_TRUE(objgraph::growth(peaks).empty());
  EXPECT_EQ(peaks.at("Widget"), 8u);
}

TEST_F(ObjgraphTest, GrowthKeepsPeaksPerHeap) {
  std::vector<Ref<Widget>> keep;
  for (int i = 0; i < 5; ++i) keep.push_back(rcgc::make<Widget>());
  ASSERT_EQ(objgraph::growth().size(), 1u);  // this heap's own peaks
  {
    rcgc::Heap other;
    auto scope = other.enter();
    std::vector<Ref<Widget>> there;
    for (int i = 0; i < 2; ++i) there.push_back(rcgc::make<Widget>());
    auto rows = objgraph::growth();  // not measured against this heap's 5
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].count, 2u);
    EXPECT_EQ(rows[0].delta, 2u);
  }
  keep.push_back(rcgc::make<Widget>());
  auto rows = objgraph::growth();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].delta, 1u);
}

TEST_F(ObjgraphTest, GrowthKeepsTheLargestRisesFirst) {
  objgraph::PeakStats peaks;
  std::vector<Ref<rcgc::Object>> keep;
  for (int i = 0; i < 2; ++i) keep.push_back(rcgc::make<Widget>());
  for (int i = 0; i < 7; ++i) keep.push_back(rcgc::make<Panel>());
  keep.push_back(rcgc::make<rcgc_test::Node>());
  auto rows = objgraph::growth(peaks, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].type, "Panel");
  EXPECT_EQ(rows[1].type, "Widget");
}

TEST_F(ObjgraphTest, BackrefsAreTheReferrers) {
  auto x = rcgc::make<Widget>();
  auto p = rcgc::make<Panel>();
  auto q = rcgc::make<Panel>();
  p->items.push_back(x);
  auto refs = objgraph::get_backrefs(x);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].get(), p.get());
  EXPECT_TRUE(objgraph::get_backrefs(q).empty());
}

// root (held by the test) -> a -> b -> c
struct Chain {
  Ref<Widget> root;
  Widget *a, *b, *c;
  Chain() {
    root = rcgc::make<Widget>();
    auto wa = rcgc::make<Widget>(), wb = rcgc::make<Widget>(), wc = rcgc::make<Widget>();
    root->child = wa;
    wa->child = wb;
    wb->child = wc;
    wb->parent = wa;  // a cycle a <-> b inside the chain
    a = wa.get();
    b = wb.get();
    c = wc.get();
  }
};

TEST_F(ObjgraphTest, RootsAreObjectsReferencedFromOutside) {
  Chain ch;
  auto roots = objgraph::roots();
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0].object.get(), ch.root.get());
  EXPECT_EQ(roots[0].external, 1u);  // ch.root
  Ref<Widget> extra(ch.b);           // a second outside reference, to b
  roots = objgraph::roots();
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[1].object.get(), ch.b);
  EXPECT_EQ(roots[1].external, 1u);
}

TEST_F(ObjgraphTest, LeakingObjectsAreThoseNoTrackedObjectReferences) {
  Chain ch;
  auto alone = rcgc::make<Panel>();
  auto tops = objgraph::get_leaking_objects();
  ASSERT_EQ(tops.size(), 2u);
  EXPECT_EQ(tops[0].get(), ch.root.get());
  EXPECT_EQ(tops[1].get(), alone.get());
  alone->items.push_back(ch.root);  // now referenced by alone
  tops = objgraph::get_leaking_objects();
  ASSERT_EQ(tops.size(), 1u);
  EXPECT_EQ(tops[0].get(), alone.get());
}

TEST_F(ObjgraphTest, BackrefChainLeadsFromTheNearestRoot) {
  Chain ch;
  Ref<Widget> handle(ch.c);  // the caller's own handle is not a root
  auto chain = objgraph::find_backref_chain(handle);
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_EQ(chain[0].get(), ch.root.get());
  EXPECT_EQ(chain[1].get(), ch.a);
  EXPECT_EQ(chain[2].get(), ch.b);
  EXPECT_EQ(chain[3].get(), ch.c);

  // A nearer root: b held from outside (the chain above let go first: it
  // holds b too).
  chain.clear();
  EXPECT_EQ(objgraph::find_backref_chain(handle).size(), 4u);
  Ref<Widget> extra(ch.b);
  chain = objgraph::find_backref_chain(handle);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].get(), ch.b);

  // The caller's predicate, and the depth limit.
  chain = objgraph::find_backref_chain(
      handle, [&](const rcgc::Object* o) { return o == ch.root.get(); });
  EXPECT_EQ(chain.size(), 4u);
  chain = objgraph::find_backref_chain(
      handle, [&](const rcgc::Object* o) { return o == ch.root.get(); }, 2);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0].get(), ch.c);
}

TEST_F(ObjgraphTest, ListsThisLibraryReturnedCanBeIgnored) {
  Chain ch;
  auto widgets = objgraph::by_type("Widget");  // holds root, a, b and c
  ASSERT_EQ(widgets.size(), 4u);
  // Counted, the list makes b a root; ignored, the chain starts at root.
  EXPECT_EQ(objgraph::find_backref_chain(ch.c).size(), 2u);
  auto chain = objgraph::find_backref_chain(ch.c, {}, 20, {&widgets});
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_EQ(chain[0].get(), ch.root.get());
  EXPECT_EQ(objgraph::roots().size(), 4u);
  EXPECT_EQ(objgraph::roots({&widgets, &chain}).size(), 1u);
}

TEST_F(ObjgraphTest, BackrefChainOfGarbageIsTheObjectAlone) {
  rcgc::Object* raw;
  {
    auto x = rcgc::make<Widget>(), y = rcgc::make<Widget>();
    x->child = y;
    y->child = x;
    raw = x.get();
  }  // a garbage cycle: nothing outside holds it (automatic collection is off)
  auto chain = objgraph::find_backref_chain(raw);
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain[0].get(), raw);
  chain.clear();
  EXPECT_EQ(rcgc::gc::collect(), 2u);
  EXPECT_THROW(objgraph::find_backref_chain(static_cast<rcgc::Object*>(nullptr)),
               std::invalid_argument);
}

TEST_F(ObjgraphTest, RefChainFollowsReferents) {
  Chain ch;
  auto chain = objgraph::find_ref_chain(ch.root, [&](const rcgc::Object* o) { return o == ch.c; });
  ASSERT_EQ(chain.size(), 4u);
  EXPECT_EQ(chain[0].get(), ch.root.get());
  EXPECT_EQ(chain[3].get(), ch.c);
  auto none = objgraph::find_ref_chain(ch.c, [](const rcgc::Object*) { return true; });
  ASSERT_EQ(none.size(), 1u);  // c references nothing
  EXPECT_EQ(none[0].get(), ch.c);
}

TEST_F(ObjgraphTest, RefsDotWalksForwardsToItsDepth) {
  // A chain of six Widgets: depth 3 shows four of them and three edges.
  std::vector<Ref<Widget>> ws;
  for (int i = 0; i < 6; ++i) ws.push_back(rcgc::make<Widget>());
  for (int i = 0; i + 1 < 6; ++i) ws[i]->child = ws[i + 1];
  std::string dot = objgraph::refs_dot({ws[0].get()});
  EXPECT_EQ(dot.rfind("digraph ObjectGraph {", 0), 0u);
  EXPECT_EQ(occurrences(dot, "label=\"Widget\\nrefcount"), 4u);
  EXPECT_EQ(occurrences(dot, " -> "), 3u);
  EXPECT_NE(dot.find("o0 -> o1;"), std::string::npos);
  EXPECT_EQ(dot.back(), '\n');

  objgraph::GraphOptions opt;
  opt.max_depth = 10;
  opt.extra_info = [](const rcgc::Object*) { return std::string("say \"hi\""); };
  dot = objgraph::refs_dot({ws[0].get()}, opt);
  EXPECT_EQ(occurrences(dot, "label=\"Widget"), 6u);
  EXPECT_NE(dot.find("\\nsay \\\"hi\\\"\""), std::string::npos);  // escaped
}

TEST_F(ObjgraphTest, RefsDotShowsTooManyReferencesAsANote) {
  auto p = rcgc::make<Panel>();
  for (int i = 0; i < 15; ++i) p->items.push_back(rcgc::make<Widget>());
  std::string dot = objgraph::refs_dot({p.get()});
  EXPECT_EQ(occurrences(dot, "label=\"Widget"), 10u);
  EXPECT_NE(dot.find("5 more referents"), std::string::npos);
  objgraph::GraphOptions opt;
  opt.filter = [](const rcgc::Object* o) { return dynamic_cast<const Widget*>(o) == nullptr; };
  dot = objgraph::refs_dot({p.get()}, opt);
  EXPECT_EQ(occurrences(dot, "label=\""), 1u);  // the Panel alone
}

TEST_F(ObjgraphTest, BackrefsDotPointsFromReferrers) {
  Chain ch;
  std::string dot = objgraph::backrefs_dot({ch.c});
  // c (o0) <- b (o1) <- a (o2) <- root (o3); b is also referenced by a only
  EXPECT_NE(dot.find("o1 -> o0;"), std::string::npos);
  EXPECT_NE(dot.find("o2 -> o1;"), std::string::npos);
  EXPECT_NE(dot.find("o3 -> o2;"), std::string::npos);
  EXPECT_EQ(occurrences(dot, "label=\"Widget"), 4u);
  std::string chain = objgraph::chain_dot(objgraph::find_backref_chain(ch.c));
  EXPECT_EQ(occurrences(chain, " -> "), 3u);
}

class GraphFiles : public ObjgraphTest {
 protected:
  void SetUp() override {
    ObjgraphTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("rcgc-objgraph-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ObjgraphTest::TearDown();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(GraphFiles, DotIsWrittenAsItIs) {
  Chain ch;
  auto w = objgraph::show_refs({ch.root.get()}, path("g.dot"));
  EXPECT_FALSE(w.rendered);
  EXPECT_EQ(w.path, path("g.dot"));
  EXPECT_EQ(slurp(w.path), objgraph::refs_dot({ch.root.get()}));
}

TEST_F(GraphFiles, SvgIsRenderedByGraphviz) {
  if (!objgraph::graphviz_available()) GTEST_SKIP() << "Graphviz's dot is not installed";
  Chain ch;
  auto w = objgraph::show_backrefs({ch.c}, path("g.svg"));
  EXPECT_TRUE(w.rendered);
  EXPECT_EQ(w.path, path("g.svg"));
  const std::string svg = slurp(w.path);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("Widget"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path("g.svg.dot")));
  auto c = objgraph::show_chain(objgraph::find_backref_chain(ch.c), path("chain.png"));
  EXPECT_TRUE(c.rendered);
  EXPECT_EQ(slurp(c.path).substr(1, 3), "PNG");
  EXPECT_THROW(objgraph::write_graph("digraph {}", path("g.nosuchformat")), std::runtime_error);
}

TEST_F(GraphFiles, WithoutGraphvizOnlyTheDotIsWritten) {
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", dir_.c_str(), 1);  // a directory without dot
  EXPECT_FALSE(objgraph::graphviz_available());
  Chain ch;
  auto w = objgraph::show_refs({ch.root.get()}, path("g.svg"));
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_FALSE(w.rendered);
  EXPECT_EQ(w.path, path("g.svg.dot"));
  EXPECT_NE(w.note.find("not on PATH"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path("g.svg")));
  EXPECT_NE(slurp(w.path).find("digraph"), std::string::npos);
}

TEST_F(GraphFiles, BadFileNamesAreErrors) {
  EXPECT_THROW(objgraph::write_graph("digraph {}", path("noextension")), std::invalid_argument);
  EXPECT_THROW(objgraph::write_graph("digraph {}", path("missing/dir/g.dot")),
               std::runtime_error);
}

}  // namespace
