"""The workloads of unseen.cpp in CPython 3.11: the same heaps, built from the
same pseudo-random sequence (splitmix64), timed the same way.

    python3 unseen.py parse_tree|flow_graph|lru_cache|orm

prints "NAME_ns_per_object <best ns per object>", "NAME_objects <n>" and
"NAME_best_ms <best collect() ms>", where n = len(gc.get_objects()) after one
untimed full collection and the best is over 5 timed gc.collect() calls.
"""
from collections import deque

from harness import Rng, run

# ------------------------------------------------------------------ parse_tree
# NLTK's ParentedTree: a list subclass (the children are its items) with a
# label and a parent back-pointer. Leaves are Token objects.
# __slots__: without them CPython 3.11 gives every instance of a list
# subclass a real __dict__ (no inline values), tracked as soon as it holds a
# tracked object (the parent): 410k more tracked objects than unseen.cpp,
# which would skew the per-object figure.

class Tree(list):
    __slots__ = ("_label", "_parent")

    def __init__(self, label, parent):
        list.__init__(self)
        self._label = label
        self._parent = parent


class Token:
    def __init__(self, word, tag, parent):
        self.word = word
        self.tag = tag
        self.parent = parent


PHRASE = ["NP", "VP", "PP", "S", "SBAR", "ADJP", "ADVP", "WHNP"]
TAG = ["NN", "NNS", "VB", "VBD", "JJ", "DT", "IN", "RB", "PRP", "CC"]
MAX_DEPTH = 6
SENTENCES = 13000


def make_phrase(rng, label, parent, depth):
    node = Tree(label, parent)
    n = 1 + rng.below(4)
    for _ in range(n):
        if depth >= MAX_DEPTH or rng.below(100) < 40:
            word = "w" + str(rng.below(50000))
            tag = TAG[rng.below(10)]
            node.append(Token(word, tag, node))
        else:
            node.append(make_phrase(rng, PHRASE[rng.below(8)], node, depth + 1))
    return node


def build_parse_tree():
    rng = Rng(1)
    return [make_phrase(rng, "S", None, 0) for _ in range(SENTENCES)]


# ------------------------------------------------------------------ flow_graph
# A residual flow network as a dict of adjacency lists: {Vertex: [Edge]}.

class Vertex:
    def __init__(self, name):
        self.name = name
        self.level = -1
        self.pred = None


class Edge:
    def __init__(self, to, cap):
        self.to = to
        self.rev = None
        self.cap = cap
        self.flow = 0.0


class Graph:
    def __init__(self):
        self.vertices = []
        self.adj = {}


VERTICES = 80000
EDGE_PAIRS = 3 * VERTICES


def build_flow_graph():
    rng = Rng(2)
    g = Graph()
    for i in range(VERTICES):
        v = Vertex("v" + str(i))
        g.adj[v] = []
        g.vertices.append(v)
    for _ in range(EDGE_PAIRS):
        u = g.vertices[rng.below(VERTICES)]
        v = g.vertices[rng.below(VERTICES)]
        cap = float(1 + rng.below(100))
        fwd = Edge(v, cap)
        back = Edge(u, 0.0)
        fwd.rev = back
        back.rev = fwd
        g.adj[u].append(fwd)
        g.adj[v].append(back)
    s = g.vertices[0]
    s.level = 0
    queue = deque([s])
    while queue:
        u = queue.popleft()
        for e in g.adj[u]:
            if e.cap - e.flow > 0 and e.to.level < 0:
                e.to.level = u.level + 1
                e.to.pred = e
                queue.append(e.to)
    return g


# ------------------------------------------------------------------- lru_cache
# A dict of doubly linked Links (strong prev/next, as functools' pure-Python
# lru_cache), values are Response objects.

class Host:
    def __init__(self, name):
        self.name = name
        self.parent_domain = None


class Response:
    def __init__(self, url, status, body, host, redirect_from):
        self.url = url
        self.status = status
        self.body = body
        self.host = host
        self.redirect_from = redirect_from


class Link:
    __slots__ = ("prev", "next", "key", "value")

    def __init__(self):
        self.prev = self.next = self.key = self.value = None


class LruCache:
    def __init__(self, capacity):
        self.capacity = capacity
        root = Link()
        root.prev = root.next = root
        self.root = root
        self.map = {}
        self.hosts = []

    def get(self, key):
        link = self.map.get(key)
        if link is None:
            return None
        link.prev.next = link.next
        link.next.prev = link.prev
        root = self.root
        last = root.prev
        last.next = link
        root.prev = link
        link.prev = last
        link.next = root
        return link.value

    def put(self, key, value):
        root = self.root
        if len(self.map) >= self.capacity:
            oldest = root.next
            root.next = oldest.next
            oldest.next.prev = root
            oldest.prev = oldest.next = None
            del self.map[oldest.key]
        link = Link()
        last = root.prev
        link.prev = last
        link.next = root
        link.key = key
        link.value = value
        last.next = link
        root.prev = link
        self.map[key] = link


HOSTS = 2000
CAPACITY = 220000
REQUESTS = 400000
URLS = 300000


def build_lru_cache():
    rng = Rng(3)
    cache = LruCache(CAPACITY)
    for i in range(HOSTS):
        h = Host("host" + str(i) + ".example.com")
        if i > 0 and rng.below(4) == 0:
            h.parent_domain = cache.hosts[rng.below(i)]
        cache.hosts.append(h)
    last = None
    for _ in range(REQUESTS):
        u = rng.below(URLS)
        url = "https://host" + str(u % HOSTS) + ".example.com/page/" + str(u)
        hit = cache.get(url)
        if hit is not None:
            last = hit
            continue
        redirected = last is not None and rng.below(5) == 0
        body = "<html>" + str(u) + "</html>"
        r = Response(url, 301 if redirected else 200, body,
                     cache.hosts[u % HOSTS], last if redirected else None)
        cache.put(url, r)
        last = r
    return cache


# ------------------------------------------------------------------------- orm
# Model instances reference their class (their type) and a few foreign-key
# neighbours; a session holds one identity map (pk -> instance) per class.

class Model:
    def __init__(self, pk):
        self.pk = pk


class Region(Model):
    def __init__(self, pk, name):
        self.pk = pk
        self.name = name


class Currency(Region):
    pass


class Status(Region):
    pass


class Category(Model):
    def __init__(self, pk, name, parent):
        self.pk = pk
        self.name = name
        self.parent = parent


class Customer(Model):
    def __init__(self, pk, name, email, region, referred_by):
        self.pk = pk
        self.name = name
        self.email = email
        self.region = region
        self.referred_by = referred_by


class Product(Model):
    def __init__(self, pk, name, price, category, currency):
        self.pk = pk
        self.name = name
        self.price = price
        self.category = category
        self.currency = currency


class Order(Model):
    def __init__(self, pk, customer, status, currency):
        self.pk = pk
        self.total = 0.0
        self.customer = customer
        self.status = status
        self.currency = currency


class OrderLine(Model):
    def __init__(self, pk, qty, price, order, product):
        self.pk = pk
        self.qty = qty
        self.price = price
        self.order = order
        self.product = product


class Session:
    def __init__(self):
        self.identity = {}
        self.classes = []


REGIONS, CURRENCIES, STATUSES, CATEGORIES = 50, 10, 6, 300
CUSTOMERS, PRODUCTS, ORDERS, LINES = 60000, 20000, 150000, 400000


def build_orm():
    rng = Rng(4)
    s = Session()
    s.classes = [Model, Region, Currency, Status, Category, Customer, Product, Order, OrderLine]
    idm = s.identity
    regions = idm["Region"] = {}
    currencies = idm["Currency"] = {}
    statuses = idm["Status"] = {}
    categories = idm["Category"] = {}
    customers = idm["Customer"] = {}
    products = idm["Product"] = {}
    orders = idm["Order"] = {}
    lines = idm["OrderLine"] = {}
    region_v, currency_v, status_v = [], [], []
    category_v, customer_v, product_v, order_v = [], [], [], []
    for i in range(REGIONS):
        region_v.append(Region(i, "region" + str(i)))
        regions[i] = region_v[-1]
    for i in range(CURRENCIES):
        currency_v.append(Currency(i, "cur" + str(i)))
        currencies[i] = currency_v[-1]
    for i in range(STATUSES):
        status_v.append(Status(i, "status" + str(i)))
        statuses[i] = status_v[-1]
    for i in range(CATEGORIES):
        parent = category_v[rng.below(i)] if i > 0 and rng.below(3) != 0 else None
        category_v.append(Category(i, "cat" + str(i), parent))
        categories[i] = category_v[-1]
    for i in range(CUSTOMERS):
        ref = customer_v[rng.below(i)] if i > 0 and rng.below(10) < 3 else None
        customer_v.append(Customer(i, "customer" + str(i), "c" + str(i) + "@example.com",
                                   region_v[rng.below(REGIONS)], ref))
        customers[i] = customer_v[-1]
    for i in range(PRODUCTS):
        price = rng.below(100000) / 100.0
        cat = category_v[rng.below(CATEGORIES)]
        product_v.append(Product(i, "product" + str(i), price, cat,
                                 currency_v[rng.below(CURRENCIES)]))
        products[i] = product_v[-1]
    for i in range(ORDERS):
        cu = customer_v[rng.below(CUSTOMERS)]
        st = status_v[rng.below(STATUSES)]
        order_v.append(Order(i, cu, st, currency_v[rng.below(CURRENCIES)]))
        orders[i] = order_v[-1]
    for i in range(LINES):
        o = order_v[rng.below(ORDERS)]
        p = product_v[rng.below(PRODUCTS)]
        qty = 1 + rng.below(5)
        lines[i] = OrderLine(i, qty, p.price, o, p)
        o.total += qty * p.price
    return s


# ------------------------------------------------------------------------ main

BUILDERS = {
    "parse_tree": build_parse_tree,
    "flow_graph": build_flow_graph,
    "lru_cache": build_lru_cache,
    # The C++ side's lru_cache with rcgc::Dict as its map: the same heap here.
    "lru_cache_dict": build_lru_cache,
    "orm": build_orm,
}


def main():
    run("unseen.py", BUILDERS)


if __name__ == "__main__":
    main()
