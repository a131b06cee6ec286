"""The workloads of unseen3.cpp in CPython 3.11: the same heaps, built from the
same pseudo-random sequence (splitmix64), timed the same way.

    python3 unseen3.py spreadsheet|dom|social|objmodel

prints "NAME_ns_per_object <best ns per object>", "NAME_objects <n>" and
"NAME_best_ms <best collect() ms>", where n = len(gc.get_objects()) after one
untimed full collection and the best is over 5 timed gc.collect() calls.
"""
import os
import sys
import types
import weakref
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unseen"))
from harness import Rng, run  # noqa: E402

# ----------------------------------------------------------------- spreadsheet
# Values are floats and strs, styles tuples (untracked, as the C++ side's boxed
# values); a cell's broadcaster is a list made when the first formula reads it.

SHEET_SEED = 0x5EED3001
SHEETS = 20
ROWS = 600
COLS = 16
STYLES = 48
PREVIEW_ROWS = 150
NAMED = 3000
EDITS = 4000
UNDO_LIMIT = 1000
FONTS = ["Calibri", "Arial", "Cambria", "Consolas", "Verdana"]
FUNCS = ["SUM", "AVERAGE", "MAX", "MIN", "IF", "ROUND"]
OPS = "+-*/"


class Cell:
    __slots__ = ("sheet", "row", "col", "value", "formula", "style", "listeners")

    def __init__(self, sheet, row, col):
        self.sheet = sheet
        self.row = row
        self.col = col
        self.value = None
        self.formula = None
        self.style = None
        self.listeners = None


class Sheet:
    def __init__(self, book, name, index):
        self.book = book
        self.name = name
        self.index = index
        self.cells = {}


class CellRef:
    __slots__ = ("cell",)

    def __init__(self, cell):
        self.cell = cell


class RangeRef:
    __slots__ = ("sheet", "r0", "c0", "r1", "c1")

    def __init__(self, sheet, r0, c0, r1, c1):
        self.sheet = sheet
        self.r0 = r0
        self.c0 = c0
        self.r1 = r1
        self.c1 = c1


class BinOp:
    __slots__ = ("op", "lhs", "rhs")

    def __init__(self, op, lhs, rhs):
        self.op = op
        self.lhs = lhs
        self.rhs = rhs


class Call:
    __slots__ = ("fn", "args")

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args


class NamedRange:
    __slots__ = ("name", "sheet", "r0", "c0", "r1", "c1")

    def __init__(self, name, sheet, r0, c0, r1, c1):
        self.name = name
        self.sheet = sheet
        self.r0 = r0
        self.c0 = c0
        self.r1 = r1
        self.c1 = c1


class Edit:
    __slots__ = ("cell", "old_formula", "old_value")

    def __init__(self, cell, old_formula, old_value):
        self.cell = cell
        self.old_formula = old_formula
        self.old_value = old_value


class Workbook:
    def __init__(self):
        self.sheets = []
        self.styles = []
        self.names = {}
        self.calc_chain = []
        self.undo = deque()


def _listen(target, owner):
    if target.listeners is None:
        target.listeners = []
    target.listeners.append(owner)


class SheetBuilder:
    def __init__(self, rng, styles):
        self.rng = rng
        self.styles = styles

    def fill(self, wb, sh, rows):
        rng = self.rng
        styles = self.styles
        cells = sh.cells
        for r in range(rows):
            for c in range(COLS):
                if rng.below(8) < 2:
                    continue
                cell = Cell(sh, r, c)
                if rng.below(5) == 0:
                    cell.style = styles[rng.below(STYLES)]
                if r >= 10 and rng.below(100) < 55:
                    cell.formula = self.expr(wb, sh.index, r, cell, 0)
                    cell.value = rng.below(100000) / 100.0
                    wb.calc_chain.append(cell)
                elif rng.below(4) == 0:
                    cell.value = "label" + str(rng.below(5000))
                else:
                    cell.value = float(rng.below(1000000))
                cells[(r, c)] = cell

    def expr(self, wb, s, row, owner, depth):
        rng = self.rng
        k = rng.below(10) if depth < 3 else 0
        if k < 5:
            t = rng.below(5)
            if t == 0:
                return float(rng.below(1000))
            if t <= 2:
                if s > 0 and rng.below(16) == 0:
                    sh = wb.sheets[rng.below(s)]
                    r = rng.below(ROWS)
                else:
                    sh = wb.sheets[s]
                    r = row - 1 - rng.below(min(row, 20))
                c = rng.below(COLS)
                target = sh.cells.get((r, c))
                if target is None:
                    return 0.0
                _listen(target, owner)
                return CellRef(target)
            sh = wb.sheets[s]
            if rng.below(2) == 0:
                h = 2 + rng.below(8)
                c0 = rng.below(COLS)
                r0 = rng.below(row - h + 1)
                r1 = r0 + h - 1
                c1 = c0
            else:
                w = 2 + rng.below(8)
                r0 = rng.below(row)
                c0 = rng.below(COLS - w + 1)
                r1 = r0
                c1 = c0 + w - 1
            cells = sh.cells
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    cell = cells.get((r, c))
                    if cell is not None:
                        _listen(cell, owner)
            return RangeRef(sh, r0, c0, r1, c1)
        if k < 8:
            op = OPS[rng.below(4)]
            lhs = self.expr(wb, s, row, owner, depth + 1)
            rhs = self.expr(wb, s, row, owner, depth + 1)
            return BinOp(op, lhs, rhs)
        fn = FUNCS[rng.below(6)]
        n = 1 + rng.below(3)
        return Call(fn, [self.expr(wb, s, row, owner, depth + 1) for _ in range(n)])

    def unlink(self, node, owner):
        if isinstance(node, CellRef):
            node.cell.listeners.remove(owner)
        elif isinstance(node, RangeRef):
            cells = node.sheet.cells
            for r in range(node.r0, node.r1 + 1):
                for c in range(node.c0, node.c1 + 1):
                    cell = cells.get((r, c))
                    if cell is not None:
                        cell.listeners.remove(owner)
        elif isinstance(node, BinOp):
            self.unlink(node.lhs, owner)
            self.unlink(node.rhs, owner)
        elif isinstance(node, Call):
            for arg in node.args:
                self.unlink(arg, owner)


def build_spreadsheet():
    rng = Rng(SHEET_SEED)
    styles = []
    for _ in range(STYLES):
        font = FONTS[rng.below(5)]
        size = 8 + rng.below(10)
        color = rng.below(1 << 24)
        bold = rng.below(2) == 1
        styles.append((font, size, color, bold))
    b = SheetBuilder(rng, styles)
    # An import preview: a workbook of one sheet, read, shown, dropped.
    preview = Workbook()
    preview.styles = list(styles)
    sh = Sheet(preview, "Preview", 0)
    preview.sheets.append(sh)
    b.fill(preview, sh, PREVIEW_ROWS)
    del preview, sh
    wb = Workbook()
    wb.styles = list(styles)
    for s in range(SHEETS):
        sh = Sheet(wb, "Sheet" + str(s + 1), s)
        wb.sheets.append(sh)
        b.fill(wb, sh, ROWS)
    for i in range(NAMED):
        sh = wb.sheets[rng.below(SHEETS)]
        r0 = rng.below(ROWS - 20)
        c0 = rng.below(COLS - 4)
        h = 1 + rng.below(20)
        w = 1 + rng.below(4)
        name = "range" + str(i)
        wb.names[name] = NamedRange(name, sh, r0, c0, r0 + h - 1, c0 + w - 1)
    chain = wb.calc_chain
    undo = wb.undo
    for _ in range(EDITS):
        cell = chain[rng.below(len(chain))]
        b.unlink(cell.formula, cell)
        undo.append(Edit(cell, cell.formula, cell.value))
        if len(undo) > UNDO_LIMIT:
            undo.popleft()
        cell.formula = b.expr(wb, cell.sheet.index, cell.row, cell, 0)
        cell.value = rng.below(100000) / 100.0
    return wb


# ------------------------------------------------------------------------- dom
# Attributes and declarations are dicts of strs (untracked, as the C++ side's
# string maps and untracked Declarations); event listeners a dict of lists,
# made with the first one; matched rules tuples shared through the cache.

DOM_SEED = 0x5EED3002
COMPONENTS = 2000
STYLE_SHEETS = 8
RULES_PER_SHEET = 600
CLASSES = 300
REMOVALS = 40
TAGS = ["div", "span", "p", "a", "li", "ul", "section", "img",
        "button", "input", "td", "tr", "table", "h2", "label", "form"]
ATTRS = ["href", "src", "title", "alt", "type", "name", "value", "role"]
EVENTS = ["click", "input", "change", "keydown", "focus", "mouseover"]
PROPS = ["color", "margin", "padding", "display", "font-size",
         "width", "height", "border", "background", "flex"]
FAN = [(2, 5), (1, 4), (0, 5), (0, 4), (0, 3)]
LEAF_DEPTH = 5


class Text:
    __slots__ = ("parent", "owner", "prev", "next", "data")

    def __init__(self, owner, data):
        self.parent = None
        self.owner = owner
        self.prev = None
        self.next = None
        self.data = data


class Element:
    __slots__ = ("parent", "owner", "prev", "next", "tag", "id", "class_name", "attributes",
                 "first_child", "last_child", "style", "computed", "events", "component")

    def __init__(self, owner, tag):
        self.parent = None
        self.owner = owner
        self.prev = None
        self.next = None
        self.tag = tag
        self.id = ""
        self.class_name = ""
        self.attributes = {}
        self.first_child = None
        self.last_child = None
        self.style = None
        self.computed = None
        self.events = None
        self.component = None


class Rule:
    __slots__ = ("selector", "specificity", "decls", "sheet")

    def __init__(self, selector, specificity, decls, sheet):
        self.selector = selector
        self.specificity = specificity
        self.decls = decls
        self.sheet = sheet


class StyleSheet:
    def __init__(self, href):
        self.href = href
        self.owner_node = None
        self.rules = []


class ComputedStyle:
    __slots__ = ("parent", "rules", "inline_style", "font_size", "display")

    def __init__(self, parent, rules, inline_style):
        self.parent = parent
        self.rules = rules
        self.inline_style = inline_style
        self.font_size = 16.0
        self.display = 0


class Listener:
    __slots__ = ("type", "target", "component", "data", "capture")

    def __init__(self, type_, target, component):
        self.type = type_
        self.target = target
        self.component = component
        self.data = None
        self.capture = False


class Component:
    def __init__(self, name, doc, parent):
        self.name = name
        self.doc = doc
        self.parent = parent
        self.children = []
        self.root = None
        self.state = {}
        self.mounted = True


class Document:
    def __init__(self):
        self.root = None
        self.by_id = {}
        self.sheets = []
        self.components = []
        self.style_cache = {}


def append_child(parent, child):
    child.parent = parent
    child.prev = parent.last_child
    if parent.last_child is not None:
        parent.last_child.next = child
    else:
        parent.first_child = child
    parent.last_child = child


def remove_child(parent, child):
    if child.prev is not None:
        child.prev.next = child.next
    else:
        parent.first_child = child.next
    if child.next is not None:
        child.next.prev = child.prev
    else:
        parent.last_child = child.prev
    child.prev = None
    child.next = None
    child.parent = None


class DomBuilder:
    def __init__(self, rng, doc):
        self.rng = rng
        self.doc = doc
        self.all_rules = []
        self.next_id = 0

    def element(self, tag, parent):
        el = Element(self.doc, tag)
        if parent is not None:
            append_child(parent, el)
        return el

    def declarations(self, n):
        rng = self.rng
        d = {}
        for _ in range(n):
            prop = PROPS[rng.below(10)]
            d[prop] = "v" + str(rng.below(50))
        return d

    def add_sheets(self, head):
        rng = self.rng
        for i in range(STYLE_SHEETS):
            sheet = StyleSheet("sheet" + str(i) + ".css")
            sheet.owner_node = self.element("style", head)
            self.doc.sheets.append(sheet)
            for _ in range(RULES_PER_SHEET):
                cls = rng.below(CLASSES)
                selector = ".c" + str(cls) + " " + TAGS[rng.below(16)]
                spec = rng.below(100)
                decls = self.declarations(1 + rng.below(6))
                rule = Rule(selector, spec, decls, sheet)
                sheet.rules.append(rule)
                self.all_rules.append(rule)

    def compute(self, el, parent):
        key = el.tag + "." + el.class_name
        cache = self.doc.style_cache
        rules = cache.get(key)
        if rules is None:
            rng = self.rng
            all_rules = self.all_rules
            n = 1 + rng.below(5)
            rules = tuple([all_rules[rng.below(len(all_rules))] for _ in range(n)])
            cache[key] = rules
        el.computed = ComputedStyle(parent, rules, el.style)

    def gen(self, parent, depth, comp, elems):
        rng = self.rng
        doc = self.doc
        el = self.element(TAGS[rng.below(16)], parent)
        elems.append(el)
        el.class_name = "c" + str(rng.below(CLASSES))
        if rng.below(8) == 0:
            el.id = "id" + str(self.next_id)
            self.next_id += 1
            doc.by_id[el.id] = el
        for _ in range(rng.below(3)):
            name = ATTRS[rng.below(8)]
            el.attributes[name] = "v" + str(rng.below(1000))
        if rng.below(10) == 0:
            el.style = self.declarations(1 + rng.below(3))
        self.compute(el, parent.computed)
        if rng.below(6) == 0:
            for _ in range(1 + rng.below(2)):
                type_ = EVENTS[rng.below(6)]
                listener = Listener(type_, el, comp)
                if rng.below(2) == 0:
                    listener.data = elems[rng.below(len(elems))]
                if el.events is None:
                    el.events = {}
                el.events.setdefault(type_, []).append(listener)
        if rng.below(2) == 0:
            append_child(el, Text(doc, "text" + str(rng.below(10000))))
        if depth < LEAF_DEPTH:
            base, spread = FAN[depth]
            for _ in range(base + rng.below(spread)):
                self.gen(el, depth + 1, comp, elems)
        return el


def _forget_ids(doc, el):
    if el.id:
        del doc.by_id[el.id]
    child = el.first_child
    while child is not None:
        if isinstance(child, Element):
            _forget_ids(doc, child)
        child = child.next


def _unmount(doc, comp):
    comp.mounted = False
    doc.components.remove(comp)
    for child in comp.children:
        _unmount(doc, child)


def build_dom():
    rng = Rng(DOM_SEED)
    doc = Document()
    b = DomBuilder(rng, doc)
    html = b.element("html", None)
    doc.root = html
    head = b.element("head", html)
    body = b.element("body", html)
    b.add_sheets(head)
    b.compute(html, None)
    b.compute(head, html.computed)
    b.compute(body, html.computed)
    for sheet in doc.sheets:
        b.compute(sheet.owner_node, head.computed)

    comps = []
    elems = []
    for i in range(COMPONENTS):
        parent = None
        mount = body
        if comps and rng.below(3) != 0:
            p = rng.below(len(comps))
            parent = comps[p]
            mount = elems[p][rng.below(len(elems[p]))]
        comp = Component("Comp" + str(i), doc, parent)
        if parent is not None:
            parent.children.append(comp)
        doc.components.append(comp)
        comps.append(comp)
        mine = []
        elems.append(mine)
        root = b.gen(mount, 0, comp, mine)
        comp.root = root
        root.component = comp
        for j in range(rng.below(5)):
            kind = rng.below(3)
            if kind == 0:
                value = mine[rng.below(len(mine))]
            elif kind == 1:
                value = float(rng.below(100))
            else:
                value = "state" + str(rng.below(1000))
            comp.state["s" + str(j)] = value
    for _ in range(REMOVALS):
        comp = comps[rng.below(len(comps))]
        if not comp.mounted:
            continue
        if comp.parent is not None:
            comp.parent.children.remove(comp)
        _unmount(doc, comp)
        root = comp.root
        remove_child(root.parent, root)
        _forget_ids(doc, root)
    return doc


# ---------------------------------------------------------------------- social
# Profiles are dicts of strs and ints (untracked, as the C++ side's Profile);
# a post's hashtags a tuple, its likes and comments lists; notifications a
# bounded deque, the cached feed a deque once built.

SOCIAL_SEED = 0x5EED3003
USERS = 20000
HASHTAGS = 1500
GROUPS = 400
SOCIAL_EVENTS = 750000
NOTIFY_CAP = 20
CITIES = ["Lisbon", "Oslo", "Lima", "Pune", "Osaka", "Accra",
          "Quito", "Turin", "Perth", "Dublin", "Cairo", "Denver"]


class User:
    __slots__ = ("handle", "profile", "following", "followers", "posts", "feed",
                 "notifications")

    def __init__(self, handle, profile):
        self.handle = handle
        self.profile = profile
        self.following = []
        self.followers = []
        self.posts = []
        self.feed = None
        self.notifications = deque(maxlen=NOTIFY_CAP)


class Hashtag:
    __slots__ = ("name", "posts")

    def __init__(self, name):
        self.name = name
        self.posts = []


class Post:
    __slots__ = ("author", "text", "time", "comments", "likes", "tags", "reshare_of")

    def __init__(self, author, text, time):
        self.author = author
        self.text = text
        self.time = time
        self.comments = []
        self.likes = []
        self.tags = ()
        self.reshare_of = None


class Comment:
    __slots__ = ("post", "author", "text", "reply_to", "time")

    def __init__(self, post, author, text, reply_to, time):
        self.post = post
        self.author = author
        self.text = text
        self.reply_to = reply_to
        self.time = time


class Notification:
    __slots__ = ("kind", "sender", "post", "comment")

    def __init__(self, kind, sender, post, comment):
        self.kind = kind
        self.sender = sender
        self.post = post
        self.comment = comment


class Group:
    def __init__(self, name):
        self.name = name
        self.members = []
        self.admins = []
        self.pinned = None


class Network:
    def __init__(self):
        self.users = []
        self.posts = []
        self.tags = {}
        self.groups = []


def build_social():
    rng = Rng(SOCIAL_SEED)
    net = Network()
    users = net.users
    for i in range(USERS):
        bio = "bio" + str(rng.below(1000))
        city = CITIES[rng.below(12)]
        age = 16 + rng.below(60)
        users.append(User("user" + str(i), {"bio": bio, "city": city, "age": age}))
    tags = []
    for i in range(HASHTAGS):
        t = Hashtag("#tag" + str(i))
        net.tags[t.name] = t
        tags.append(t)
    # Follows: a few accounts (low numbers) are followed by many.
    for u in users:
        for _ in range(rng.below(30)):
            if rng.below(3) != 0:
                v = users[rng.below(USERS)]
            else:
                v = users[rng.below(1 + rng.below(USERS))]
            if v is u or v in u.following:
                continue
            u.following.append(v)
            v.followers.append(u)
            v.notifications.append(Notification("follow", u, None, None))
    posts = net.posts
    now = 0
    for u in users:
        for _ in range(rng.below(7)):
            p = Post(u, "post" + str(rng.below(100000)), now)
            now += 1
            chosen = []
            for _ in range(rng.below(3)):
                tag = tags[rng.below(HASHTAGS)]
                chosen.append(tag)
                tag.posts.append(p)
            if chosen:
                p.tags = tuple(chosen)
            if posts and rng.below(10) == 0:
                p.reshare_of = posts[rng.below(len(posts))]
            u.posts.append(p)
            posts.append(p)

    def pick_post(a):
        if a.following and rng.below(4) != 0:
            f = a.following[rng.below(len(a.following))]
            if f.posts:
                return f.posts[rng.below(len(f.posts))]
        return posts[rng.below(len(posts))]

    for _ in range(SOCIAL_EVENTS):
        a = users[rng.below(USERS)]
        kind = rng.below(10)
        if kind < 5:  # a like
            p = pick_post(a)
            if a in p.likes:
                continue
            p.likes.append(a)
            p.author.notifications.append(Notification("like", a, p, None))
        elif kind < 9:  # a comment, sometimes a reply
            p = pick_post(a)
            reply_to = None
            if p.comments and rng.below(3) == 0:
                reply_to = p.comments[rng.below(len(p.comments))]
            c = Comment(p, a, "comment" + str(rng.below(100000)), reply_to, now)
            now += 1
            p.comments.append(c)
            p.author.notifications.append(Notification("comment", a, p, c))
        else:  # the home timeline, rebuilt
            feed = deque()
            for f in a.following[:10]:
                feed.extend(f.posts[-5:])
            a.feed = feed
    for g in range(GROUPS):
        grp = Group("group" + str(g))
        for _ in range(5 + rng.below(150)):
            m = users[rng.below(USERS)]
            if m not in grp.members:
                grp.members.append(m)
        grp.admins = grp.members[:2]
        if rng.below(2) == 0:
            grp.pinned = posts[rng.below(len(posts))]
        net.groups.append(grp)
    return net


# -------------------------------------------------------------------- objmodel
# The runtime's heap in the runtime itself: modules, classes made by type(),
# methods made by each module's factory (closure cell, defaults tuple),
# instances, bound methods, lambdas, weakrefs, and exceptions caught and kept
# with their tracebacks.

OBJ_SEED = 0x5EED3004
MODULES = 30
ROOTS = 10
OBJ_CLASSES = 300
INSTANCES = 220000
ERROR_TYPES = 5
ERRORS = 3000
METHOD_NAMES = ["get", "set", "update", "render", "save", "load",
                "close", "open", "reset", "validate", "parse", "emit",
                "connect", "send", "recv", "flush", "compute", "lookup",
                "register", "notify", "apply", "clone", "merge", "dispatch"]
ATTR_NAMES = ["name", "value", "parent", "children", "owner", "size", "data",
              "kind", "left", "right", "next", "prev", "key", "label",
              "count", "state", "config", "cache", "handler", "target", "source",
              "items", "index", "weight", "color", "width", "height", "x",
              "y", "tag", "meta", "ref"]

FACTORY_SRC = """
def _make(name, k):
    def method(self, x=k):
        return x + k
    method.__name__ = name
    return method
"""


class Interp:
    def __init__(self):
        self.modules = {}
        self.error_types = []
        self.errors = deque()


def make_callback(obj):
    return lambda: obj


def _fail(cls, depth, payload):
    if depth == 0:
        raise cls(payload)
    _fail(cls, depth - 1, payload)


def _capture(cls, depth, payload):
    try:
        _fail(cls, depth, payload)
    except Exception as e:
        err = e
    return err


def make_modules(interp):
    mods = []
    for m in range(MODULES):
        mod = types.ModuleType("mod" + str(m))
        exec(FACTORY_SRC, mod.__dict__)
        interp.modules[mod.__name__] = mod
        mods.append(mod)
    return mods


def make_classes(rng, mods):
    classes = []
    methods = {}
    fields = []
    for c in range(OBJ_CLASSES):
        mod = mods[rng.below(MODULES)]
        bases = ()
        if c >= ROOTS:
            first = classes[rng.below(c)]
            bases = (first,)
            if rng.below(4) == 0:
                mixin = classes[rng.below(ROOTS)]
                if mixin is not first:
                    bases = (first, mixin)
        ns = {"__module__": mod.__name__}
        names = []
        for _ in range(2 + rng.below(7)):
            mname = METHOD_NAMES[rng.below(24)]
            k = rng.below(1000)
            ns[mname] = mod._make(mname, k)
            names.append(mname)
        f = []
        for _ in range(3 + rng.below(6)):
            a = ATTR_NAMES[rng.below(32)]
            if a not in f:
                f.append(a)
        ns["version"] = rng.below(100)
        ns["instances"] = []
        cls = type("Class" + str(c), bases, ns)
        setattr(mod, cls.__name__, cls)
        classes.append(cls)
        methods[cls] = names
        fields.append(f)
    return classes, methods, fields


def make_instances(rng, mods, classes, methods, fields):
    objs = []

    def near():
        n = len(objs)
        if n == 0:
            return None
        return objs[n - 1 - rng.below(min(n, 1000))]

    def any_():
        if not objs:
            return None
        return objs[rng.below(len(objs))]

    def value(obj):
        k = rng.below(20)
        if k < 6:
            return rng.below(100000)
        if k < 9:
            return "s" + str(rng.below(50000))
        if k < 12:
            return near()
        if k == 12:
            return any_()
        if k == 13:
            return None
        if k == 14:
            items = []
            for _ in range(rng.below(10)):
                if rng.below(3) == 0:
                    items.append(rng.below(1000))
                else:
                    items.append(any_())
            return items
        if k == 15:
            d = {}
            for _ in range(1 + rng.below(5)):
                key = "k" + str(rng.below(20))
                if rng.below(2) == 0:
                    d[key] = any_()
                else:
                    d[key] = rng.below(100)
            return d
        if k == 16:
            items = []
            for _ in range(1 + rng.below(4)):
                if rng.below(2) == 0:
                    items.append(rng.below(10))
                else:
                    items.append(near())
            return tuple(items)
        if k == 17:  # a bound method: self.on_x = other.render
            if rng.below(3) == 0 or not objs:
                target = obj
            else:
                target = near()
            names = methods[type(target)]
            return getattr(target, names[rng.below(len(names))])
        if k == 18:  # a callback closing over the object
            return make_callback(obj)
        target = near()
        if target is None:
            return None
        return weakref.ref(target)

    for _ in range(INSTANCES):
        c = rng.below(OBJ_CLASSES)
        cls = classes[c]
        obj = cls()
        for a in fields[c]:
            setattr(obj, a, value(obj))
        cls.instances.append(obj)
        objs.append(obj)
    for mod in mods:
        for j in range(3):
            setattr(mod, "g" + str(j), any_())


def record_errors(interp, rng):
    for _ in range(ERRORS):
        cls = interp.error_types[rng.below(ERROR_TYPES)]
        depth = rng.below(4)
        payload = rng.below(1000)
        err = _capture(cls, depth, payload)
        if rng.below(2) == 0:
            interp.errors.append(err)


def build_objmodel():
    rng = Rng(OBJ_SEED)
    interp = Interp()
    mods = make_modules(interp)
    make_instances(rng, mods, *make_classes(rng, mods))
    interp.error_types = [type("Err" + str(i), (Exception,), {}) for i in range(ERROR_TYPES)]
    record_errors(interp, rng)
    return interp


BUILDERS = {
    "spreadsheet": build_spreadsheet,
    "dom": build_dom,
    "social": build_social,
    "objmodel": build_objmodel,
}


def main():
    run("unseen3.py", BUILDERS)


if __name__ == "__main__":
    main()
