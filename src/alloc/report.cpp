// rcgc allocator: non-allocating failure reports (see report.hpp).
#include "alloc/report.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

namespace rcgc::detail {

Report& Report::text(const char* s) noexcept {
  while (s != nullptr && *s != '\0') put(*s++);
  return *this;
}

Report& Report::dec(std::uint64_t v) noexcept {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) put(tmp[--n]);
  return *this;
}

Report& Report::hex(std::uint64_t v) noexcept {
  text("0x");
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  while (n > 0) put(tmp[--n]);
  return *this;
}

Report& Report::byte(unsigned char b) noexcept {
  put("0123456789abcdef"[b >> 4]);
  put("0123456789abcdef"[b & 15]);
  return *this;
}

// dladdr only reads the loader's tables; it does not call malloc.
Report& Report::symbol(const void* code) noexcept {
  Dl_info info;
  if (code == nullptr || ::dladdr(code, &info) == 0) return *this;
  text(" (");
  if (info.dli_sname != nullptr) {
    text(info.dli_sname).text("+");
    hex(reinterpret_cast<std::uintptr_t>(code) -
        reinterpret_cast<std::uintptr_t>(info.dli_saddr));
    text(" ");
  }
  text("in ").text(info.dli_fname != nullptr ? info.dli_fname : "?").text(")");
  return *this;
}

void Report::flush() noexcept {
  std::size_t done = 0;
  while (done < len_) {
    ssize_t n = ::write(2, buf_ + done, len_ - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  len_ = 0;
}

void Report::abort() noexcept {
  flush();
  std::abort();
}

}  // namespace rcgc::detail
