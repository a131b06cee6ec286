// Heap::verify(): the expensive consistency check (debug level 3 runs it
// after every collection in tests; users may call it any time).
#include <unordered_map>

#include "rcgc/heap.hpp"

namespace rcgc {
namespace {

using detail::GcHead;
using detail::GcList;
using A = detail::ObjectAccess;

struct CountVisitor : Visitor {
  std::unordered_map<const Object*, std::size_t>* internal;
  explicit CountVisitor(std::unordered_map<const Object*, std::size_t>& m)
      : Visitor(&visit), internal(&m) {}
  static void visit(Visitor& base, Object* op) {
    auto& self = static_cast<CountVisitor&>(base);
    if (auto it = self.internal->find(op); it != self.internal->end()) ++it->second;
  }
};

void verify_list(const GcList& list, std::uint16_t heap_id, std::uint16_t gen,
                 std::unordered_map<const Object*, std::size_t>& seen) {
  const GcHead* head = &list.head;
  for (GcHead* gc = list.head.next; gc != head; gc = gc->next) {
    Object* op = detail::from_gc(gc);
    RCGC_CHECK(gc->next->prev() == gc && gc->prev()->next == gc,
               "verify: broken generation list at %p", static_cast<void*>(op));
    RCGC_CHECK(detail::has_flag(op, detail::kLinked | detail::kTracked),
               "verify: object %p in a generation list is not marked tracked",
               static_cast<void*>(op));
    RCGC_CHECK(!detail::has_flag(op, detail::kCollectorFlags),
               "verify: object %p has collector flags outside a collection",
               static_cast<void*>(op));
    RCGC_CHECK(A::heap(op) == heap_id, "verify: object %p of heap %u is listed in heap %u",
               static_cast<void*>(op), A::heap(op), heap_id);
    RCGC_CHECK(A::refcnt(op) > 0 && !op->is_immortal(),
               "verify: tracked object %p has count %u", static_cast<void*>(op),
               A::refcnt(op));
    RCGC_CHECK(seen.emplace(op, 0).second, "verify: object %p is listed twice",
               static_cast<void*>(op));
    std::uint16_t bits = (A::flags(op) & detail::kGenMask) >> detail::kGenShift;
    RCGC_CHECK(bits == gen, "verify: object %p in generation %u is stamped %u",
               static_cast<void*>(op), static_cast<unsigned>(gen), static_cast<unsigned>(bits));
  }
}

}  // namespace

void Heap::verify() const {
  detail::HeapState& h = *state_;
  std::unordered_map<const Object*, std::size_t> internal;
  for (std::uint16_t g = 0; g < gc::kNumGenerations; ++g)
    verify_list(h.gens[g].list, h.id, g, internal);
  verify_list(h.permanent, h.id, detail::kPermanentGen, internal);
  // No object may be referenced by more tracked objects than its count says.
  CountVisitor v(internal);
  for (auto& [op, n] : internal) op->traverse(v);
  for (auto& [op, n] : internal)
    RCGC_CHECK(n <= A::refcnt(op),
               "verify: object %p (type %s) has count %u but %zu references from tracked "
               "objects: a reference was released twice",
               static_cast<const void*>(op), typeid(*op).name(), A::refcnt(op), n);
  h.alloc.verify();
}

}  // namespace rcgc
