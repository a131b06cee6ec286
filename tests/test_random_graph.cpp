// Random programs on object graphs, checked against a reachability model:
// no reachable object is ever freed, and after a full collection nothing
// unreachable is left. (The longer driver with finalizers, weakrefs and
// failures is tests/test_stress.cpp.)
#include <algorithm>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "fixture.hpp"

using rcgc::Ref;
namespace gc = rcgc::gc;

namespace {

using GNode = rcgc_test::IdNode;
auto& alive = rcgc_test::alive_ids;  // ids of GNodes not yet destroyed

constexpr int kBlob = -1;  // an edge to an untracked leaf

class Model {
 public:
  std::unordered_map<int, std::vector<int>> edges;
  std::vector<int> roots;

  std::unordered_set<int> reachable() const {
    std::unordered_set<int> seen(roots.begin(), roots.end());
    std::vector<int> work(roots.begin(), roots.end());
    while (!work.empty()) {
      int id = work.back();
      work.pop_back();
      for (int to : edges.at(id))
        if (to != kBlob && seen.insert(to).second) work.push_back(to);
    }
    return seen;
  }
};

class RandomGraph : public rcgc_test::HeapTest {
 protected:
  void run(unsigned seed, int steps, bool automatic) {
    alive.clear();
    if (automatic) {
      gc::set_threshold(7, 3, 3);
      gc::enable();
    }
    std::mt19937 rng(seed);
    Model model;
    std::vector<Ref<GNode>> roots;
    std::unordered_map<int, GNode*> obj;  // every object the model knows
    int next_id = 0;
    auto pick = [&](const std::vector<int>& v) { return v[rng() % v.size()]; };

    for (int step = 0; step < steps; ++step) {
      std::unordered_set<int> reach = model.reachable();
      std::vector<int> reach_v(reach.begin(), reach.end());
      std::sort(reach_v.begin(), reach_v.end());
      unsigned op = rng() % 100;
      if (op < 25 || reach_v.empty()) {  // new object, held by the program
        int id = next_id++;
        roots.push_back(rcgc::make<GNode>(id));
        obj[id] = roots.back().get();
        model.edges[id] = {};
        model.roots.push_back(id);
      } else if (op < 40 && !roots.empty()) {  // drop a root
        std::size_t i = rng() % roots.size();
        roots.erase(roots.begin() + static_cast<std::ptrdiff_t>(i));
        model.roots.erase(model.roots.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (op < 75) {  // link two reachable objects
        int from = pick(reach_v), to = pick(reach_v);
        obj[from]->edges.emplace_back(obj[to]);
        model.edges[from].push_back(to);
      } else if (op < 90) {  // unlink
        int from = pick(reach_v);
        auto& e = model.edges[from];
        if (!e.empty()) {
          std::size_t i = rng() % e.size();
          e.erase(e.begin() + static_cast<std::ptrdiff_t>(i));
          obj[from]->edges.erase(obj[from]->edges.begin() + static_cast<std::ptrdiff_t>(i));
        }
      } else if (op < 93) {  // an untracked leaf
        int from = pick(reach_v);
        obj[from]->edges.push_back(rcgc::make<rcgc_test::Blob>());
        model.edges[from].push_back(kBlob);
      } else {
        int g = static_cast<int>(rng() % 3);
        gc::collect(g);
      }
      // Every reachable object is alive and intact.
      reach = model.reachable();
      for (int id : reach) {
        ASSERT_TRUE(alive.count(id)) << "seed " << seed << " step " << step << ": object " << id
                                     << " is reachable but was freed";
        ASSERT_EQ(obj[id]->edges.size(), model.edges[id].size());
      }
      if (op >= 97) {
        gc::collect(2);
        ASSERT_EQ(alive.size(), reach.size())
            << "seed " << seed << " step " << step << ": unreachable objects survived";
      }
      // Forget the objects that are gone.
      for (auto it = obj.begin(); it != obj.end();) {
        if (!alive.count(it->first)) {
          model.edges.erase(it->first);
          it = obj.erase(it);
        } else {
          ++it;
        }
      }
    }
    roots.clear();
    gc::collect(2);
    EXPECT_TRUE(alive.empty()) << "seed " << seed << ": objects left after the last collection";
  }
};

TEST_F(RandomGraph, ManualCollections) {
  for (unsigned seed = 1; seed <= 12; ++seed) run(seed, 1200, false);
}

TEST_F(RandomGraph, AutomaticCollections) {
  for (unsigned seed = 100; seed <= 107; ++seed) run(seed, 1200, true);
}

}  // namespace
