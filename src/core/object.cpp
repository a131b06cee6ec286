// Object's default hooks, type names, the fatal-error handler.
#include <cxxabi.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "rcgc/make.hpp"
#include "rcgc/object.hpp"
#include "core/describe.hpp"

namespace rcgc {

namespace {
// A visitor that resets every reference it is shown (see Object::clear).
class ClearingVisitor : public Visitor {
 public:
  ClearingVisitor() noexcept : Visitor(nullptr, Mode::clear) {}
};
}  // namespace

void Object::traverse(Visitor&) const {}

void Object::clear() {
  ClearingVisitor v;
  traverse(v);
}

std::string Object::type_name() const { return detail::demangle(typeid(*this).name()); }

namespace detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(mangled);
}

std::string describe(const Object* op) {
  char addr[32];
  std::snprintf(addr, sizeof addr, "%p", static_cast<const void*>(op));
  // Built by appending: GCC 12 warns (-Wrestrict, a false positive) about
  // `"<" + std::string&&` at -O2.
  std::string out(1, '<');
  out.append(op->type_name()).append(" object at ").append(addr).append(1, '>');
  return out;
}

void fatal(const char* fmt, ...) noexcept {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "rcgc: fatal: %s\n", buf);
  std::fflush(stderr);
  std::abort();
}

void fatal_base_offset(const char* type_name) noexcept {
  fatal("make<%s>: rcgc::Object is not at offset 0 of the type; derive from "
        "rcgc::Object first (before other polymorphic bases)",
        type_name);
}


void fatal_fixed_referent(const char* type_name) noexcept {
  fatal("make_fixed<%s>: the new object references a tracked object (or one of another heap) "
        "that none of its arguments held, or its references_fixed() answers false; it was made "
        "without the GC header a tracked object needs. Give its constructor the references it "
        "keeps, or make it with make<T>",
        type_name);
}

void fatal_freed(const Object* op) noexcept {
  fatal("a reference to %p was used after the object was freed (a reference was released "
        "more often than taken, or a raw pointer outlived its object)",
        static_cast<const void*>(op));
}

}  // namespace detail
}  // namespace rcgc
