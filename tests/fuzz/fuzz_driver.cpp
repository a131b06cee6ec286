// libFuzzer target: the stress driver (tests/stress/driver.hpp) with its
// decisions taken from the fuzzer's bytes. Built and run by tests/fuzz/run.sh.
//
// The first byte picks the configuration (automatic collection, finalizers,
// failure injection, deep chains); the rest drives the program until it runs
// out. Any oracle failure aborts with the driver's message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "../stress/driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  rcgc_stress::Config cfg = rcgc_stress::config_from_bytes(data, size);
  rcgc_stress::Result r = rcgc_stress::run(cfg);
  if (!r.ok) {
    std::fprintf(stderr, "rcgc stress oracle failure: %s\n  counts: %s\n", r.failure.c_str(),
                 r.counts.str().c_str());
    std::abort();
  }
  return 0;
}
