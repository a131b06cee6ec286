// Seed 004: the small-integer cache (-5..256) and string interning.
//
//   a = 10; b = 10; a is b        -> True   (one cached object)
//   a = 1000; b = 1000; a is b    -> False  (two objects)
//   s1 = sys.intern('hello'); s2 = sys.intern('hello'); s1 is s2 -> True
// Cached and interned objects are immortal (PEP 683): their counts do not
// move, and they are never freed while their heap lives.
#include <array>
#include <cstdio>

#include <rcgc/rcgc.hpp>

using rcgc::Ref;

struct Int : rcgc::Object {
  long value;
  explicit Int(long v) : value(v) {}
};

// CPython's small_ints: one immortal object per value in -5..256.
class SmallInts {
 public:
  SmallInts() {
    for (long v = kMin; v <= kMax; ++v) {
      cache_[static_cast<std::size_t>(v - kMin)] = rcgc::make<Int>(v);
      rcgc::make_immortal(cache_[static_cast<std::size_t>(v - kMin)]);
    }
  }
  Ref<Int> get(long v) const {
    if (v >= kMin && v <= kMax) return cache_[static_cast<std::size_t>(v - kMin)];
    return rcgc::make<Int>(v);
  }

 private:
  static constexpr long kMin = -5, kMax = 256;
  std::array<Ref<Int>, kMax - kMin + 1> cache_;
};

int main() {
  SmallInts ints;
  Ref<Int> a = ints.get(10), b = ints.get(10);
  std::printf("a = 10; b = 10; a is b -> %s\n", a == b ? "True" : "False");
  Ref<Int> c = ints.get(1000), d = ints.get(1000);
  std::printf("a = 1000; b = 1000; a is b -> %s\n", c == d ? "True" : "False");
  std::printf("10 is immortal: %s; its count does not move: %zu == %zu\n",
              rcgc::is_immortal(a) ? "yes" : "no", rcgc::getrefcount(a),
              rcgc::getrefcount(Ref<Int>(a)));

  Ref<rcgc::Str> s1 = rcgc::intern("hello");
  Ref<rcgc::Str> s2 = rcgc::intern("hel" + std::string("lo"));
  std::printf("sys.intern('hello') is sys.intern('hel' + 'lo') -> %s\n", s1 == s2 ? "True" : "False");
  Ref<rcgc::Str> s3 = rcgc::make<rcgc::Str>("hello");
  std::printf("a non-interned 'hello' is the interned one -> %s\n", s3 == s1 ? "True" : "False");
  return 0;
}
