// Immortal objects (PEP 683) and interned strings.
#include "rcgc/immortal.hpp"

namespace rcgc {

void make_immortal(Object* op) {
  if (!op || op->is_immortal()) return;
  detail::HeapState& h = detail::heap_of(op);
  h.immortals.push_back(op);
  h.untrack(op);
  detail::ObjectAccess::refcnt(op) = detail::kImmortal;
}

bool is_immortal(const Object* op) noexcept { return op && op->is_immortal(); }

Ref<Str> intern(std::string_view s) {
  detail::HeapState& h = detail::current_heap_state();
  std::string key(s);
  if (auto it = h.interned.find(key); it != h.interned.end())
    return Ref<Str>(static_cast<Str*>(it->second));
  Ref<Str> str = detail::make_in<Str>(h, s);
  h.interned.emplace(std::move(key), str.get());
  make_immortal(str);
  return str;
}

}  // namespace rcgc
