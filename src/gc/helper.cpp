// The collector's helper thread and its stream (helper.hpp).
#include "gc/helper.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace rcgc::detail {

std::atomic<std::size_t> g_parallel_walks{0};

namespace {
constexpr std::size_t kUnread = SIZE_MAX - 1;

// An environment variable that counts objects: `unset` when it is not set
// (or empty), SIZE_MAX (with a message) when it is not a number.
std::size_t objects_from_env(const char* name, const char* e, std::size_t unset) noexcept {
  if (e == nullptr || *e == '\0') return unset;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(e, &end, 10);
  if (*end != '\0' || v >= kUnread) {
    std::fprintf(stderr, "rcgc: %s=%s is not a number of objects; ignored\n", name, e);
    return SIZE_MAX;
  }
  return static_cast<std::size_t>(v);
}

// A minimum of objects, read from the environment on first use, not at
// static initialisation (as RCGC_GC_SHADOW_MIN); SIZE_MAX: never.
std::size_t setting(std::atomic<std::size_t>& s, std::size_t (*read)() noexcept) noexcept {
  std::size_t v = s.load(std::memory_order_relaxed);
  if (v == kUnread) {
    s.compare_exchange_strong(v, read(), std::memory_order_relaxed);
    v = s.load(std::memory_order_relaxed);
  }
  return v;
}
// Sets it (-1: never); the previous value, -1 for never.
long long set_setting(std::atomic<std::size_t>& s, std::size_t before, long long objects) noexcept {
  s.store(objects < 0 ? SIZE_MAX : static_cast<std::size_t>(objects), std::memory_order_relaxed);
  return before == SIZE_MAX ? -1 : static_cast<long long>(before);
}

constinit std::atomic<std::size_t> g_parallel_min{kUnread};
std::size_t parallel_min_from_env() noexcept {
  return objects_from_env("RCGC_GC_PARALLEL", std::getenv("RCGC_GC_PARALLEL"), SIZE_MAX);
}

constinit std::atomic<std::size_t> g_split_min{kUnread};
constexpr std::size_t kSplitDefault = std::size_t{1} << 16;
std::atomic<bool> g_split_always{false};
std::atomic<bool> g_split_alternate{false};
std::size_t split_min_from_env() noexcept {
  // By default from 64K objects, on a machine of more than one CPU.
  const char* e = std::getenv("RCGC_GC_SPLIT");
  if (e != nullptr && std::strcmp(e, "off") == 0) return SIZE_MAX;
  if (e != nullptr && std::strcmp(e, "always") == 0) {
    g_split_always.store(true, std::memory_order_relaxed);
    return 0;
  }
  return objects_from_env("RCGC_GC_SPLIT", e,
                          std::thread::hardware_concurrency() > 1 ? kSplitDefault : SIZE_MAX);
}
}  // namespace

std::size_t parallel_min() noexcept { return setting(g_parallel_min, parallel_min_from_env); }
long long set_parallel_min(long long objects) noexcept {
  return set_setting(g_parallel_min, parallel_min(), objects);
}

std::atomic<std::size_t> g_split_walks{0};
std::atomic<std::size_t> g_split_helper_objects{0};

std::size_t split_min() noexcept { return setting(g_split_min, split_min_from_env); }
long long set_split_min(long long objects) noexcept {
  return set_setting(g_split_min, split_min(), objects);
}
bool split_always() noexcept {
  split_min();  // the environment's setting first
  return g_split_always.load(std::memory_order_relaxed);
}
bool set_split_always(bool on) noexcept {
  split_min();
  return g_split_always.exchange(on, std::memory_order_relaxed);
}
bool split_alternate() noexcept { return g_split_alternate.load(std::memory_order_relaxed); }
bool set_split_alternate(bool on) noexcept {
  return g_split_alternate.exchange(on, std::memory_order_relaxed);
}

// Spins a little, then yields: a wait that lasts microseconds at most
// while the other side is running.
void pause_briefly(unsigned& spins) noexcept {
  if (spins < 4096) {
    ++spins;
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
    return;
  }
  // The other side is not running (a busy host): let it.
  std::this_thread::yield();
}

Stream* Stream::get() noexcept {
  static Stream* const stream = [] {
    auto* s = new (std::nothrow) Stream;
    if (s == nullptr) return s;
    s->buf_ = new (std::nothrow) std::uint32_t[kSize];
    if (s->buf_ == nullptr) {
      delete s;
      return static_cast<Stream*>(nullptr);
    }
    s->reset();
    return s;
  }();
  return stream;
}

void Stream::reset() noexcept {
  span_pos_ = 0;
  span_at_ = buf_;
  head_.store(0, std::memory_order_relaxed);
  tail_.store(0, std::memory_order_relaxed);
}

std::uint32_t* Stream::next_span(std::uint32_t* out, std::uint32_t*& end) noexcept {
  const std::size_t pos = out == nullptr ? span_pos_ : span_pos_ + static_cast<std::size_t>(out - span_at_);
  head_.store(pos, std::memory_order_release);
  unsigned spins = 0;
  std::size_t room;
  for (;;) {
    room = tail_.load(std::memory_order_acquire) + kSize - pos;
    if (room != 0) break;
    pause_briefly(spins);
  }
  span_pos_ = pos;
  const std::size_t slot = pos & (kSize - 1);
  span_at_ = buf_ + slot;
  end = span_at_ + std::min(room, kSize - slot);
  return span_at_;
}

std::size_t Stream::readable(std::size_t pos) noexcept {
  tail_.store(pos, std::memory_order_release);
  unsigned spins = 0;
  for (;;) {
    const std::size_t head = head_.load(std::memory_order_acquire);
    if (head != pos) return std::min(head, pos + kSize / 8);
    pause_briefly(spins);
  }
}

namespace {

struct HelperState {
  std::mutex m;
  std::condition_variable cv;
  Helper::Job job = nullptr;
  void* arg = nullptr;
  std::atomic<bool> busy{false};
  bool started = false;
  bool failed = false;
};

std::atomic<HelperState*> g_helper{nullptr};

void helper_loop(HelperState* s) noexcept {
  for (;;) {
    Helper::Job job;
    void* arg;
    {
      std::unique_lock<std::mutex> lock(s->m);
      s->cv.wait(lock, [s] { return s->job != nullptr; });
      job = s->job;
      arg = s->arg;
      s->job = nullptr;
    }
    job(arg);
    s->busy.store(false, std::memory_order_release);
  }
}

// A child of fork() has no helper thread: it starts its own when it needs
// one (the parent's state is left as it was, never freed).
void forget_helper_in_child() noexcept { g_helper.store(nullptr, std::memory_order_relaxed); }

HelperState* helper_state() noexcept {
  HelperState* s = g_helper.load(std::memory_order_acquire);
  if (s != nullptr) return s;
  static const bool registered = pthread_atfork(nullptr, nullptr, forget_helper_in_child) == 0;
  (void)registered;
  s = new (std::nothrow) HelperState;
  if (s == nullptr) return nullptr;
  HelperState* expected = nullptr;
  if (!g_helper.compare_exchange_strong(expected, s, std::memory_order_acq_rel)) {
    delete s;
    return expected;
  }
  return s;
}

}  // namespace

bool Helper::start(Job job, void* arg) noexcept {
  HelperState* s = helper_state();
  if (s == nullptr) return false;
  {
    std::lock_guard<std::mutex> lock(s->m);
    if (s->failed) return false;
    if (!s->started) {
      try {
        std::thread(helper_loop, s).detach();
        s->started = true;
      } catch (...) {
        s->failed = true;  // no thread (resource limits): the walk stays on one
        return false;
      }
    }
    s->job = job;
    s->arg = arg;
    s->busy.store(true, std::memory_order_relaxed);
  }
  s->cv.notify_one();
  return true;
}

void Helper::finish() noexcept {
  HelperState* s = g_helper.load(std::memory_order_acquire);
  if (s == nullptr) return;
  unsigned spins = 0;
  while (s->busy.load(std::memory_order_acquire)) pause_briefly(spins);
}

}  // namespace rcgc::detail
