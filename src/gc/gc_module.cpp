// rcgc::gc — the gc module's functions, on the current heap.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "gc/collector.hpp"
#include "rcgc/gc.hpp"
#include "rcgc/heap.hpp"

namespace rcgc {
namespace detail {
namespace {

void invoke_callbacks(HeapState& h, gc::Phase phase, const gc::CollectInfo& info) noexcept {
  if (h.callbacks.empty()) return;
  // A callback may add or remove callbacks: call a snapshot.
  std::vector<gc::Callback> snapshot;
  try {
    snapshot.reserve(h.callbacks.size());
    for (auto& [id, cb] : h.callbacks) snapshot.push_back(cb);
  } catch (...) {
    return;
  }
  for (auto& cb : snapshot) {
    try {
      cb(phase, info);
    } catch (...) {
      write_unraisable(std::current_exception(), "a gc callback");
    }
  }
}

struct CollectingScope {
  HeapState& h;
  explicit CollectingScope(HeapState& heap) noexcept : h(heap) { h.collecting = true; }
  ~CollectingScope() { h.collecting = false; }
};

}  // namespace

std::size_t HeapState::collect_with_callbacks(int generation) noexcept {
  if (collecting) return 0;
  CollectingScope scope(*this);
  gc::CollectInfo info;
  info.generation = generation;
  invoke_callbacks(*this, gc::Phase::start, info);
  auto t0 = std::chrono::steady_clock::now();
  CollectResult r = Collector(*this).collect(generation);
  info.duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  info.collected = r.collected;
  info.uncollectable = r.uncollectable;
  info.candidates = r.candidates;
  invoke_callbacks(*this, gc::Phase::stop, info);
  return r.collected + r.uncollectable;
}

// CPython's collect_generations: the oldest generation whose count passed its
// threshold, except that a full collection also waits until generation 2 has
// grown by more than 25% of what survived the last one. One difference from
// CPython 3.11: the growth is net. CPython counts every object promoted into
// generation 2; rcgc subtracts those that left it since (died by reference
// counting, or untracked). A full collection costs O(live heap), and what
// already died cannot be garbage of the cycle collector; garbage cycles never
// leave by themselves, so they still count as growth and still trigger it.
void HeapState::collect_automatic() noexcept {
  for (int i = gc::kNumGenerations - 1; i >= 0; --i) {
    if (gens[i].count > gens[i].threshold) {
      if (i == gc::kNumGenerations - 1 &&
          long_lived_pending < static_cast<std::ptrdiff_t>(long_lived_total / 4))
        continue;
      collect_with_callbacks(i);
      break;
    }
  }
}

void HeapState::track(Object* op) noexcept {
  if (has_flag(op, kLinked) || !has_flag(op, kTracked)) return;
  set_flag(op, kLinked);
  set_generation(op, 0);
  gens[0].list.append(as_gc(op));
}


}  // namespace detail

namespace gc {
namespace {
detail::HeapState& cur() noexcept { return detail::current_heap_state(); }

void check_generation(int generation, bool allow_all) {
  if (allow_all && generation == -1) return;
  if (generation < 0)
    throw std::invalid_argument("generation parameter cannot be negative");
  if (generation >= kNumGenerations)
    throw std::invalid_argument(
        "generation parameter must be less than the number of available generations (3)");
}

void append_list(ObjectList& out, detail::GcList& list) {
  for (detail::GcHead* gc = list.first(); gc != list.end(); gc = gc->next)
    out.emplace_back(detail::from_gc(gc));
}
}  // namespace

void GarbageList::erase(std::size_t i) {
  Ref<Object> victim = std::move(items_.at(i));
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
  // victim is released here, after the list is consistent again.
}

void GarbageList::clear() noexcept {
  std::vector<Ref<Object>> detached;
  detached.swap(items_);
  // Release in order; finalizers that run now see an empty garbage list.
  for (auto& r : detached) r.reset();
}

std::size_t collect(int generation) {
  check_generation(generation, false);
  return cur().collect_with_callbacks(generation);
}

void enable() noexcept { cur().enabled = true; }
void disable() noexcept { cur().enabled = false; }
bool isenabled() noexcept { return cur().enabled; }

std::array<int, 3> get_threshold() noexcept {
  auto& g = cur().gens;
  return {g[0].threshold, g[1].threshold, g[2].threshold};
}

void set_threshold(int t0) { set_threshold(t0, cur().gens[1].threshold, cur().gens[2].threshold); }
void set_threshold(int t0, int t1) { set_threshold(t0, t1, cur().gens[2].threshold); }
void set_threshold(int t0, int t1, int t2) {
  if (t0 < 0 || t1 < 0 || t2 < 0) throw std::invalid_argument("thresholds must be >= 0");
  auto& g = cur().gens;
  g[0].threshold = t0;
  g[1].threshold = t1;
  g[2].threshold = t2;
}

std::array<int, 3> get_count() noexcept {
  auto& g = cur().gens;
  return {g[0].count, g[1].count, g[2].count};
}

std::array<GenerationStats, 3> get_stats() noexcept { return cur().stats; }

GarbageList& garbage() noexcept { return cur().garbage; }

void set_debug(unsigned flags) noexcept { cur().debug = flags; }
unsigned get_debug() noexcept { return cur().debug; }

CallbackId add_callback(Callback cb) {
  if (!cb) throw std::invalid_argument("gc callback must not be empty");
  auto& h = cur();
  CallbackId id = h.next_callback_id++;
  h.callbacks.emplace_back(id, std::move(cb));
  return id;
}

bool remove_callback(CallbackId id) noexcept {
  auto& cbs = cur().callbacks;
  auto it = std::find_if(cbs.begin(), cbs.end(), [id](auto& p) { return p.first == id; });
  if (it == cbs.end()) return false;
  cbs.erase(it);
  return true;
}

ObjectList get_objects(int generation) {
  check_generation(generation, true);
  auto& h = cur();
  ObjectList out;
  if (generation == -1) {
    for (auto& g : h.gens) append_list(out, g.list);
  } else {
    append_list(out, h.gens[generation].list);
  }
  return out;
}

namespace {
struct FindVisitor : Visitor {
  const std::vector<const Object*>* targets;
  bool found = false;
  explicit FindVisitor(const std::vector<const Object*>& t) : Visitor(&visit), targets(&t) {}
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<FindVisitor&>(base);
    if (std::find(self.targets->begin(), self.targets->end(), op) != self.targets->end())
      self.found = true;
  }
};

struct CollectVisitor : Visitor {
  ObjectList* out;
  explicit CollectVisitor(ObjectList& o) : Visitor(&visit), out(&o) {}
  static void visit(Visitor& base, Object* op) {
    static_cast<CollectVisitor&>(base).out->emplace_back(op);
  }
};
}  // namespace

ObjectList get_referrers(const Object* obj) {
  return get_referrers(std::vector<const Object*>{obj});
}

ObjectList get_referrers(const std::vector<const Object*>& objs) {
  auto& h = cur();
  ObjectList out;
  for (auto& g : h.gens) {
    for (detail::GcHead* gc = g.list.first(); gc != g.list.end(); gc = gc->next) {
      FindVisitor v(objs);
      detail::from_gc(gc)->traverse(v);
      if (v.found) out.emplace_back(detail::from_gc(gc));
    }
  }
  return out;
}

ObjectList get_referents(const Object* obj) {
  return get_referents(std::vector<const Object*>{obj});
}

ObjectList get_referents(const std::vector<const Object*>& objs) {
  ObjectList out;
  CollectVisitor v(out);
  for (const Object* obj : objs)
    if (obj) obj->traverse(v);
  return out;
}

bool is_tracked(const Object* obj) noexcept {
  return obj && detail::has_flag(obj, detail::kLinked);
}

bool is_finalized(const Object* obj) noexcept {
  return obj && detail::has_flag(obj, detail::kFinalized);
}

namespace {
// Stamps every object of `list` with generation `gen` (the collector tells
// members of the generations it collects by these bits).
std::size_t stamp(detail::GcList& list, std::uint16_t gen) noexcept {
  std::size_t n = 0;
  for (detail::GcHead* gc = list.first(); gc != list.end(); gc = gc->next, ++n)
    detail::set_generation(detail::from_gc(gc), gen);
  return n;
}
}  // namespace

void freeze() noexcept {
  auto& h = cur();
  for (int i = 0; i < kNumGenerations; ++i) {
    std::size_t n = stamp(h.gens[i].list, detail::kPermanentGen);
    if (i == kNumGenerations - 1) h.left_generation_two(n);
    h.permanent.merge_from(h.gens[i].list);
  }
  h.gens[0].count = 0;
}

void unfreeze() noexcept {
  auto& h = cur();
  h.long_lived_pending += static_cast<std::ptrdiff_t>(stamp(h.permanent, kNumGenerations - 1));
  h.gens[kNumGenerations - 1].list.merge_from(h.permanent);
}

std::size_t get_freeze_count() noexcept { return cur().permanent.size(); }

}  // namespace gc
}  // namespace rcgc
