// rcgc::memory_profiler (include/rcgc/memory_profiler.hpp; docs/design.md,
// "Seeing memory").
#include "rcgc/memory_profiler.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <vector>

#include "alloc/allocator_impl.hpp"
#include "rcgc/detail/heap_state.hpp"

namespace rcgc::memory_profiler {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// The resident set size in bytes (/proc/self/statm's second field, pages).
double rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE))
                  : 0;
}

// The high-water mark of the resident set (VmHWM), in MiB; 0 if unknown.
double hwm_mib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kib = std::strtod(line + 6, nullptr);
      break;
    }
  }
  std::fclose(f);
  return kib / 1024.0;
}

// Resets the high-water mark to the current RSS (Linux 4.0 and later).
bool reset_hwm() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

std::size_t heap_pool_bytes() {
  detail::AllocStats s;
  detail::current_heap_state().alloc.impl()->collect_stats(s);
  return s.pools.bytes_in_use;
}

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string mib(double v, bool sign = false) {
  char buf[48];
  std::snprintf(buf, sizeof buf, sign ? "%+.1f MiB" : "%.1f MiB", v);
  return buf;
}

}  // namespace

// The open scopes of the process (RSS is the process's): a scope that opens
// resets the high-water mark, so it first raises every open scope's peak
// to the mark.
struct ScopeRegistry {
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<Scope*>& open() {
    static std::vector<Scope*> v;
    return v;
  }
  static void fold_mark_into_open_scopes() {
    const double mark = hwm_mib();
    for (Scope* s : open()) s->peak_mib_ = std::max(s->peak_mib_, mark);
  }
};

double memory_usage() { return rss_bytes() / kMiB; }

std::ostream* Scope::default_stream() noexcept { return &std::cerr; }

Scope::Scope(std::string name, std::ostream* out, mem::SourceSite where) : out_(out) {
  std::lock_guard<std::mutex> lock(ScopeRegistry::mutex());
  ScopeRegistry::fold_mark_into_open_scopes();
  start_.name = std::move(name);
  start_.where = where;
  start_.peak_in_scope = reset_hwm();
  start_.before_mib = memory_usage();
  start_.heap_bytes_before = heap_pool_bytes();
  start_.objects_before = detail::current_heap_state().live_objects;
  peak_mib_ = start_.before_mib;
  ScopeRegistry::open().push_back(this);
  started_ns_ = now_ns();
}

Scope::~Scope() {
  if (!open_) return;
  try {
    finish();
  } catch (...) {
    // A report that could not be printed (a stream that throws) is lost;
    // a destructor must not throw.
  }
}

Report Scope::measure() const {
  Report r = start_;
  r.seconds = static_cast<double>(now_ns() - started_ns_) * 1e-9;
  r.after_mib = memory_usage();
  r.peak_mib = std::max({peak_mib_, hwm_mib(), r.after_mib, r.before_mib});
  r.heap_bytes_after = heap_pool_bytes();
  r.objects_after = detail::current_heap_state().live_objects;
  return r;
}

Report Scope::report() const {
  std::lock_guard<std::mutex> lock(ScopeRegistry::mutex());
  return measure();
}

Report Scope::finish() {
  Report r;
  {
    std::lock_guard<std::mutex> lock(ScopeRegistry::mutex());
    // Out of the registry first (erasing a pointer cannot throw): measure()
    // may throw, and no scope that is gone may stay listed.
    if (open_) {
      auto& v = ScopeRegistry::open();
      v.erase(std::remove(v.begin(), v.end(), this), v.end());
      open_ = false;
    }
    r = measure();
  }
  if (out_ != nullptr) *out_ << r.to_string() << std::flush;
  out_ = nullptr;  // printed once
  return r;
}

std::string Report::to_string() const {
  std::string s = "memory_profiler: " + name;
  if (where.file != nullptr) s += " (" + std::string(where.file) + ":" + std::to_string(where.line) + ")";
  char secs[32];
  std::snprintf(secs, sizeof secs, ", %.3f s", seconds);
  s += secs;
  s += "\n  RSS: before " + mib(before_mib) + ", after " + mib(after_mib) + " (increment " +
       mib(increment_mib(), true) + "), peak " + mib(peak_mib);
  if (!peak_in_scope) s += " (since the process started: the mark could not be reset)";
  s += "\n  heap: " + mib(static_cast<double>(heap_bytes_before) / kMiB) + " in pool blocks, " +
       std::to_string(objects_before) + " objects -> " +
       mib(static_cast<double>(heap_bytes_after) / kMiB) + ", " + std::to_string(objects_after) +
       " objects\n";
  return s;
}

}  // namespace rcgc::memory_profiler
