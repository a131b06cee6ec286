// Weak references: the per-object weakref lists and their clearing.
//
// Each target with weak references has a doubly-linked list of its
// WeakRefObjects; the heap's `weaklists` table maps the target to the head.
// Order: callback-less ("basic") refs first, then the others, newest first,
// so callbacks run newest-first as in CPython.
#include <exception>
#include <string>
#include <vector>

#include "core/describe.hpp"
#include "rcgc/weakref.hpp"

namespace rcgc::detail {

WeakRefObject::~WeakRefObject() { clear_target(); }

void WeakRefObject::clear_target() noexcept {
  if (!target_) return;
  HeapState& h = heap_of(target_);
  auto it = h.weaklists.find(target_);
  RCGC_DCHECK(it != h.weaklists.end());
  if (wr_prev_)
    wr_prev_->wr_next_ = wr_next_;
  else
    it->second = wr_next_;
  if (wr_next_) wr_next_->wr_prev_ = wr_prev_;
  if (it->second == nullptr) {
    h.weaklists.erase(it);
    clear_flag(target_, kHasWeakrefs);
  }
  wr_prev_ = wr_next_ = nullptr;
  target_ = nullptr;
}

void WeakRefObject::run_callback() noexcept {
  Callback cb = std::move(callback_);
  callback_ = nullptr;
  if (!cb) return;
  try {
    cb(*this);
  } catch (...) {
    write_unraisable(std::current_exception(), "the callback of " + describe(this));
  }
}

namespace {
bool is_basic(const WeakRefObject* p) { return p && !p->has_callback(); }
}  // namespace

Ref<WeakRefObject> new_weakref(Object* target, WeakRefObject::Callback cb, WeakKind kind) {
  RCGC_CHECK(has_flag(target, kMadeByHeap),
             "weak reference to %p (type %s), which was not made by rcgc::make",
             static_cast<void*>(target), typeid(*target).name());
  HeapState& h = heap_of(target);
  if (!cb && has_flag(target, kHasWeakrefs)) {
    // The basic weakrefs lead the list: at most one ref, then one proxy.
    for (WeakRefObject* p = h.weaklists.at(target); is_basic(p); p = p->wr_next_)
      if (p->kind() == kind) return Ref<WeakRefObject>(p);
  }
  // make_in may run a collection, which edits the table: look up after it.
  Ref<WeakRefObject> wr = make_in<WeakRefObject>(h, target, std::move(cb), kind);
  set_flag(wr.get(), kTypeHook);  // garbage code asks typeid (is_weakref_object)
  WeakRefObject*& head = h.weaklists[target];
  set_flag(target, kHasWeakrefs);
  // CPython's order: basic ref, basic proxy, then the others newest first.
  WeakRefObject* after = nullptr;  // insert at the head by default
  if (wr->has_callback() || kind == WeakKind::proxy) {
    for (WeakRefObject* p = head; is_basic(p); p = p->wr_next_) {
      if (!wr->has_callback() && p->kind() == WeakKind::proxy) break;
      after = p;
    }
  }
  if (after) {
    wr->wr_prev_ = after;
    wr->wr_next_ = after->wr_next_;
    if (after->wr_next_) after->wr_next_->wr_prev_ = wr.get();
    after->wr_next_ = wr.get();
  } else {
    wr->wr_next_ = head;
    if (head) head->wr_prev_ = wr.get();
    head = wr.get();
  }
  return wr;
}

std::size_t weakref_count(const Object* op) {
  if (!op || !has_flag(op, kHasWeakrefs)) return 0;
  std::size_t n = 0;
  for (WeakRefObject* p = heap_of(op).weaklists.at(op); p; p = p->wr_next_) ++n;
  return n;
}

void HeapState::clear_weakrefs_at_death(Object* op) noexcept {
  // Clear them all before any callback runs; keep the weakrefs with
  // callbacks alive until theirs has run.
  std::vector<Ref<WeakRefObject>> pending;
  for (auto it = weaklists.find(op); it != weaklists.end(); it = weaklists.find(op)) {
    WeakRefObject* wr = it->second;
    if (wr->has_callback()) {
      try {
        pending.emplace_back(wr);
      } catch (...) {
        // Out of memory: this callback is lost, the weakref is still cleared.
      }
    }
    wr->clear_target();
  }
  clear_flag(op, kHasWeakrefs);
  for (auto& wr : pending) wr->run_callback();
}

}  // namespace rcgc::detail
