// rcgc::tracemalloc (include/rcgc/tracemalloc.hpp; docs/design.md, "Seeing
// memory"): the trace table the allocator's slow paths fill while tracing,
// snapshots, and the symbolizer that turns return addresses into lines.
#include "rcgc/tracemalloc.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "alloc/options.hpp"
#include "rcgc/detail/allocator.hpp"
#include "tools/run.hpp"

namespace rcgc::tracemalloc {
namespace {

// A frame as recorded: a source line (rcgc::mem's SourceSite) or a return
// address, resolved only for snapshots.
struct RawFrame {
  const void* pc = nullptr;
  const char* file = nullptr;
  unsigned line = 0;
  bool operator==(const RawFrame&) const = default;
};
using RawFrames = std::vector<RawFrame>;
using RawTb = std::shared_ptr<const RawFrames>;

struct RawTbHash {
  std::size_t operator()(const RawTb& t) const noexcept {
    std::size_t h = t->size();
    for (const RawFrame& f : *t) {
      h = h * 1000003u ^ std::hash<const void*>()(f.pc);
      h = h * 1000003u ^ std::hash<const void*>()(f.file) ^ f.line;
    }
    return h;
  }
};
struct RawTbEq {
  bool operator()(const RawTb& a, const RawTb& b) const noexcept { return *a == *b; }
};

// Frames unwound past the allocation's own caller, beyond the limit: room
// for rcgc's frames (a make<T> the compiler did not inline), skipped when
// resolved.
constexpr int kSpareFrames = 8;
constexpr int kMaxFrames = 64;

struct Traced {
  std::size_t size;
  RawTb tb;  // interned: one per distinct site
};

// Never destroyed: blocks are freed during static destruction too.
struct State {
  std::mutex mutex;
  std::atomic<int> nframe{1};
  std::unordered_map<const void*, Traced> traces;
  std::unordered_set<RawTb, RawTbHash, RawTbEq> tracebacks;  // interned
  std::size_t current = 0, peak = 0;
  std::uint64_t epoch = 0;  // clear_traces() calls: tracebacks older are gone
};
State& state() {
  static auto* s = new State;
  return *s;
}

// ---- symbolizing ------------------------------------------------------------

struct SymFrame {
  std::string function;  // "??" when unknown
  std::string file;      // empty when unknown
  unsigned line = 0;
};

// Whether a resolved frame is rcgc's own allocation machinery.
bool is_rcgc_frame(const SymFrame& f) {
  return f.function.rfind("rcgc::", 0) == 0 || f.file.find("/include/rcgc/") != std::string::npos;
}

// Whether the ELF file at `path` is position independent (its addresses
// are offsets from where it is loaded) rather than a fixed executable.
bool position_independent(const std::string& path) {
  unsigned char header[18] = {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  const ssize_t got = ::read(fd, header, sizeof header);
  ::close(fd);
  return got != static_cast<ssize_t>(sizeof header) || header[16] != 2;  // ET_EXEC
}

// addr2line -a output: per address, its line "0x...", then a function line
// and a "file:line" line per frame, innermost first (-i: inlined frames).
std::vector<std::vector<SymFrame>> parse_addr2line(const std::string& text) {
  std::vector<std::vector<SymFrame>> out;
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.emplace_back(text, pos, nl - pos);
    pos = nl + 1;
  }
  for (std::size_t i = 0; i < lines.size();) {
    if (lines[i].rfind("0x", 0) == 0) {
      out.emplace_back();
      ++i;
      continue;
    }
    if (out.empty() || i + 1 >= lines.size()) break;
    SymFrame f;
    f.function = lines[i];
    std::string where = lines[i + 1];
    if (auto sp = where.find(" ("); sp != std::string::npos) where.resize(sp);  // discriminator
    const std::size_t colon = where.rfind(':');
    if (colon != std::string::npos && where.compare(0, 2, "??") != 0) {
      f.file = where.substr(0, colon);
      f.line = static_cast<unsigned>(std::strtoul(where.c_str() + colon + 1, nullptr, 10));
    }
    out.back().push_back(std::move(f));
    i += 2;
  }
  return out;
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("/proc/self/exe");
}

std::string hex(std::uintptr_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%zx", static_cast<std::size_t>(v));
  return buf;
}

// Resolves return addresses to their frames (innermost first), each
// module's in one run of addr2line; without it, from the symbol table.
class Symbolizer {
 public:
  const std::vector<SymFrame>& frames(const void* pc) const { return resolved_.at(pc); }

  void resolve(const std::vector<const void*>& pcs) {
    struct Module {
      std::vector<const void*> pcs;
      std::uintptr_t base = 0;
    };
    std::map<std::string, Module> modules;
    for (const void* pc : pcs) {
      if (resolved_.count(pc)) continue;
      Dl_info info{};
      const void* at = static_cast<const char*>(pc) - 1;  // the call, not the return
      if (::dladdr(at, &info) == 0 || info.dli_fname == nullptr) {
        resolved_[pc] = {SymFrame{"??", "", 0}};
        continue;
      }
      // The program itself: dladdr names it by argv[0], which may be
      // relative or found through PATH; its real path comes from
      // /proc/self/exe, read here (in addr2line that link names addr2line).
      std::string path = info.dli_fname;
      if (path.empty() || path == program_invocation_name) path = self_exe();
      auto& m = modules[path];
      m.base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
      m.pcs.push_back(pc);
      // The fallback: the symbol and the module's offset.
      std::string name = path.substr(path.rfind('/') + 1);
      std::string function = info.dli_sname ? info.dli_sname : "??";
      if (info.dli_sname) {
        int status = 0;
        char* d = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
        if (d) {
          function = d;
          std::free(d);
        }
      }
      resolved_[pc] = {SymFrame{function + " (" + name + "+" +
                                    hex(reinterpret_cast<std::uintptr_t>(at) - m.base) + ")",
                                "", 0}};
    }
    for (auto& [path, m] : modules) {
      const bool pic = position_independent(path);
      for (std::size_t i = 0; i < m.pcs.size(); i += 256) {
        const std::size_t n = std::min<std::size_t>(256, m.pcs.size() - i);
        std::vector<std::string> args{"addr2line", "-C", "-f", "-i", "-a", "-e", path};
        for (std::size_t k = 0; k < n; ++k) {
          auto at = reinterpret_cast<std::uintptr_t>(m.pcs[i + k]) - 1;
          args.push_back(hex(pic ? at - m.base : at));
        }
        std::string text;
        if (!tools::run(std::move(args), &text, /*quiet=*/true).ok()) continue;
        auto parsed = parse_addr2line(text);
        if (parsed.size() != n) continue;
        for (std::size_t k = 0; k < n; ++k) {
          auto& chain = parsed[k];
          const bool useful = std::any_of(chain.begin(), chain.end(), [](const SymFrame& f) {
            return !f.file.empty() || f.function != "??";
          });
          if (!useful) continue;
          // A frame without a file keeps the fallback's name (which says
          // where in the module), unless addr2line named its function.
          for (auto& f : chain)
            if (f.file.empty() && f.function == "??") f.function = resolved_[m.pcs[i + k]][0].function;
          resolved_[m.pcs[i + k]] = std::move(chain);
        }
      }
    }
  }

 private:
  std::unordered_map<const void*, std::vector<SymFrame>> resolved_;
};

Frame to_frame(const SymFrame& f) {
  if (!f.file.empty()) return Frame{f.file, f.line};
  return Frame{f.function, 0};
}

// A recorded traceback as the user sees it: the `limit` most recent frames,
// rcgc's own innermost frames (the allocation machinery) skipped, oldest
// first (Python's order).
Traceback resolve_one(const RawFrames& raw, const Symbolizer& sym, int limit) {
  Traceback out;
  bool user_seen = false;
  for (const RawFrame& r : raw) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (r.file != nullptr) {
      out.push_back(Frame{r.file, r.line});
      user_seen = true;
      continue;
    }
    for (const SymFrame& f : sym.frames(r.pc)) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (!user_seen && is_rcgc_frame(f)) continue;
      user_seen = true;
      out.push_back(to_frame(f));
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Resolves many recorded tracebacks at once (one addr2line run per module).
std::unordered_map<const RawFrames*, std::shared_ptr<const Traceback>> resolve_all(
    const std::vector<RawTb>& tbs, int limit) {
  std::vector<const void*> pcs;
  std::unordered_set<const void*> seen;
  for (const RawTb& t : tbs)
    for (const RawFrame& f : *t)
      if (f.file == nullptr && f.pc != nullptr && seen.insert(f.pc).second) pcs.push_back(f.pc);
  Symbolizer sym;
  sym.resolve(pcs);
  std::unordered_map<const RawFrames*, std::shared_ptr<const Traceback>> out;
  for (const RawTb& t : tbs)
    if (!out.count(t.get()))
      out.emplace(t.get(), std::make_shared<const Traceback>(resolve_one(*t, sym, limit)));
  return out;
}

}  // namespace
}  // namespace rcgc::tracemalloc

// ---- the allocator's hooks (src/alloc/options.hpp) ----------------------------

namespace rcgc::detail {

void trace_allocation(void* p, std::size_t n, const AllocSite& site) noexcept {
  if (p == nullptr) return;
  auto& st = tracemalloc::state();
  const int nframe = st.nframe.load(std::memory_order_relaxed);
  tracemalloc::RawFrames frames;
  try {
    if (site.file != nullptr) frames.push_back({nullptr, site.file, site.line});
    else if (site.caller != nullptr) frames.push_back({site.caller, nullptr, 0});
    // Deeper frames: past the caller's, unwound (for a line of rcgc::mem
    // alone, not needed).
    if (site.caller != nullptr && (site.file == nullptr || nframe > 1)) {
      void* buf[tracemalloc::kMaxFrames + tracemalloc::kSpareFrames + 16];
      const int want = std::min(nframe + tracemalloc::kSpareFrames + 16,
                                static_cast<int>(std::size(buf)));
      const int got = ::backtrace(buf, want);
      int i = 0;
      while (i < got && buf[i] != site.caller) ++i;
      for (++i; i < got && static_cast<int>(frames.size()) < nframe + tracemalloc::kSpareFrames;
           ++i)
        frames.push_back({buf[i], nullptr, 0});
    }
    std::lock_guard lock(st.mutex);
    if (!g_tracing.load(std::memory_order_relaxed)) return;  // stopped meanwhile
    // Looked up through a pointer that owns nothing; copied only when new.
    auto interned = st.tracebacks.find(tracemalloc::RawTb(tracemalloc::RawTb(), &frames));
    if (interned == st.tracebacks.end())
      interned = st.tracebacks.insert(
          std::make_shared<const tracemalloc::RawFrames>(std::move(frames))).first;
    tracemalloc::Traced traced{n, *interned};
    auto [it, fresh] = st.traces.try_emplace(p, traced);
    if (!fresh) {  // a block not seen freed (allocated before a clear): replaced
      st.current -= it->second.size;
      it->second = std::move(traced);
    }
    st.current += n;
    st.peak = std::max(st.peak, st.current);
  } catch (...) {
    // Out of memory for the trace itself: the block goes untraced (as
    // CPython's tracemalloc, which then fails the allocation, cannot do
    // here: the allocation has succeeded).
  }
}

TraceEntry trace_free(void* p) noexcept {
  auto& st = tracemalloc::state();
  std::lock_guard lock(st.mutex);
  auto it = st.traces.find(p);
  if (it == st.traces.end()) return {};
  TraceEntry entry{it->second.size, std::move(it->second.tb), st.epoch};
  st.current -= entry.size;
  st.traces.erase(it);
  return entry;
}

void trace_restore(void* p, const TraceEntry& entry) noexcept {
  if (entry.size == 0) return;
  auto& st = tracemalloc::state();
  std::lock_guard lock(st.mutex);
  // Cleared (or stopped) meanwhile: the block was allocated before, and
  // is not traced.
  if (!g_tracing.load(std::memory_order_relaxed) || entry.epoch != st.epoch) return;
  try {
    st.traces.insert_or_assign(
        p, tracemalloc::Traced{entry.size, std::static_pointer_cast<const tracemalloc::RawFrames>(
                                               entry.traceback)});
    st.current += entry.size;
    st.peak = std::max(st.peak, st.current);
  } catch (...) {
    // Out of memory for the table: the block goes untraced.
  }
}

}  // namespace rcgc::detail

// ---- the public API -----------------------------------------------------------

namespace rcgc::tracemalloc {

void start(int nframe) {
  if (nframe < 1 || nframe > kMaxFrames)
    throw std::invalid_argument("tracemalloc::start: the number of frames must be in 1.." +
                                std::to_string(kMaxFrames));
  if (is_tracing()) return;  // as CPython: the frame limit stays
  state().nframe.store(nframe, std::memory_order_relaxed);
  detail::set_tracing(true);
}

void stop() {
  detail::set_tracing(false);
  clear_traces();
}

bool is_tracing() noexcept { return detail::g_tracing.load(std::memory_order_relaxed); }

int get_traceback_limit() noexcept { return state().nframe.load(std::memory_order_relaxed); }

void clear_traces() {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  st.traces.clear();
  st.tracebacks.clear();
  st.current = st.peak = 0;
  ++st.epoch;
}

std::pair<std::size_t, std::size_t> get_traced_memory() {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  return {st.current, st.peak};
}

void reset_peak() {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  st.peak = st.current;
}

std::size_t get_tracemalloc_memory() {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  // An estimate: the tables' buckets and nodes, and the interned frames.
  std::size_t bytes = sizeof(State);
  bytes += st.traces.bucket_count() * sizeof(void*);
  bytes += st.traces.size() * (sizeof(std::pair<const void*, Traced>) + 2 * sizeof(void*));
  bytes += st.tracebacks.bucket_count() * sizeof(void*);
  for (const RawTb& t : st.tracebacks)
    bytes += 4 * sizeof(void*) + sizeof(RawFrames) + t->capacity() * sizeof(RawFrame);
  return bytes;
}

std::vector<Traceback> get_object_tracebacks(const std::vector<const Object*>& objs) {
  std::vector<RawTb> raw(objs.size());
  int limit;
  {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    for (std::size_t i = 0; i < objs.size(); ++i) {
      const Object* op = objs[i];
      if (op == nullptr) continue;
      // A tracked type's block starts at its GC header.
      const void* block = detail::has_flag(op, detail::kTracked)
                              ? static_cast<const void*>(detail::as_gc(op))
                              : static_cast<const void*>(op);
      if (auto it = st.traces.find(block); it != st.traces.end()) raw[i] = it->second.tb;
    }
    limit = st.nframe.load(std::memory_order_relaxed);
  }
  std::vector<RawTb> found;
  for (const RawTb& t : raw)
    if (t) found.push_back(t);
  auto resolved = resolve_all(found, limit);  // one addr2line run per module
  std::vector<Traceback> out(objs.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    if (raw[i]) out[i] = *resolved.at(raw[i].get());
  return out;
}

Traceback get_object_traceback(const Object* op) {
  return std::move(get_object_tracebacks({op}).front());
}

Snapshot take_snapshot() {
  if (!is_tracing())
    throw std::runtime_error(
        "tracemalloc: tracing must be on to take a snapshot (tracemalloc::start())");
  std::vector<Traced> raw;
  Snapshot snap;
  {
    auto& st = state();
    std::lock_guard lock(st.mutex);
    raw.reserve(st.traces.size());
    for (const auto& [p, t] : st.traces) raw.push_back(t);
    snap.limit_ = st.nframe.load(std::memory_order_relaxed);
  }
  std::vector<RawTb> tbs;
  for (const Traced& t : raw) tbs.push_back(t.tb);
  auto resolved = resolve_all(tbs, snap.limit_);
  snap.traces_.reserve(raw.size());
  for (const Traced& t : raw) snap.traces_.push_back(Trace{t.size, resolved.at(t.tb.get())});
  return snap;
}

// ---- statistics ---------------------------------------------------------------

namespace {

enum class Key { filename, lineno, traceback };

Key parse_key(const std::string& key_type, bool cumulative) {
  if (key_type == "filename") return Key::filename;
  if (key_type == "lineno") return Key::lineno;
  if (key_type == "traceback") {
    if (cumulative) throw std::invalid_argument("tracemalloc: cumulative mode cannot be used with "
                                                "key type \"traceback\"");
    return Key::traceback;
  }
  throw std::invalid_argument("tracemalloc: unknown key type \"" + key_type +
                              "\" (filename, lineno or traceback)");
}

struct Totals {
  std::size_t size = 0, count = 0;
};

// The traces' sizes and counts per group.
std::map<Traceback, Totals> group(const std::vector<Trace>& traces, Key key, bool cumulative) {
  // Groups per resolved traceback first (many traces share one).
  std::unordered_map<const Traceback*, Totals> per_tb;
  for (const Trace& t : traces) {
    auto& g = per_tb[t.traceback.get()];
    g.size += t.size;
    ++g.count;
  }
  std::map<Traceback, Totals> out;
  auto add = [&](Traceback k, const Totals& v) {
    auto& g = out[std::move(k)];
    g.size += v.size;
    g.count += v.count;
  };
  auto keyed = [key](const Frame& f) {
    return key == Key::filename ? Frame{f.filename, 0} : f;
  };
  for (const auto& [tb, v] : per_tb) {
    if (key == Key::traceback) {
      add(*tb, v);
    } else if (tb->empty()) {
      add(Traceback{Frame{"<unknown>", 0}}, v);
    } else if (!cumulative) {  // the most recent frame
      add(Traceback{keyed(tb->back())}, v);
    } else {  // every frame counts the trace, as Python's
      for (const Frame& f : *tb) add(Traceback{keyed(f)}, v);
    }
  }
  return out;
}

std::string traceback_head(const Traceback& tb) {
  return tb.empty() ? std::string("<unknown>") : tb.front().to_string();
}

// ", average=..." (nothing for an empty group), both statistics' tail.
std::string average(std::size_t size, std::size_t count) {
  return count == 0 ? std::string()
                    : ", average=" + format_size(static_cast<double>(size) /
                                                 static_cast<double>(count));
}

std::string signed_count(std::ptrdiff_t v) {
  // Appended, not `"+" + std::string`: GCC 12 warns (-Wrestrict, a false
  // positive) about that at -O3.
  return std::string(v >= 0 ? "+" : "").append(std::to_string(v));
}

}  // namespace

std::string Frame::to_string() const { return filename + ":" + std::to_string(lineno); }

std::string format_size(double bytes, bool sign) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  for (std::size_t u = 0;; ++u) {
    const bool last = u + 1 == std::size(kUnits);
    char buf[48];
    if (std::fabs(bytes) < 100 && u != 0) {
      std::snprintf(buf, sizeof buf, sign ? "%+.1f %s" : "%.1f %s", bytes, kUnits[u]);
      return buf;
    }
    if (std::fabs(bytes) < 10 * 1024 || last) {
      std::snprintf(buf, sizeof buf, sign ? "%+.0f %s" : "%.0f %s", bytes, kUnits[u]);
      return buf;
    }
    bytes /= 1024;
  }
}

std::string Statistic::to_string() const {
  return traceback_head(traceback) + ": size=" + format_size(static_cast<double>(size)) +
         ", count=" + std::to_string(count) + average(size, count);
}

std::string StatisticDiff::to_string() const {
  std::string s = traceback_head(traceback) + ": size=" + format_size(static_cast<double>(size)) +
                  " (" + format_size(static_cast<double>(size_diff), true) +
                  "), count=" + std::to_string(count) + " (" + signed_count(count_diff) + ")";
  return s + average(size, count);
}

std::vector<Statistic> Snapshot::statistics(const std::string& key_type, bool cumulative) const {
  const Key key = parse_key(key_type, cumulative);
  std::vector<Statistic> out;
  for (auto& [tb, v] : group(traces_, key, cumulative)) out.push_back({tb, v.size, v.count});
  // Largest first, as Python's (size, count, traceback), descending.
  std::sort(out.begin(), out.end(), [](const Statistic& a, const Statistic& b) {
    if (a.size != b.size) return a.size > b.size;
    if (a.count != b.count) return a.count > b.count;
    return a.traceback > b.traceback;
  });
  return out;
}

std::vector<StatisticDiff> Snapshot::compare_to(const Snapshot& old, const std::string& key_type,
                                                bool cumulative) const {
  const Key key = parse_key(key_type, cumulative);
  auto now = group(traces_, key, cumulative);
  auto before = group(old.traces_, key, cumulative);
  std::vector<StatisticDiff> out;
  for (auto& [tb, v] : now) {
    Totals was;
    if (auto it = before.find(tb); it != before.end()) was = it->second;
    out.push_back({tb, v.size,
                   static_cast<std::ptrdiff_t>(v.size) - static_cast<std::ptrdiff_t>(was.size),
                   v.count,
                   static_cast<std::ptrdiff_t>(v.count) - static_cast<std::ptrdiff_t>(was.count)});
  }
  for (auto& [tb, was] : before)
    if (!now.count(tb))
      out.push_back({tb, 0, -static_cast<std::ptrdiff_t>(was.size), 0,
                     -static_cast<std::ptrdiff_t>(was.count)});
  // Largest change first: Python's (|size_diff|, size, |count_diff|, count,
  // traceback), descending.
  std::sort(out.begin(), out.end(), [](const StatisticDiff& a, const StatisticDiff& b) {
    const auto as = std::abs(a.size_diff), bs = std::abs(b.size_diff);
    if (as != bs) return as > bs;
    if (a.size != b.size) return a.size > b.size;
    const auto ac = std::abs(a.count_diff), bc = std::abs(b.count_diff);
    if (ac != bc) return ac > bc;
    if (a.count != b.count) return a.count > b.count;
    return a.traceback > b.traceback;
  });
  return out;
}

Snapshot Snapshot::filter_traces(const std::string& pattern, bool include) const {
  Snapshot out;
  out.limit_ = limit_;
  for (const Trace& t : traces_) {
    const bool match = std::any_of(t.traceback->begin(), t.traceback->end(), [&](const Frame& f) {
      return f.filename.find(pattern) != std::string::npos;
    });
    if (match == include) out.traces_.push_back(t);
  }
  return out;
}

}  // namespace rcgc::tracemalloc
