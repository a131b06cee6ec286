// rcgc: immortal objects (PEP 683) and string interning.
#pragma once

#include <string>
#include <string_view>

#include "rcgc/make.hpp"

namespace rcgc {

// Makes `op` immortal: from now on reference operations leave its count
// unchanged, it is never freed while its heap lives, and the collector no
// longer tracks or scans it. Its heap frees it when the heap is destroyed.
void make_immortal(Object* op);
template <class T>
void make_immortal(const Ref<T>& r) {
  make_immortal(static_cast<Object*>(r.get()));
}
bool is_immortal(const Object* op) noexcept;
template <class T>
bool is_immortal(const Ref<T>& r) noexcept {
  return is_immortal(static_cast<const Object*>(r.get()));
}

// An immutable string object (untracked: it holds no references).
class Str : public Object {
 public:
  explicit Str(std::string_view s) : value_(s) {}
  const std::string& value() const noexcept { return value_; }
  std::string type_name() const override { return "str"; }

 private:
  std::string value_;
};

// sys.intern: one shared, immortal Str per distinct string in the current
// heap, so interned strings compare equal by identity.
Ref<Str> intern(std::string_view s);

}  // namespace rcgc
