// rcgc reliability: a deterministic random-program driver checked against a
// reachability model (header-only, so the GoogleTest files and the libFuzzer
// target include the same code; see docs/reliability.md).
//
// The driver owns a heap and runs "programs": create tracked and untracked
// objects, link and unlink them, drop references, take weak references (with
// callbacks that throw, allocate, collect or drop references), run finalizers
// that resurrect, throw, allocate, collect or drop references, legacy
// finalizers, collect generations 0..2, freeze/unfreeze, DEBUG_SAVEALL,
// thresholds with automatic collection, deep chains, injected allocation
// failures. Every decision comes from a Choice: a seeded generator, or the
// fuzzer's bytes.
//
// The model mirrors the program's graph (ids, edges, roots). The oracle:
//   * after every step, every object the model calls reachable (from the
//     program's roots and gc::garbage()) is alive and intact: header magic,
//     id, kind, its edges exactly as the model says, tracked if its type is;
//   * after every full collection run by the program (and not spoiled by user
//     code dropping references meanwhile), every object alive is reachable
//     from the roots, gc::garbage() or a frozen object; what the collection
//     appended to gc::garbage() was unreachable before it;
//   * finalize() runs at most once per object and before every death of a
//     type that has one; legacy_finalize() before every death of its type;
//     weakref callbacks run at most once, only for expired weakrefs, and
//     always when the target of a program-held weakref died;
//   * at teardown every object is gone (model, instance count and
//     Heap::live_objects()).
// Failures are recorded (the first one wins) and the run stops; the driver
// never depends on GoogleTest.
#pragma once

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rcgc/rcgc.hpp"

namespace rcgc_stress {

using rcgc::Ref;
using rcgc::WeakRef;
namespace gc = rcgc::gc;

// Decisions: splitmix64 from a seed, or the fuzzer's bytes (zeros once they
// run out; exhausted() then ends the run).
class Choice {
 public:
  // The seed goes through the mixer first: splitmix64's state advances by a
  // constant, so seeding it with seed * constant made seed s + 1 the stream
  // of seed s shifted by one decision (nearly the same program).
  explicit Choice(std::uint64_t seed) : state_(mix(seed ^ 0x632BE59BD9B4E019ull)) {}
  Choice(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  // A value in [0, n).
  std::uint32_t below(std::uint32_t n) {
    if (n <= 1) return 0;
    std::uint64_t v;
    if (data_) {
      int bytes = n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4;
      v = 0;
      for (int i = 0; i < bytes; ++i) v = (v << 8) | (pos_ < size_ ? data_[pos_++] : (++pos_, 0));
    } else {
      v = next64() >> 16;
    }
    return static_cast<std::uint32_t>(v % n);
  }
  bool chance(std::uint32_t percent) { return below(100) < percent; }
  bool exhausted() const { return data_ && pos_ >= size_; }

 private:
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t next64() { return mix(state_ += 0x9E3779B97F4A7C15ull); }
  std::uint64_t state_ = 0;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
};

struct Config {
  std::uint64_t seed = 1;
  std::uint64_t ops = 10000;
  const std::uint8_t* data = nullptr;  // fuzzer input: decisions come from here
  std::size_t size = 0;
  std::size_t max_reachable = 120;     // above it, the program mostly drops
  bool automatic = true;               // automatic collection (small thresholds)
  bool finalizers = true;              // finalizer / legacy types and hostile callbacks
  bool inject_failures = true;         // Allocator::fail_after bursts
  bool deep = true;                    // deep chains (trashcan) now and then
  int verify_every = 64;               // Heap::verify() every N steps (0: never)
  // Deliberate model errors, to show the oracle fails when it must:
  // 1 = an edge the model does not know (intact check), 2 = a reference the
  // model does not know keeps garbage alive (full-collection check).
  int sabotage = 0;
  std::uint64_t sabotage_step = 0;
};

struct Counts {
  std::uint64_t ops = 0;
  std::uint64_t objects_made = 0;
  std::uint64_t collections[3] = {0, 0, 0};
  std::uint64_t explicit_full = 0;      // collect(2) steps followed by the full check
  std::uint64_t collected = 0;          // sum of collect() results seen by callbacks
  std::uint64_t finalizers_run = 0;
  std::uint64_t legacy_finalizers_run = 0;
  std::uint64_t resurrections = 0;
  std::uint64_t callbacks = 0;          // weakref callbacks
  std::uint64_t unraisable = 0;         // exceptions handed to the unraisable hook
  std::uint64_t injected_failures = 0;  // std::bad_alloc caught by the program
  std::uint64_t garbage_seen = 0;       // items found in gc::garbage()
  std::uint64_t freezes = 0;
  std::uint64_t max_depth = 0;          // longest chain built
  std::uint64_t verifies = 0;

  void add(const Counts& o) {
    ops += o.ops;
    objects_made += o.objects_made;
    for (int i = 0; i < 3; ++i) collections[i] += o.collections[i];
    explicit_full += o.explicit_full;
    collected += o.collected;
    finalizers_run += o.finalizers_run;
    legacy_finalizers_run += o.legacy_finalizers_run;
    resurrections += o.resurrections;
    callbacks += o.callbacks;
    unraisable += o.unraisable;
    injected_failures += o.injected_failures;
    garbage_seen += o.garbage_seen;
    freezes += o.freezes;
    max_depth = std::max(max_depth, o.max_depth);
    verifies += o.verifies;
  }
  std::string str() const {
    std::ostringstream s;
    s << "operations=" << ops << " objects=" << objects_made << " collections(gen0/1/2)="
      << collections[0] << "/" << collections[1] << "/" << collections[2]
      << " full_checks=" << explicit_full << " collected=" << collected
      << " finalizers=" << finalizers_run << " legacy_finalizers=" << legacy_finalizers_run
      << " resurrections=" << resurrections << " weakref_callbacks=" << callbacks
      << " unraisable=" << unraisable << " injected_failures=" << injected_failures
      << " garbage_items=" << garbage_seen << " freezes=" << freezes
      << " deepest_chain=" << max_depth << " verifies=" << verify_count();
    return s.str();
  }
  std::uint64_t verify_count() const { return verifies; }
};

struct Result {
  bool ok = true;
  std::string failure;
  Counts counts;
};

class Driver;

enum Kind : std::uint8_t { kNode, kFin, kLegacy, kLeaf, kLeafFin, kNumKinds };
inline const char* kind_name(int k) {
  static const char* names[] = {"node", "finalizer-node", "legacy-node", "leaf", "finalizer-leaf"};
  return k >= 0 && k < kNumKinds ? names[k] : "?";
}
inline bool kind_tracked(int k) { return k == kNode || k == kFin || k == kLegacy; }

// Hostile behaviours of finalizers and weakref callbacks.
enum Mode : std::uint8_t {
  kPlain,
  kResurrect,       // store a reference to itself in the program's roots
  kThrow,
  kAllocate,        // make a new node and root it (may run a collection)
  kCollect,         // gc::collect(random generation)
  kResurrectChild,  // root what it references (transitive resurrection)
  kDropRoot,        // drop one of the program's roots
  kNumModes
};

constexpr std::uint64_t kMagic = 0x5243'4743'5354'5253ull;  // "RCGCSTRS"

// Thrown by hostile finalizers and callbacks.
struct HostileError : std::runtime_error {
  HostileError() : std::runtime_error("hostile user code") {}
};

struct SBase : rcgc::Object {
  SBase(Driver* d, Kind k, Mode m);
  ~SBase() override;
  std::uint64_t magic;
  Driver* driver;
  std::uint32_t id;
  Kind kind;
  Mode mode;
};

// Tracked: holds references (and weak references) in vectors.
struct SNode : SBase {
  using SBase::SBase;
  std::vector<Ref<rcgc::Object>> edges;
  std::vector<WeakRef<SBase>> weak_fields;
  void traverse(rcgc::Visitor& visit) const override {
    visit.each(edges);  // batched runs (Visitor::each) under the oracle too
    visit.each(weak_fields);
  }
};
struct SFin : SNode {
  using SNode::SNode;
  void finalize() override;
};
struct SLegacy : SNode {
  using SNode::SNode;
  void legacy_finalize() override;
};
// Untracked (no traverse).
struct SLeaf : SBase {
  using SBase::SBase;
};
struct SLeafFin : SBase {
  using SBase::SBase;
  void finalize() override;
};

struct MObj {
  SBase* ptr = nullptr;
  std::vector<std::uint32_t> edges;
  std::uint32_t nweak = 0;
  Kind kind = kNode;
  Mode mode = kPlain;
  bool frozen = false;
  std::uint8_t fin_calls = 0;
  std::uint8_t legacy_calls = 0;
  std::uint64_t mark = 0;  // == Driver::epoch_: seen by the last reachability walk
  std::uint64_t exempt = 0;  // == Driver::exempt_epoch_: reachable from unreachable legacy
};

struct WeakState {
  Driver* driver = nullptr;
  std::uint32_t target = 0;
  bool has_cb = false;
  bool program_held = true;
  bool expired_seen = false;
  int calls = 0;
  Mode mode = kPlain;
};

struct WeakRec {
  WeakRef<SBase> w;
  rcgc::WeakProxy<SBase> proxy;
  bool is_proxy = false;
  std::shared_ptr<WeakState> st;
};

class Driver {
 public:
  explicit Driver(const Config& cfg)
      : cfg_(cfg), ch_(cfg.data ? Choice(cfg.data, cfg.size) : Choice(cfg.seed)) {
    const char* t = std::getenv("RCGC_STRESS_TRACE");
    trace_ = t && *t && *t != '0';
  }

  Result run();

  // --- called by the objects (user code) ---------------------------------
  void on_create(SBase* op) {
    op->id = next_id_++;
    MObj& m = objs_[op->id];
    m.ptr = op;
    m.kind = op->kind;
    m.mode = op->mode;
    ++counts_.objects_made;
    if (trace_) std::fprintf(stderr, "  + %s %u mode %d\n", kind_name(op->kind), op->id, op->mode);
  }
  void on_destroy(SBase* op) {
    if (op->magic != kMagic) return fail("destructor of a corrupt object (magic %llx)",
                                         static_cast<unsigned long long>(op->magic));
    auto it = objs_.find(op->id);
    if (trace_) std::fprintf(stderr, "  - %u\n", op->id);
    if (it == objs_.end()) return fail("object %u destroyed twice", op->id);
    if ((op->kind == kFin || op->kind == kLeafFin) && it->second.fin_calls != 1)
      fail("%s %u destroyed after %d finalize() calls", kind_name(op->kind), op->id,
           it->second.fin_calls);
    if (op->kind == kLegacy && it->second.legacy_calls == 0)
      fail("legacy-node %u destroyed without legacy_finalize()", op->id);
    objs_.erase(it);
  }
  void on_finalize(SBase* op) {
    auto it = objs_.find(op->id);
    if (it == objs_.end()) return fail("finalize() of unknown object %u", op->id);
    if (++it->second.fin_calls > 1) fail("finalize() called twice on %u", op->id);
    if (trace_) std::fprintf(stderr, "  finalize %u mode %d (in collection: %d)\n", op->id, op->mode, in_collection_);
    ++counts_.finalizers_run;
    hostile(op, op->mode, /*from_legacy=*/false);
  }
  void on_legacy_finalize(SBase* op) {
    auto it = objs_.find(op->id);
    if (it == objs_.end()) return fail("legacy_finalize() of unknown object %u", op->id);
    bool first = it->second.legacy_calls++ == 0;
    if (trace_) std::fprintf(stderr, "  legacy_finalize %u mode %d\n", op->id, op->mode);
    ++counts_.legacy_finalizers_run;
    // Resurrect only the first time, or the object could never die.
    Mode m = op->mode;
    if (!first && (m == kResurrect || m == kResurrectChild)) m = kPlain;
    hostile(op, m, /*from_legacy=*/true);
  }
  void on_callback(WeakState& st, WeakRef<SBase>& w) {
    ++counts_.callbacks;
    if (tearing_down_) return;
    if (trace_) std::fprintf(stderr, "  callback (target %u) mode %d\n", st.target, st.mode);
    if (++st.calls > 1) fail("weakref callback (target %u) called twice", st.target);
    if (!w.expired()) fail("weakref callback (target %u) called while the weakref is live",
                           st.target);
    hostile(nullptr, st.mode, false);
  }
  void on_unraisable(std::exception_ptr e, const std::string& where) {
    ++counts_.unraisable;
    try {
      std::rethrow_exception(e);
    } catch (const HostileError&) {
    } catch (const std::bad_alloc&) {
      if (!injecting_) fail("std::bad_alloc outside failure injection, in %s", where.c_str());
    } catch (const std::exception& ex) {
      fail("unexpected exception \"%s\" in %s", ex.what(), where.c_str());
    } catch (...) {
      fail("unexpected non-std exception in %s", where.c_str());
    }
  }

  bool failed() const { return failed_; }

 private:
  friend struct SBase;

  void fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (failed_) return;
    failed_ = true;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    std::ostringstream s;
    if (cfg_.data)
      s << "fuzz input";
    else
      s << "seed " << cfg_.seed;
    s << ", step " << step_ << " (op " << last_op_ << "): " << buf;
    failure_ = s.str();
  }

  // --- object creation ----------------------------------------------------
  Ref<SBase> make_object(Kind k, Mode m) {
    switch (k) {
      case kNode: return rcgc::make<SNode>(this, k, m);
      case kFin: return rcgc::make<SFin>(this, k, m);
      case kLegacy: return rcgc::make<SLegacy>(this, k, m);
      case kLeaf: return rcgc::make<SLeaf>(this, k, m);
      default: return rcgc::make<SLeafFin>(this, k, m);
    }
  }
  Kind random_kind() {
    std::uint32_t r = ch_.below(100);
    if (!cfg_.finalizers) return r < 85 ? kNode : kLeaf;
    if (r < 50) return kNode;
    if (r < 72) return kFin;
    if (r < 80) return kLegacy;
    if (r < 92) return kLeaf;
    return kLeafFin;
  }
  Mode random_mode() {
    if (!cfg_.finalizers) return kPlain;
    std::uint32_t r = ch_.below(100);
    if (r < 30) return kPlain;
    return static_cast<Mode>(1 + ch_.below(kNumModes - 1));
  }

  // What hostile user code does (finalizers, legacy finalizers, callbacks).
  void hostile(SBase* self, Mode m, bool from_legacy) {
    if (tearing_down_) {
      if (m == kThrow) throw HostileError();
      return;
    }
    switch (m) {
      case kPlain:
        break;
      case kResurrect:
        if (self) {
          roots_.push_back(Ref<SBase>(self));
          ++counts_.resurrections;
        }
        break;
      case kThrow:
        throw HostileError();
      case kAllocate: {
        Ref<SBase> n = make_object(kNode, kPlain);  // may throw bad_alloc: unraisable
        roots_.push_back(std::move(n));
        break;
      }
      case kCollect:
        gc::collect(static_cast<int>(ch_.below(3)));
        break;
      case kResurrectChild:
        if (self && kind_tracked(self->kind)) {
          auto* node = static_cast<SNode*>(self);
          for (auto& e : node->edges)
            if (e) {
              roots_.push_back(Ref<SBase>(static_cast<SBase*>(e.get())));
              ++counts_.resurrections;
              break;
            }
        }
        break;
      case kDropRoot:
        if (!roots_.empty()) {
          if (in_collection_ > 0) spoiled_ = true;
          drop_root(ch_.below(static_cast<std::uint32_t>(roots_.size())));
        }
        break;
      default:
        break;
    }
    (void)from_legacy;
  }

  void drop_root(std::size_t i) {
    Ref<SBase> tmp = std::move(roots_[i]);
    roots_[i] = std::move(roots_.back());
    roots_.pop_back();
    tmp.reset();  // may run user code
  }

  // --- the model ----------------------------------------------------------
  SBase* ptr_of(std::uint32_t id) const {
    auto it = objs_.find(id);
    return it == objs_.end() ? nullptr : it->second.ptr;
  }
  bool alive(std::uint32_t id) const { return objs_.count(id) != 0; }

  void garbage_ids(std::vector<std::uint32_t>& out) {
    for (auto& r : gc::garbage()) {
      if (auto* b = dynamic_cast<SBase*>(r.get())) out.push_back(b->id);
    }
  }

  // Reachable from the roots, gc::garbage() and (with_frozen) frozen objects:
  // `out` in a deterministic order; live objects found get mark == epoch_,
  // ids of dead objects are in `out` too (the caller reports them).
  void reachable(bool with_frozen, std::vector<std::uint32_t>& out) {
    out.clear();
    ++epoch_;
    missing_.clear();
    work_.clear();
    for (auto& r : roots_) work_.push_back(r->id);
    garbage_ids(work_);
    if (with_frozen)
      for (auto& [id, m] : objs_)
        if (m.frozen) work_.push_back(id);
    while (!work_.empty()) {
      std::uint32_t id = work_.back();
      work_.pop_back();
      auto it = objs_.find(id);
      if (it == objs_.end()) {
        if (missing_.insert(id).second) out.push_back(id);
        continue;
      }
      MObj& m = it->second;
      if (m.mark == epoch_) continue;
      m.mark = epoch_;
      out.push_back(id);
      work_.insert(work_.end(), m.edges.begin(), m.edges.end());
    }
  }

  // After every step: the reachable objects are alive and intact.
  void check_reachable() {
    reachable(false, reach_);
    reach_epoch_ = epoch_;
    reach_tracked_.clear();
    for (std::uint32_t id : reach_) {
      auto it = objs_.find(id);
      if (it == objs_.end()) return fail("object %u is reachable but was freed", id);
      const MObj& m = it->second;
      const SBase* p = m.ptr;
      if (p->magic != kMagic || p->id != id || p->kind != m.kind)
        return fail("reachable object %u is corrupt (magic %llx id %u kind %d)", id,
                    static_cast<unsigned long long>(p->magic), p->id, p->kind);
      if (p->refcount() == 0 || p->refcount() >= rcgc::detail::kImmortal)
        return fail("reachable object %u has count %u", id, p->refcount());
      if (kind_tracked(m.kind)) {
        reach_tracked_.push_back(id);
        auto* n = static_cast<const SNode*>(p);
        if (n->edges.size() != m.edges.size() || n->weak_fields.size() != m.nweak)
          return fail("reachable %s %u is not intact: %zu edges (model %zu), %zu weak (model %u)",
                      kind_name(m.kind), id, n->edges.size(), m.edges.size(),
                      n->weak_fields.size(), m.nweak);
        for (std::size_t i = 0; i < m.edges.size(); ++i) {
          auto* t = static_cast<const SBase*>(n->edges[i].get());
          if (!t || t->id != m.edges[i])
            return fail("reachable %s %u edge %zu: %u, model says %u", kind_name(m.kind), id,
                        i, t ? t->id : 0u, m.edges[i]);
        }
        if (!gc::is_tracked(p)) return fail("reachable %s %u is not tracked", kind_name(m.kind), id);
      }
    }
    // Program-held weak references.
    for (auto& rec : weaks_) {
      WeakState& st = *rec.st;
      Ref<SBase> t = rec.w.lock();
      bool is_alive = alive(st.target);
      if (t) {
        if (st.expired_seen) return fail("weakref to %u came back to life", st.target);
        if (!is_alive || t.get() != ptr_of(st.target))
          return fail("weakref to %u yields a dead or wrong object", st.target);
      } else {
        st.expired_seen = true;
      }
      if (rec.is_proxy) {
        try {
          std::uint32_t pid = rec.proxy->id;
          if (!t || pid != st.target) return fail("proxy to %u gives %u", st.target, pid);
        } catch (const rcgc::ReferenceError&) {
          if (t) return fail("proxy to %u raised ReferenceError while the weakref is live",
                             st.target);
        }
      }
      t.reset();
      if (!is_alive && st.has_cb && st.calls != 1)
        return fail("target %u died but the callback of a program-held weakref ran %d times",
                    st.target, st.calls);
    }
  }

  // After a program-run full collection: nothing unreachable is left.
  // (The marks of the last check_reachable() tell what was reachable before.)
  void check_after_full(std::size_t garbage_before) {
    // What the collection added to gc::garbage() was unreachable before it.
    auto& g = gc::garbage();
    for (std::size_t i = garbage_before; i < g.size(); ++i) {
      auto* b = dynamic_cast<SBase*>(g[i].get());
      if (!b) continue;
      auto it = objs_.find(b->id);
      if (it != objs_.end() && it->second.mark == reach_epoch_)
        return fail("reachable object %u was put into gc::garbage()", b->id);
    }
    if (spoiled_) return;
    std::vector<std::uint32_t> all;
    reachable(true, all);
    for (auto& [id, m] : objs_) {
      if (m.mark != epoch_ && m.exempt != exempt_epoch_) {
        std::string why = explain(id);
        for (auto& [oid, o] : objs_)
          if (o.mark != epoch_ && o.exempt != exempt_epoch_) why += "; also " + std::to_string(oid) + ": " + explain(oid);
        return fail("%s %u is unreachable but survived a full collection (%s)", kind_name(m.kind),
                    id, why.c_str());
      }
    }
  }

  // For failure messages: the object's count, state and model referrers.
  std::string explain(std::uint32_t id) {
    std::ostringstream s;
    const MObj& m = objs_.at(id);
    s << "count " << m.ptr->refcount() << ", tracked " << gc::is_tracked(m.ptr) << ", finalized "
      << gc::is_finalized(m.ptr) << ", frozen " << m.frozen << ", model referrers [";
    for (auto& [oid, o] : objs_)
      for (std::uint32_t e : o.edges)
        if (e == id) s << " " << kind_name(o.kind) << " " << oid << (o.mark == epoch_ ? "(reachable)" : "");
    s << " ], gc referrers " << gc::get_referrers(m.ptr).size();
    return s.str();
  }

  // CPython's rule: what an unreachable legacy-finalizer object reaches is
  // uncollectable in this collection, even if the legacy object itself then
  // dies by reference counting while the trash is cleared. Likewise what a
  // frozen object reaches is held from outside the collection, even if the
  // frozen object dies while the trash is cleared (a fuzzer find: a frozen
  // object held only by trash held a ring; the ring became garbage during
  // the collection, for the next one). Those objects are exempt from the
  // next full-collection check (the one after checks them).
  void mark_legacy_reachable() {
    ++exempt_epoch_;
    work_.clear();
    for (auto& [id, m] : objs_)
      if ((m.kind == kLegacy || m.frozen) && m.mark != reach_epoch_) work_.push_back(id);
    while (!work_.empty()) {
      std::uint32_t id = work_.back();
      work_.pop_back();
      auto it = objs_.find(id);
      if (it == objs_.end() || it->second.mark == reach_epoch_ || it->second.exempt == exempt_epoch_)
        continue;
      it->second.exempt = exempt_epoch_;
      work_.insert(work_.end(), it->second.edges.begin(), it->second.edges.end());
    }
  }

  // --- operations ---------------------------------------------------------
  Ref<SBase> ref_of(std::uint32_t id) { return Ref<SBase>(ptr_of(id)); }
  // A random object of `v` (the reachable lists of the last check), held; null
  // if `v` is empty or the object died meanwhile (user code ran since).
  Ref<SBase> pick(const std::vector<std::uint32_t>& v) {
    if (v.empty()) return nullptr;
    return ref_of(v[ch_.below(static_cast<std::uint32_t>(v.size()))]);
  }

  void op_new(bool rooted) {
    Kind k = random_kind();
    Mode m = kind_tracked(k) || k == kLeafFin ? random_mode() : kPlain;
    // Pick the holder first, and hold it: make() may run a collection.
    Ref<SBase> holder;
    if (!rooted) holder = pick(reach_tracked_);
    Ref<SBase> n = make_object(k, m);
    if (holder && alive(holder->id)) {
      link(holder.get(), n.get());
    } else {
      roots_.push_back(n);
    }
  }
  void link(SBase* from, SBase* to) {
    auto* node = static_cast<SNode*>(from);
    objs_[from->id].edges.push_back(to->id);
    node->edges.push_back(Ref<rcgc::Object>(Ref<SBase>(to)));
  }
  void op_link() {
    Ref<SBase> from = pick(reach_tracked_);
    Ref<SBase> to = pick(reach_);
    if (from && to) link(from.get(), to.get());
  }
  void op_unlink(bool replace) {
    Ref<SBase> from = pick(reach_tracked_);
    if (!from) return;
    auto& medges = objs_[from->id].edges;
    if (medges.empty()) return;
    std::size_t i = ch_.below(static_cast<std::uint32_t>(medges.size()));
    auto* node = static_cast<SNode*>(from.get());
    Ref<SBase> to = replace ? pick(reach_) : nullptr;
    if (to) {
      medges[i] = to->id;
      node->edges[i] = to;  // releases the old target: may run user code
    } else {
      medges.erase(medges.begin() + static_cast<std::ptrdiff_t>(i));
      Ref<rcgc::Object> tmp = std::move(node->edges[i]);
      node->edges.erase(node->edges.begin() + static_cast<std::ptrdiff_t>(i));
      tmp.reset();
    }
  }
  void op_clear_edges() {
    Ref<SBase> from = pick(reach_tracked_);
    if (!from) return;
    objs_[from->id].edges.clear();
    auto* node = static_cast<SNode*>(from.get());
    auto tmp = std::move(node->edges);
    node->edges.clear();
    tmp.clear();
  }
  void op_dup_root() {
    if (Ref<SBase> r = pick(reach_)) roots_.push_back(std::move(r));
  }
  std::shared_ptr<WeakState> weak_state(std::uint32_t target, bool cb, bool program) {
    auto st = std::make_shared<WeakState>();
    st->driver = this;
    st->target = target;
    st->has_cb = cb;
    st->program_held = program;
    st->mode = cb ? random_mode() : kPlain;
    return st;
  }
  static auto callback_of(std::shared_ptr<WeakState> st) {
    return [st](WeakRef<SBase>& w) { st->driver->on_callback(*st, w); };
  }
  void op_weakref(bool proxy) {
    if (weaks_.size() >= 64) return;
    Ref<SBase> t = pick(reach_);
    if (!t) return;
    bool cb = ch_.chance(60);
    auto st = weak_state(t->id, cb, true);
    WeakRec rec;
    rec.st = st;
    rec.is_proxy = proxy;
    if (proxy) {
      rec.proxy = cb ? rcgc::WeakProxy<SBase>(t, callback_of(st)) : rcgc::WeakProxy<SBase>(t);
      rec.w = rec.proxy.weakref();
      if (rec.proxy->id != t->id) fail("fresh proxy to %u gives %u", t->id, rec.proxy->id);
    } else {
      rec.w = cb ? WeakRef<SBase>(t, callback_of(st)) : WeakRef<SBase>(t);
      if (rec.w.lock() != t) fail("fresh weakref to %u does not lock to it", t->id);
    }
    weaks_.push_back(std::move(rec));
  }
  void op_drop_weakref() {
    if (weaks_.empty()) return;
    std::size_t i = ch_.below(static_cast<std::uint32_t>(weaks_.size()));
    WeakRec tmp = std::move(weaks_[i]);
    weaks_[i] = std::move(weaks_.back());
    weaks_.pop_back();
  }
  void op_weak_field() {
    Ref<SBase> from = pick(reach_tracked_);
    Ref<SBase> t = pick(reach_);
    if (!from || !t) return;
    bool cb = ch_.chance(50);
    auto st = weak_state(t->id, cb, false);
    WeakRef<SBase> w = cb ? WeakRef<SBase>(t, callback_of(st)) : WeakRef<SBase>(t);
    if (!alive(from->id)) return;
    static_cast<SNode*>(from.get())->weak_fields.push_back(std::move(w));
    ++objs_[from->id].nweak;
  }
  // A ring of k fresh objects, sometimes held, sometimes dropped at once.
  void op_ring() {
    std::uint32_t k = 1 + ch_.below(8);
    std::vector<Ref<SBase>> ring;
    for (std::uint32_t i = 0; i < k; ++i) {
      Kind kd = cfg_.finalizers ? static_cast<Kind>(ch_.below(3)) : kNode;
      ring.push_back(make_object(kd, random_mode()));
    }
    for (std::uint32_t i = 0; i < k; ++i) link(ring[i].get(), ring[(i + 1) % k].get());
    if (ch_.chance(30)) roots_.push_back(ring[0]);
    ring.clear();
  }
  // A deep chain (trashcan, no recursion in the collector), maybe a cycle.
  void op_deep() {
    std::uint32_t len = 200 + ch_.below(cfg_.data ? 1000 : 2000);
    Ref<SBase> head = make_object(kNode, kPlain);
    Ref<SBase> cur = head;
    for (std::uint32_t i = 1; i < len; ++i) {
      Ref<SBase> n = make_object(i % 97 == 0 && cfg_.finalizers ? kFin : kNode, kPlain);
      link(cur.get(), n.get());
      cur = std::move(n);
    }
    counts_.max_depth = std::max<std::uint64_t>(counts_.max_depth, len);
    if (ch_.chance(50)) link(cur.get(), head.get());
    cur.reset();
    if (ch_.chance(20)) {
      roots_.push_back(head);
      head.reset();
      // Check it whole, then let it go.
      check_reachable();
      drop_root(roots_.size() - 1);
    }
    head.reset();
  }
  void op_collect() {
    int g = static_cast<int>(ch_.below(3));
    if (g < 2) {
      gc::collect(g);
      return;
    }
    std::size_t garbage_before = gc::garbage().size();
    spoiled_ = false;
    mark_legacy_reachable();
    gc::collect(2);
    ++counts_.explicit_full;
    check_after_full(garbage_before);
    verify();
  }
  void op_settings() {
    switch (ch_.below(6)) {
      case 0:
      case 1: {
        static const int t0s[] = {0, 1, 2, 5, 10, 25, 50, 100, 700};
        int t0 = t0s[ch_.below(9)];
        gc::set_threshold(t0, 1 + static_cast<int>(ch_.below(10)),
                          1 + static_cast<int>(ch_.below(10)));
        break;
      }
      case 2:
        if (cfg_.automatic) gc::enable();
        break;
      case 3:
        gc::disable();
        break;
      case 4:
        if (ch_.chance(50)) {
          gc::freeze();
          ++counts_.freezes;
          frozen_since_ = step_;
          for (auto& [id, m] : objs_)
            if (kind_tracked(m.kind)) m.frozen = true;
        } else {
          gc::unfreeze();
          for (auto& [id, m] : objs_) m.frozen = false;
        }
        break;
      case 5:
        gc::set_debug(gc::get_debug() ^ gc::DEBUG_SAVEALL);
        saveall_since_ = step_;
        break;
    }
  }
  // Breaks the cycles in gc::garbage() by hand (as a user would), then
  // empties it.
  void op_break_garbage() {
    std::vector<Ref<rcgc::Object>> items(gc::garbage().begin(), gc::garbage().end());
    counts_.garbage_seen += items.size();
    gc::garbage().clear();
    for (auto& r : items) {
      auto* b = dynamic_cast<SNode*>(r.get());
      if (!b || !alive(b->id) || !ch_.chance(80)) continue;
      Ref<SBase> hold(b);
      objs_[b->id].edges.clear();
      auto tmp = std::move(b->edges);
      b->edges.clear();
      tmp.clear();
    }
    items.clear();
  }
  void op_inject() {
    if (!cfg_.inject_failures) return;
    rcgc::detail::Allocator& a = rcgc::detail::current_heap_state().alloc;
    long n = static_cast<long>(ch_.below(6));
    injecting_ = true;
    a.fail_after(n);
    try {
      Ref<SBase> holder = pick(reach_tracked_);
      for (int i = 0; i < 12; ++i) {
        switch (ch_.below(4)) {
          case 0: {
            Ref<SBase> x = make_object(random_kind(), random_mode());
            if (holder && alive(holder->id) && kind_tracked(holder->kind))
              link(holder.get(), x.get());
            else
              roots_.push_back(std::move(x));
            break;
          }
          case 1:
            op_ring();
            break;
          case 2:
            op_weakref(false);
            break;
          case 3:
            gc::collect(static_cast<int>(ch_.below(3)));
            break;
        }
      }
    } catch (const std::bad_alloc&) {
      ++counts_.injected_failures;
    }
    a.fail_after(-1);
    injecting_ = false;
  }
  void verify() {
    heap_->verify();
    ++counts_.verifies;
  }

  void step() {
    std::uint32_t op = ch_.below(1000);
    if (reach_.size() > cfg_.max_reachable && ch_.chance(60)) op = ch_.chance(70) ? 450 : 300;
    if (objs_.size() > 6 * cfg_.max_reachable + 8000 && !gc::isenabled()) op = 720;  // collect
    last_op_ = op;
    if (trace_) std::fprintf(stderr, "step %llu op %u\n", static_cast<unsigned long long>(step_), op);
    // Frozen objects and DEBUG_SAVEALL keep garbage: not for long.
    if (frozen_since_ && step_ - frozen_since_ > 150) {
      frozen_since_ = 0;
      gc::unfreeze();
      for (auto& [id, m] : objs_) m.frozen = false;
    }
    if ((gc::get_debug() & gc::DEBUG_SAVEALL) && step_ - saveall_since_ > 60) {
      gc::set_debug(gc::get_debug() & ~gc::DEBUG_SAVEALL);
      op = 820;  // op_break_garbage
    }
    if (op < 130) op_new(ch_.chance(50));
    else if (op < 300) op_link();
    else if (op < 400) op_unlink(false);
    else if (op < 450) op_unlink(true);
    else if (op < 560) { if (!roots_.empty()) drop_root(ch_.below(static_cast<std::uint32_t>(roots_.size()))); }
    else if (op < 600) op_dup_root();
    else if (op < 640) op_weakref(false);
    else if (op < 650) op_weakref(true);
    else if (op < 670) op_drop_weakref();
    else if (op < 690) op_weak_field();
    else if (op < 700) op_clear_edges();
    else if (op < 760) op_collect();
    else if (op < 800) op_ring();
    else if (op < 812) op_settings();
    else if (op < 830) op_break_garbage();
    else if (op < 832) { if (cfg_.deep && ch_.chance(25)) op_deep(); }
    else if (op < 845) op_inject();
    else if (op < 930) op_new(ch_.chance(30));
    else op_link();
  }

  void sabotage() {
    if (cfg_.sabotage == 1 && !reach_tracked_.empty()) {
      // An edge the model does not know.
      auto* n = static_cast<SNode*>(ptr_of(reach_tracked_.front()));
      n->edges.push_back(Ref<rcgc::Object>(Ref<SBase>(n)));
    } else if (cfg_.sabotage == 2) {
      // A reference the model does not know keeps an object alive.
      hidden_ = make_object(kNode, kPlain);
      spoiled_ = false;
      std::size_t garbage_before = gc::garbage().size();
      mark_legacy_reachable();
      gc::collect(2);
      check_after_full(garbage_before);
    }
  }

  void teardown();

  Config cfg_;
  Choice ch_;
  std::unique_ptr<rcgc::Heap> heap_;
  std::unordered_map<std::uint32_t, MObj> objs_;
  std::vector<Ref<SBase>> roots_;
  std::vector<WeakRec> weaks_;
  std::vector<std::uint32_t> reach_, reach_tracked_;
  std::vector<std::uint32_t> work_;
  std::unordered_set<std::uint32_t> missing_;
  std::uint64_t epoch_ = 0, reach_epoch_ = 0, exempt_epoch_ = 0;
  std::uint64_t frozen_since_ = 0, saveall_since_ = 0;
  Ref<SBase> hidden_;
  std::uint32_t next_id_ = 1;
  std::uint64_t step_ = 0;
  std::uint32_t last_op_ = 0;
  int in_collection_ = 0;
  bool spoiled_ = false;
  bool injecting_ = false;
  bool tearing_down_ = false;
  bool failed_ = false;
  bool trace_ = false;
  std::string failure_;
  Counts counts_;
};

// The driver user code reports to, per thread (the unraisable hook is
// process-wide; each thread runs its own driver on its own heap).
inline thread_local Driver* tls_driver = nullptr;

inline void install_unraisable_hook() {
  static std::once_flag once;
  std::call_once(once, [] {
    rcgc::set_unraisable_hook([](std::exception_ptr e, const std::string& where) {
      if (Driver* d = tls_driver) {
        d->on_unraisable(e, where);
      } else {
        std::fprintf(stderr, "Exception ignored in: %s\n", where.c_str());
      }
    });
  });
}

inline SBase::SBase(Driver* d, Kind k, Mode m)
    : magic(kMagic), driver(d), id(0), kind(k), mode(m) {
  d->on_create(this);
}
inline SBase::~SBase() {
  driver->on_destroy(this);
  magic = 0xDEADDEADDEADDEADull;
}
inline void SFin::finalize() { driver->on_finalize(this); }
inline void SLegacy::legacy_finalize() { driver->on_legacy_finalize(this); }
inline void SLeafFin::finalize() { driver->on_finalize(this); }

inline void Driver::teardown() {
  tearing_down_ = true;
  hidden_.reset();
  weaks_.clear();
  roots_.clear();
  gc::set_debug(0);
  gc::unfreeze();
  gc::enable();
  for (int round = 0; round < 50 && !objs_.empty(); ++round) {
    gc::collect();
    std::vector<Ref<rcgc::Object>> items(gc::garbage().begin(), gc::garbage().end());
    gc::garbage().clear();
    for (auto& r : items)
      if (auto* n = dynamic_cast<SNode*>(r.get())) {
        auto tmp = std::move(n->edges);
        n->edges.clear();
        tmp.clear();
        n->weak_fields.clear();
      }
    items.clear();
  }
  if (!objs_.empty()) {
    auto& [id, m] = *objs_.begin();
    return fail("%zu objects leaked at teardown (e.g. %s %u, count %u)", objs_.size(),
                kind_name(m.kind), id, m.ptr->refcount());
  }
  if (heap_->live_objects() != 0)
    return fail("Heap::live_objects() is %zu after every object died", heap_->live_objects());
  verify();
}

inline Result Driver::run() {
  install_unraisable_hook();
  Driver* prev_driver = tls_driver;
  tls_driver = this;
  heap_ = std::make_unique<rcgc::Heap>();
  Result result;
  {
    auto scope = heap_->enter();
    gc::CallbackId cb = gc::add_callback([this](gc::Phase phase, const gc::CollectInfo& info) {
      if (phase == gc::Phase::start) {
        ++in_collection_;
      } else {
        --in_collection_;
        ++counts_.collections[info.generation];
        counts_.collected += info.collected + info.uncollectable;
      }
    });
    if (cfg_.automatic) {
      gc::set_threshold(static_cast<int>(5 + ch_.below(40)), 3, 3);
      gc::enable();
    } else {
      gc::disable();
    }
    for (step_ = 0; step_ < cfg_.ops && !failed_ && !ch_.exhausted(); ++step_) {
      step();
      ++counts_.ops;
      if (failed_) break;
      if (cfg_.sabotage && step_ == cfg_.sabotage_step) sabotage();
      check_reachable();
      if (cfg_.verify_every > 0 && step_ % static_cast<std::uint64_t>(cfg_.verify_every) == 0)
        verify();
    }
    if (!failed_ || cfg_.sabotage) {
      // (A sabotaged run's heap is sound, only its model is wrong: clean up.)
      teardown();
    } else {
      // Keep the possibly corrupt state away from destructors: leak it.
      new std::vector<Ref<SBase>>(std::move(roots_));
      new std::vector<WeakRec>(std::move(weaks_));
      new Ref<SBase>(std::move(hidden_));
      tearing_down_ = true;
    }
    gc::remove_callback(cb);
  }
  if (!failed_ || cfg_.sabotage) {
    heap_.reset();
    if (!objs_.empty()) fail("%zu objects alive after the heap was destroyed", objs_.size());
  } else {
    (void)heap_.release();
  }
  tls_driver = prev_driver;
  result.ok = !failed_;
  result.failure = failure_;
  result.counts = counts_;
  return result;
}

// The fuzzer's reading of an input: byte 0 is the configuration, the rest
// drives the program.
inline Config config_from_bytes(const std::uint8_t* data, std::size_t size) {
  Config cfg;
  const std::uint8_t flags = size ? data[0] : 0;
  cfg.automatic = (flags & 1) != 0;
  cfg.finalizers = (flags & 2) == 0;
  cfg.inject_failures = (flags & 4) == 0;
  cfg.deep = (flags & 8) != 0;
  cfg.max_reachable = 16 + static_cast<std::size_t>(flags >> 4) * 8;
  cfg.verify_every = 8;
  cfg.data = size ? data + 1 : data;
  cfg.size = size ? size - 1 : 0;
  cfg.ops = 1u << 20;  // until the bytes run out
  return cfg;
}

inline Result run(const Config& cfg) {
  Driver d(cfg);
  return d.run();
}

}  // namespace rcgc_stress
