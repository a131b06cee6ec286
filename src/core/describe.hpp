// Human-readable names for messages.
#pragma once

#include <string>

#include "rcgc/object.hpp"

namespace rcgc::detail {

// The demangled form of a typeid name.
std::string demangle(const char* mangled);
// "<Type object at 0x...>", like Python's default repr.
std::string describe(const Object* op);

}  // namespace rcgc::detail
