// rcgc allocator: failure reports that never allocate (a fixed buffer,
// written with write(2)), for the debug hooks and fatal errors.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rcgc::detail {

class Report {
 public:
  Report& text(const char* s) noexcept;
  Report& dec(std::uint64_t v) noexcept;
  Report& hex(std::uint64_t v) noexcept;  // 0x...
  Report& ptr(const void* p) noexcept { return hex(reinterpret_cast<std::uintptr_t>(p)); }
  Report& byte(unsigned char b) noexcept;  // two hex digits
  Report& symbol(const void* code) noexcept;  // " (name+0x12 in libfoo.so)" if known
  void flush() noexcept;                      // to stderr, then empties
  [[noreturn]] void abort() noexcept;         // flush + std::abort()

 private:
  void put(char c) noexcept {
    if (len_ < sizeof buf_) buf_[len_++] = c;
  }
  char buf_[2048];
  std::size_t len_ = 0;
};

}  // namespace rcgc::detail
