"""CPython versions of bench/gc/gc_bench.cpp's workloads (same shapes, same
output format: "name value unit" lines)."""
import gc
import sys
import time


def best_of(reps, f):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def report(name, value, unit):
    print("%s %.3f %s" % (name, value, unit), flush=True)


def full_collect(reps):
    """An untimed collect(), then (tracked objects in the heap, the
    interpreter's own included: a full collection walks them all; the best
    time of `reps` collect() calls)."""
    gc.collect()
    return len(gc.get_objects()), best_of(reps, gc.collect)


def traversal():
    gc.disable()
    current = []
    edges = 0
    for n in range(1000):
        new = [None] * n
        for i in range(n):
            new[i] = current
        edges += n
        current = new
    objects, t = full_collect(20)
    report("traversal_ns_per_object", t * 1e9 / objects, "ns")
    report("traversal_ns_per_edge", t * 1e9 / edges, "ns")


def make_tree(depth):
    return [make_tree(depth - 1), make_tree(depth - 1)] if depth > 0 else []


def tree():
    gc.disable()
    root = make_tree(19)
    n, t = full_collect(10)
    report("tree_ns_per_object", t * 1e9 / n, "ns")
    del root


def young_ns_per_object(reps, objects, make):
    """gc_bench.cpp's young_ns_per_object: collect(0) of what make() builds
    fresh after a full collection (held meanwhile), best of reps, in ns per
    object."""
    gc.disable()
    best = float("inf")
    for _ in range(reps):
        gc.collect()
        held = make()
        t0 = time.perf_counter()
        gc.collect(0)
        best = min(best, time.perf_counter() - t0)
        del held
    return best * 1e9 / objects


def young_tree():
    """gc_bench.cpp's young_tree: collect(0) of a fresh 1023-node tree."""
    report("young_tree_ns_per_object", young_ns_per_object(2000, 1023, lambda: make_tree(9)), "ns")


class Node:
    def __init__(self, value):
        self.value = value
        self.next = None
        self.prev = None


def create_gc_cycles(n_cycles, n_links):
    cycles = []
    for _ in range(n_cycles):
        node = Node(0)
        current = node
        for i in range(n_links):
            nxt = Node(i)
            current.next = nxt
            nxt.prev = current
            current = nxt
        current.next = node
        node.prev = current
        cycles.append(node)
    return cycles


def cycles():
    gc.disable()
    best = float("inf")
    collected = 0
    for _ in range(5):
        gc.collect()
        all_cycles = create_gc_cycles(47620, 20)
        del all_cycles
        t0 = time.perf_counter()
        collected = gc.collect()
        best = min(best, time.perf_counter() - t0)
    report("cycles_collected", collected, "objects")
    report("cycles_ns_per_object", best * 1e9 / collected, "ns")


class Record:
    __slots__ = ("key", "value")

    def __init__(self, key):
        self.key = key
        self.value = None


class BNode:
    __slots__ = ("keys", "children")

    def __init__(self):
        self.keys = []
        self.children = []


T = 16


def split(parent, i):
    y = parent.children[i]
    z = BNode()
    z.keys = y.keys[T:]
    if y.children:
        z.children = y.children[T:]
        del y.children[T:]
    mid = y.keys[T - 1]
    del y.keys[T - 1:]
    parent.children.insert(i + 1, z)
    parent.keys.insert(i, mid)


def insert(root, rec):
    if len(root.keys) == 2 * T - 1:
        s = BNode()
        s.children.append(root)
        split(s, 0)
        root = s
    x = root
    while True:
        i = 0
        while i < len(x.keys) and x.keys[i].key < rec.key:
            i += 1
        if not x.children:
            x.keys.insert(i, rec)
            return root
        if len(x.children[i].keys) == 2 * T - 1:
            split(x, i)
            if x.keys[i].key < rec.key:
                i += 1
        x = x.children[i]


def btree():
    gc.disable()
    root = BNode()
    x = 12345
    for _ in range(200000):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        r = Record(x >> 33)
        r.value = "v"
        root = insert(root, r)
    n, t = full_collect(10)
    report("btree_objects", n, "objects")
    report("btree_ns_per_object", t * 1e9 / n, "ns")
    report("btree_collect_ms", t * 1e3, "ms")


def random_graph():
    gc.disable()
    nodes = [[] for _ in range(500000)]
    x = 1
    for node in nodes:
        for _ in range(3):
            x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
            node.append(nodes[(x >> 33) % 500000])
    root = list(nodes)
    del nodes
    n, t = full_collect(5)
    report("random_graph_ns_per_object", t * 1e9 / n, "ns")


def bottom_up(depth):
    return [bottom_up(depth - 1) if depth > 0 else object() for _ in range(10)]


def json_like():
    gc.disable()
    root = bottom_up(5)
    n, t = full_collect(5)
    report("json_like_ns_per_object", t * 1e9 / n, "ns")


# Written in session 4 to check the collector on shapes it had not been
# tuned on (see gc_bench.cpp).
class DNode:
    __slots__ = ("prev", "next", "value")

    def __init__(self):
        self.prev = self.next = None
        self.value = 0


def doubly_linked(n):
    """n nodes made from the head, each holding the next and the one
    before: (head, tail)."""
    head = tail = DNode()
    for _ in range(1, n):
        node = DNode()
        node.prev = tail
        tail.next = node
        tail = node
    return head, tail


def linked_list():
    gc.disable()
    head, tail = doubly_linked(1000000)
    n, t = full_collect(5)
    report("linked_list_ns_per_object", t * 1e9 / n, "ns")


def young_doubly_linked():
    """gc_bench.cpp's young_doubly_linked: collect(0) of a fresh doubly
    linked list of 1000 nodes made from its head."""
    report("young_doubly_linked_ns_per_object",
           young_ns_per_object(500, 1000, lambda: doubly_linked(1000)[0]), "ns")


class Instance:
    pass


def attr_objects():
    gc.disable()
    k = 200000
    all_ = []
    for i in range(k):
        o = Instance()
        o.k0 = "a%d" % i  # three values made with it, untracked
        o.k1 = "b%d" % i
        o.k2 = "c%d" % i
        all_.append(o)
    x = 7
    for o in all_:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        o.k3 = all_[(x >> 33) % k]
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        o.k4 = all_[(x >> 33) % k]
        o.__dict__  # the dict as an object of its own, as rcgc's
    root = list(all_)
    del all_
    n, t = full_collect(5)
    report("attr_objects_ns_per_object", t * 1e9 / n, "ns")


def list_of_pairs():
    gc.disable()
    root = []
    for _ in range(1000):
        mid = []
        for _ in range(1000):
            mid.append([object(), object()])
        root.append(mid)
    n, t = full_collect(5)
    report("list_of_pairs_ns_per_object", t * 1e9 / n, "ns")


def binary_trees(n):
    def make(d):
        return (make(d - 1), make(d - 1)) if d > 0 else (None, None)

    def check(node):
        left, right = node
        return 1 + check(left) + check(right) if left is not None else 1

    t0 = time.perf_counter()
    min_depth = 4
    max_depth = max(min_depth + 2, n)
    print("stretch tree of depth %d\t check: %d" % (max_depth + 1, check(make(max_depth + 1))))
    long_lived = make(max_depth)
    for d in range(min_depth, max_depth + 1, 2):
        iterations = 1 << (max_depth - d + min_depth)
        c = sum(check(make(d)) for _ in range(iterations))
        print("%d\t trees of depth %d\t check: %d" % (iterations, d, c))
    print("long lived tree of depth %d\t check: %d" % (max_depth, check(long_lived)))
    import resource
    print("seconds %.4f" % (time.perf_counter() - t0))
    print("peak_rss_kib %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "binary_trees":
        binary_trees(int(sys.argv[2]))
    else:
        globals()[what]()
