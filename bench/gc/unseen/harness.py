"""What the Python twins of the out-of-sample workloads share (unseen.py and
../unseen2/unseen2.py): the pseudo-random sequence harness.hpp repeats, and
the timed main."""
import gc
import os
import sys
import time

M64 = (1 << 64) - 1


class Rng:
    """splitmix64, the same sequence as harness.hpp's."""

    def __init__(self, seed):
        self.s = seed

    def below(self, n):
        s = (self.s + 0x9E3779B97F4A7C15) & M64
        self.s = s
        z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return (z ^ (z >> 31)) % n


def run(program, builders):
    """`program NAME`: builds NAME's heap with the collector off, collects
    once untimed (everything moves to the oldest generation), then prints
    "NAME_ns_per_object", "NAME_objects" and "NAME_best_ms" for the best of
    5 full collections. The heap is not torn down (the C++ side leaves with
    _Exit as well)."""
    if len(sys.argv) != 2 or sys.argv[1] not in builders:
        sys.stderr.write("usage: %s %s\n" % (program, "|".join(builders)))
        sys.exit(2)
    name = sys.argv[1]
    gc.disable()
    heap = builders[name]()
    gc.collect()
    objects = len(gc.get_objects())
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        gc.collect()
        best = min(best, time.perf_counter() - t0)
    print(f"{name}_ns_per_object {best * 1e9 / objects:.3f}")
    print(f"{name}_objects {objects}")
    print(f"{name}_best_ms {best * 1e3:.3f}")
    sys.stdout.flush()
    os._exit(0 if heap is not None else 1)
