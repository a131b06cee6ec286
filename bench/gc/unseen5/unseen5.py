"""The CPython 3.11 twins of the fifth set of out-of-sample full-collection
workloads (unseen5.cpp): the same classes, the same objects and references,
made in the same order from the same Rng sequence. A C++ std::vector,
std::deque or map held by an object is a list, deque or dict here; an
rcgc::Dict is a dict; a WeakRef is a weakref.ref. A build system's package
and action graph, a filesystem's inodes, dentries and open files, a CAD
half-edge mesh, and an HTTP server's connections, sessions and requests;
each builds its heap, then changes part of it."""
import os
import sys
import weakref
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unseen"))
from harness import Rng, run  # noqa: E402


# ---------------------------------------------------------------------------
# build_graph: a build tool's state after loading a workspace. A package
# registry (packages, their versions, each version's requirements with a
# back pointer to it), the lockfile the resolver chose, the targets of the
# locked packages with their dependencies (reverse dependencies held weakly),
# each target's actions with their input and output artifacts (an output
# points back to the action that produces it), and an action cache with a
# FIFO of entries. Then versions are yanked and new ones published, and some
# actions are rebuilt.

class Requirement:
    __slots__ = ("dependent", "target", "range", "optional", "resolved")

    def __init__(self, dependent):
        self.dependent = dependent
        self.target = None
        self.range = ""
        self.optional = False
        self.resolved = None


class Version:
    __slots__ = ("package", "number", "checksum", "deps")

    def __init__(self, package, number):
        self.package = package
        self.number = number
        self.checksum = ""
        self.deps = []


class Package:
    __slots__ = ("registry", "name", "index", "versions", "latest")

    def __init__(self, registry, name, index):
        self.registry = registry
        self.name = name
        self.index = index
        self.versions = []
        self.latest = None


class Registry:
    __slots__ = ("packages", "index")

    def __init__(self):
        self.packages = {}
        self.index = {}


class Lockfile:
    __slots__ = ("entries",)

    def __init__(self):
        self.entries = {}


class Artifact:
    __slots__ = ("path", "producer")

    def __init__(self, path, producer):
        self.path = path
        self.producer = producer


class Action:
    __slots__ = ("owner", "mnemonic", "key", "env", "inputs", "outputs")

    def __init__(self, owner, mnemonic, key):
        self.owner = owner
        self.mnemonic = mnemonic
        self.key = key
        self.env = {"PATH": "/usr/bin:/bin", "CC": "cc", "TARGET": owner.label}
        self.inputs = []
        self.outputs = []


class Target:
    __slots__ = ("workspace", "label", "index", "version", "deps", "rdeps", "actions",
                 "__weakref__")

    def __init__(self, workspace, label, index, version):
        self.workspace = workspace
        self.label = label
        self.index = index
        self.version = version
        self.deps = []
        self.rdeps = []
        self.actions = []


class CacheEntry:
    __slots__ = ("key", "action", "outputs", "hits")

    def __init__(self, key, action, outputs):
        self.key = key
        self.action = action
        self.outputs = outputs
        self.hits = 0


class ActionCache:
    __slots__ = ("entries", "fifo", "capacity")

    def __init__(self, capacity):
        self.entries = {}
        self.fifo = deque()
        self.capacity = capacity


class Workspace:
    __slots__ = ("registry", "lock", "cache", "targets", "order")

    def __init__(self):
        self.registry = None
        self.lock = None
        self.cache = None
        self.targets = {}
        self.order = []


MNEMONICS = ("CppCompile", "CppLink", "Genrule", "Javac", "TestRunner")


def build_graph():
    rng = Rng(0x5EED0501)
    n_packages = 6000
    ws = Workspace()
    reg = Registry()
    ws.registry = reg

    def new_version(pkg, number, max_deps):
        v = Version(pkg, number)
        v.checksum = "sha256:%d" % rng.below(1000000007)
        n = 0 if pkg.index == 0 else rng.below(max_deps)
        for _ in range(n):
            req = Requirement(v)
            req.target = reg.packages["pkg%d" % rng.below(pkg.index)]
            req.range = "^%d.0" % rng.below(3)
            req.optional = rng.below(6) == 0
            v.deps.append(req)
        pkg.versions.append(v)
        pkg.latest = v
        reg.index[pkg.name + "@" + number] = v

    for p in range(n_packages):
        pkg = Package(reg, "pkg%d" % p, p)
        reg.packages[pkg.name] = pkg
        nv = 1 + rng.below(12)
        for k in range(nv):
            new_version(pkg, "%d.%d.0" % (k // 4, k % 4), 8)

    lock = Lockfile()
    ws.lock = lock
    entries = lock.entries
    queue = []
    for _ in range(1500):
        pkg = reg.packages["pkg%d" % rng.below(n_packages)]
        if pkg.name not in entries:
            entries[pkg.name] = pkg.versions[rng.below(len(pkg.versions))]
            queue.append(pkg)
    head = 0
    while head < len(queue):
        ver = entries[queue[head].name]
        head += 1
        for req in ver.deps:
            if req.optional:
                continue
            t = req.target
            if t.name not in entries:
                entries[t.name] = t.versions[rng.below(len(t.versions))]
                queue.append(t)
    queue = None
    for ver in entries.values():
        for req in ver.deps:
            v = entries.get(req.target.name)
            if v is not None:
                req.resolved = v

    for name, ver in entries.items():
        nt = 1 + rng.below(5)
        for i in range(nt):
            t = Target(ws, "%s:t%d" % (name, i), i, ver)
            ws.targets[t.label] = t
            ws.order.append(t)

    def add_dep(t, d):
        t.deps.append(d)
        d.rdeps.append(weakref.ref(t))

    for t in ws.order:
        pkg = t.version.package.name
        if t.index > 0:
            add_dep(t, ws.targets["%s:t%d" % (pkg, t.index - 1)])
        for req in t.version.deps:
            if req.resolved is not None and (t.index == 0 or rng.below(3) == 0):
                add_dep(t, ws.targets[req.target.name + ":t0"])

    next_action = 0
    for t in ws.order:
        na = 1 + rng.below(3)
        for j in range(na):
            a = Action(t, MNEMONICS[rng.below(5)], "ak%d" % next_action)
            next_action += 1
            ns = rng.below(5)
            for s in range(ns):
                a.inputs.append(Artifact("%s/src%d_%d.c" % (t.label, j, s), None))
            if j > 0:
                a.inputs.append(t.actions[j - 1].outputs[0])
            no = 1 + rng.below(2)
            for o in range(no):
                a.outputs.append(Artifact("out/%s/%d_%d.o" % (t.label, j, o), a))
            t.actions.append(a)
    for t in ws.order:
        for d in t.deps:
            t.actions[0].inputs.append(d.actions[-1].outputs[0])

    cache = ActionCache(30000)
    ws.cache = cache

    def cache_put(a):
        e = CacheEntry(a.key, a, list(a.outputs))
        cache.entries[e.key] = e
        cache.fifo.append(e)
        while len(cache.fifo) > cache.capacity:
            old = cache.fifo.popleft()
            if cache.entries.get(old.key) is old:
                del cache.entries[old.key]

    for t in ws.order:
        for a in t.actions:
            if rng.below(3) != 0:
                cache_put(a)

    for k in range(n_packages // 4):
        pkg = reg.packages["pkg%d" % rng.below(n_packages)]
        if len(pkg.versions) > 1:
            i = rng.below(len(pkg.versions))
            v = pkg.versions[i]
            if entries.get(pkg.name) is not v:
                del pkg.versions[i]
                del reg.index[pkg.name + "@" + v.number]
                if pkg.latest is v:
                    pkg.latest = pkg.versions[-1]
        new_version(pkg, "%d.0.post%d" % (len(pkg.versions), k), 4)

    rebuilds = len(ws.order) // 5
    for k in range(rebuilds):
        t = ws.order[rng.below(len(ws.order))]
        old = t.actions[-1]
        a = Action(t, old.mnemonic, "ak%d" % next_action)
        next_action += 1
        a.inputs = list(old.inputs)
        no = 1 + rng.below(2)
        for o in range(no):
            a.outputs.append(Artifact("out/%s/r%d_%d.o" % (t.label, k, o), a))
        t.actions[-1] = a
        cache.entries.pop(old.key, None)
        cache_put(a)
    return ws


# ---------------------------------------------------------------------------
# vfs: a filesystem's in-memory state. A superblock with its inode table,
# directory, file and symlink inodes, a dentry tree (children in a dict, a
# parent pointer up, the root its own parent), hard links, each file's cached
# pages by page index (a page points back to its inode), a writeback queue;
# processes in a tree with their fd tables (open files shared across fork,
# empty slots), record locks, and inotify watches holding their directory
# weakly. Then files are unlinked, created, renamed, the writeback queue
# flushed, some processes exit and new ones are forked.

class Inode:
    __slots__ = ("sb", "ino", "mode", "nlink", "opens", "size")

    def __init__(self):
        self.sb = None
        self.ino = 0
        self.mode = 0
        self.nlink = 0
        self.opens = 0
        self.size = 0


class FileInode(Inode):
    __slots__ = ("pages", "locks", "queued")

    def __init__(self):
        Inode.__init__(self)
        self.pages = {}
        self.locks = None  # a list once locked
        self.queued = False


class DirInode(Inode):
    __slots__ = ("alias",)

    def __init__(self):
        Inode.__init__(self)
        self.alias = None


class SymlinkInode(Inode):
    __slots__ = ("target",)

    def __init__(self):
        Inode.__init__(self)
        self.target = ""


class Dentry:
    __slots__ = ("name", "parent", "inode", "children", "__weakref__")

    def __init__(self, name, parent, inode, is_dir):
        self.name = name
        self.parent = parent
        self.inode = inode
        self.children = {} if is_dir else None


class Page:
    __slots__ = ("mapping", "index", "dirty")

    def __init__(self, mapping, index):
        self.mapping = mapping
        self.index = index
        self.dirty = False


class SuperBlock:
    __slots__ = ("inodes", "root", "orphans", "writeback", "next_ino")

    def __init__(self):
        self.inodes = {}
        self.root = None
        self.orphans = []
        self.writeback = deque()
        self.next_ino = 1


class OpenFile:
    __slots__ = ("dentry", "inode", "pos", "flags", "refs")

    def __init__(self, dentry, inode):
        self.dentry = dentry
        self.inode = inode
        self.pos = 0
        self.flags = 0
        self.refs = 1


class FileLock:
    __slots__ = ("owner", "file", "start", "len")

    def __init__(self, owner, file, start, length):
        self.owner = owner
        self.file = file
        self.start = start
        self.len = length


class Watch:
    __slots__ = ("owner", "target", "wd")

    def __init__(self, owner, target, wd):
        self.owner = owner
        self.target = target
        self.wd = wd


class Process:
    __slots__ = ("pid", "parent", "children", "cwd", "fds", "watches", "alive")

    def __init__(self, pid, parent, cwd):
        self.pid = pid
        self.parent = parent
        self.children = []
        self.cwd = cwd
        self.fds = []
        self.watches = []
        self.alive = True


class Kernel:
    __slots__ = ("sb", "procs", "init")

    def __init__(self):
        self.sb = None
        self.procs = {}
        self.init = None


def vfs():
    rng = Rng(0x5EED0502)
    n_dirs, n_files, n_symlinks, n_links = 12000, 100000, 8000, 15000
    n_procs, n_unlinks, n_new_files, n_renames = 2000, 20000, 20000, 5000
    n_exits, n_forks = 300, 300
    kernel = Kernel()
    sb = SuperBlock()
    kernel.sb = sb

    def add_inode(i, mode):
        i.sb = sb
        i.ino = sb.next_ino
        sb.next_ino += 1
        i.mode = mode
        sb.inodes[i.ino] = i

    def new_dentry(name, parent, inode, is_dir):
        de = Dentry(name, parent, inode, is_dir)
        if parent is not None:
            parent.children[name] = de
        return de

    root_inode = DirInode()
    add_inode(root_inode, 0o40755)
    root_inode.nlink = 2
    root = new_dentry("/", None, root_inode, True)
    root.parent = root
    root_inode.alias = root
    sb.root = root

    dirs = [root]
    for d in range(n_dirs):
        parent = dirs[rng.below(len(dirs))]
        ino = DirInode()
        add_inode(ino, 0o40755)
        ino.nlink = 2
        de = new_dentry("d%d" % d, parent, ino, True)
        ino.alias = de
        parent.inode.nlink += 1
        dirs.append(de)

    files = []

    def mark_dirty(ino):
        if not ino.queued:
            ino.queued = True
            sb.writeback.append(ino)

    def new_file(name, parent):
        ino = FileInode()
        add_inode(ino, 0o100644)
        ino.nlink = 1
        npages = rng.below(5)
        for p in range(npages):
            page = Page(ino, p)
            ino.pages[p] = page
            ino.size = (p + 1) * 4096
            if rng.below(4) == 0:
                page.dirty = True
                mark_dirty(ino)
        files.append(new_dentry(name, parent, ino, False))

    for f in range(n_files):
        new_file("f%d" % f, dirs[rng.below(len(dirs))])
    for s in range(n_symlinks):
        parent = dirs[rng.below(len(dirs))]
        ino = SymlinkInode()
        add_inode(ino, 0o120777)
        ino.nlink = 1
        d = rng.below(n_dirs)
        f = rng.below(n_files)
        ino.target = "/d%d/f%d" % (d, f)
        new_dentry("s%d" % s, parent, ino, False)
    for h in range(n_links):
        src = files[rng.below(len(files))]
        parent = dirs[rng.below(len(dirs))]
        files.append(new_dentry("l%d" % h, parent, src.inode, False))
        src.inode.nlink += 1

    init = Process(1, None, root)
    kernel.procs[init.pid] = init
    kernel.init = init
    plist = [init]

    def spawn(parent):
        if not parent.alive:
            parent = init
        p = Process(len(plist) + 1, parent, None)
        p.cwd = dirs[rng.below(len(dirs))]
        parent.children.append(p)
        kernel.procs[p.pid] = p
        plist.append(p)
        nfd = 3 + rng.below(20)
        for _ in range(nfd):
            r = rng.below(8)
            if r == 0 and parent.fds:
                of = parent.fds[rng.below(len(parent.fds))]
                if of is not None:
                    of.refs += 1
                p.fds.append(of)
            elif r == 1:
                p.fds.append(None)
            else:
                de = files[rng.below(len(files))]
                if de.parent is None:
                    p.fds.append(None)
                    continue
                of = OpenFile(de, de.inode)
                of.flags = rng.below(3)
                of.inode.opens += 1
                p.fds.append(of)
                if rng.below(8) == 0:
                    lock = FileLock(p, of, rng.below(100) * 4096, 4096)
                    if of.inode.locks is None:
                        of.inode.locks = []
                    of.inode.locks.append(lock)
        if rng.below(2) == 0:
            w = Watch(p, weakref.ref(dirs[rng.below(len(dirs))]), len(p.watches) + 1)
            p.watches.append(w)

    for _ in range(1, n_procs):
        spawn(plist[rng.below(len(plist))])

    for _ in range(n_unlinks):
        de = files[rng.below(len(files))]
        if de.parent is None:
            continue
        del de.parent.children[de.name]
        de.parent = None
        ino = de.inode
        ino.nlink -= 1
        if ino.nlink == 0:
            if ino.opens > 0:
                sb.orphans.append(ino)
            else:
                del sb.inodes[ino.ino]
    for n in range(n_new_files):
        new_file("n%d" % n, dirs[rng.below(len(dirs))])
    for r in range(n_renames):
        de = files[rng.below(len(files))]
        if de.parent is None:
            continue
        to = dirs[rng.below(len(dirs))]
        del de.parent.children[de.name]
        de.name = "r%d" % r
        de.parent = to
        to.children[de.name] = de

    for _ in range(len(sb.writeback) // 2):
        ino = sb.writeback.popleft()
        ino.queued = False
        for page in ino.pages.values():
            page.dirty = False

    def close_fd(p, slot):
        of = p.fds[slot]
        p.fds[slot] = None
        if of is None:
            return
        of.refs -= 1
        if of.refs > 0:
            return
        ino = of.inode
        ino.opens -= 1
        if ino.locks is not None:
            ino.locks = [lk for lk in ino.locks if lk.file is not of]
        if ino.opens == 0 and ino.nlink == 0:
            sb.orphans.remove(ino)
            del sb.inodes[ino.ino]

    for _ in range(n_exits):
        p = plist[1 + rng.below(len(plist) - 1)]
        if not p.alive:
            continue
        p.alive = False
        for slot in range(len(p.fds)):
            close_fd(p, slot)
        p.fds.clear()
        p.watches.clear()
        del kernel.procs[p.pid]
        p.parent.children.remove(p)
        for c in p.children:
            c.parent = init
            init.children.append(c)
        p.children.clear()
        p.parent = None
    for _ in range(n_forks):
        spawn(plist[rng.below(len(plist))])
    return kernel


# ---------------------------------------------------------------------------
# mesh: a CAD document of closed quad meshes in half-edge form. Each body is
# a torus grid: vertices, faces, edges, and four half-edges per face linked
# to their origin, twin, next, previous, face and edge; a dict from vertex
# pair to half-edge and a bounding volume hierarchy over the faces. A feature
# history references earlier features and the faces it made. Then random
# quads are split into two triangles, the hierarchies of the bodies with many
# new faces are rebuilt, and features are deleted and added.

class Material:
    __slots__ = ("name", "color", "base")

    def __init__(self, name):
        self.name = name
        self.color = 0
        self.base = None


class Vertex:
    __slots__ = ("out", "id", "x", "y", "z")

    def __init__(self, vid):
        self.out = None
        self.id = vid
        self.x = 0.0
        self.y = 0.0
        self.z = 0.0


class HalfEdge:
    __slots__ = ("origin", "twin", "next", "prev", "face", "edge")

    def __init__(self, origin, face):
        self.origin = origin
        self.twin = None
        self.next = None
        self.prev = None
        self.face = face
        self.edge = None


class Edge:
    __slots__ = ("half", "sharp")

    def __init__(self, half):
        self.half = half
        self.sharp = False


class Face:
    __slots__ = ("body", "id", "half", "material")

    def __init__(self, body, fid, material):
        self.body = body
        self.id = fid
        self.half = None
        self.material = material


class BVHNode:
    __slots__ = ("parent", "left", "right", "lo", "hi", "faces")

    def __init__(self, parent, lo, hi):
        self.parent = parent
        self.left = None
        self.right = None
        self.lo = lo
        self.hi = hi
        self.faces = None  # leaves only


class Body:
    __slots__ = ("doc", "name", "vertices", "faces", "edges", "halfedges", "bvh", "dirty")

    def __init__(self, doc, name):
        self.doc = doc
        self.name = name
        self.vertices = []
        self.faces = []
        self.edges = []
        self.halfedges = {}
        self.bvh = None
        self.dirty = []


class Feature:
    __slots__ = ("kind", "body", "inputs", "faces", "params")

    def __init__(self, kind, body):
        self.kind = kind
        self.body = body
        self.inputs = []
        self.faces = []
        self.params = {}


class Document:
    __slots__ = ("bodies", "materials", "history")

    def __init__(self):
        self.bodies = []
        self.materials = {}
        self.history = []


def build_bvh(faces, lo, hi, parent):
    node = BVHNode(parent, lo, hi)
    if hi - lo <= 8:
        node.faces = faces[lo:hi]
    else:
        mid = (lo + hi) // 2
        node.left = build_bvh(faces, lo, mid, node)
        node.right = build_bvh(faces, mid, hi, node)
    return node


KINDS = ("extrude", "revolve", "fillet", "chamfer", "shell", "boolean")


def mesh():
    rng = Rng(0x5EED0503)
    n_materials, n_bodies, n_features, n_splits = 24, 20, 800, 10000
    doc = Document()
    mats = []
    for m in range(n_materials):
        mat = Material("mat%d" % m)
        mat.color = rng.below(1 << 24)
        if m > 0:
            mat.base = mats[rng.below(m)]
        doc.materials[mat.name] = mat
        mats.append(mat)

    def add_face(body, ids, mat):
        f = Face(body, len(body.faces), mat)
        body.faces.append(f)
        verts = body.vertices
        hes = [HalfEdge(verts[ids[k]], f) for k in range(4)]
        for k in range(4):
            hes[k].next = hes[(k + 1) % 4]
            hes[k].prev = hes[(k + 3) % 4]
        halfedges = body.halfedges
        for k in range(4):
            he = hes[k]
            u = ids[k]
            v = ids[(k + 1) % 4]
            twin = halfedges.get(v << 32 | u)
            if twin is not None:
                he.twin = twin
                twin.twin = he
                he.edge = twin.edge
            else:
                e = Edge(he)
                body.edges.append(e)
                he.edge = e
            halfedges[u << 32 | v] = he
            if he.origin.out is None:
                he.origin.out = he
        f.half = hes[0]

    for b in range(n_bodies):
        body = Body(doc, "body%d" % b)
        doc.bodies.append(body)
        w = 50 + rng.below(30)
        h = 40 + rng.below(30)
        for i in range(w):
            for j in range(h):
                v = Vertex(i * h + j)
                v.x = float(i) + float(rng.below(1000)) / 1000.0
                v.y = float(j)
                body.vertices.append(v)
        for i in range(w):
            for j in range(h):
                i1 = (i + 1) % w
                j1 = (j + 1) % h
                add_face(body, (i * h + j, i1 * h + j, i1 * h + j1, i * h + j1),
                         mats[rng.below(n_materials)])
        body.bvh = build_bvh(body.faces, 0, len(body.faces), None)

    def new_feature(first):
        body = doc.bodies[rng.below(len(doc.bodies))]
        feat = Feature(KINDS[rng.below(6)], body)
        if not first:
            ni = 1 + rng.below(3)
            for _ in range(ni):
                feat.inputs.append(doc.history[rng.below(len(doc.history))])
        nf = 1 + rng.below(60)
        for _ in range(nf):
            feat.faces.append(body.faces[rng.below(len(body.faces))])
        feat.params["depth"] = float(rng.below(100))
        feat.params["angle"] = float(rng.below(360))
        doc.history.append(feat)

    for k in range(n_features):
        new_feature(k == 0)

    for _ in range(n_splits):
        body = doc.bodies[rng.below(len(doc.bodies))]
        f = body.faces[rng.below(len(body.faces))]
        h0 = f.half
        h1 = h0.next
        h2 = h1.next
        h3 = h2.next
        if h3.next is not h0:
            continue
        a = h0.origin
        c = h2.origin
        g = Face(body, len(body.faces), f.material)
        body.faces.append(g)
        n1 = HalfEdge(c, f)
        n2 = HalfEdge(a, g)
        h1.next = n1
        n1.next = h0
        n1.prev = h1
        h0.prev = n1
        n2.next = h2
        h3.next = n2
        n2.prev = h3
        h2.prev = n2
        h2.face = g
        h3.face = g
        e = Edge(n1)
        body.edges.append(e)
        n1.edge = e
        n2.edge = e
        n1.twin = n2
        n2.twin = n1
        g.half = n2
        body.halfedges[c.id << 32 | a.id] = n1
        body.halfedges[a.id << 32 | c.id] = n2
        body.dirty.append(g)
    for body in doc.bodies:
        if len(body.dirty) >= 500:
            body.bvh = build_bvh(body.faces, 0, len(body.faces), None)
            body.dirty.clear()

    for _ in range(200):
        i = rng.below(len(doc.history))
        del doc.history[i]
        new_feature(False)
    return doc


# ---------------------------------------------------------------------------
# http_server: a web server in the middle of its day. An app with a
# middleware chain, a router (a trie of route nodes with parent pointers),
# a product catalog, users with roles and weak references to their sessions;
# a session store whose sessions hold carts and the last few requests; open
# connections with pipelined requests; requests with header dicts, pointing
# to their connection, route, session and response; responses with cookies;
# an access log ring and workers holding their current request. Built by
# serving a stream of requests while sessions expire and are created and
# connections close and open.

class Role:
    __slots__ = ("name", "perms", "parent")

    def __init__(self, name):
        self.name = name
        self.perms = []
        self.parent = None


class User:
    __slots__ = ("uid", "name", "roles", "sessions")

    def __init__(self, uid, name):
        self.uid = uid
        self.name = name
        self.roles = []
        self.sessions = []


class Product:
    __slots__ = ("pid", "name", "price", "related")

    def __init__(self, pid, name):
        self.pid = pid
        self.name = name
        self.price = 0
        self.related = []


class CartItem:
    __slots__ = ("product", "qty", "session")

    def __init__(self, session):
        self.product = None
        self.qty = 0
        self.session = session


class Request:
    __slots__ = ("id", "method", "path", "headers", "params", "conn", "route", "session",
                 "response")

    def __init__(self, rid, conn, route):
        self.id = rid
        self.method = ""
        self.path = route.pattern
        self.headers = {}
        self.params = {}
        self.conn = conn
        self.route = route
        self.session = None
        self.response = None


class Session:
    __slots__ = ("sid", "store", "user", "csrf", "cart", "history", "__weakref__")

    def __init__(self, sid, store):
        self.sid = sid
        self.store = store
        self.user = None
        self.csrf = ""
        self.cart = []
        self.history = deque()


class SessionStore:
    __slots__ = ("sessions", "expiry", "by_user")

    def __init__(self):
        self.sessions = {}
        self.expiry = deque()
        self.by_user = {}


class Middleware:
    __slots__ = ("name", "app", "next", "config")

    def __init__(self, name, app):
        self.name = name
        self.app = app
        self.next = None
        self.config = {}


class RouteNode:
    __slots__ = ("parent", "children", "param", "route")

    def __init__(self, parent):
        self.parent = parent
        self.children = {}
        self.param = None
        self.route = None


class Route:
    __slots__ = ("pattern", "handler", "methods", "node", "chain", "hits")

    def __init__(self, pattern, handler, node):
        self.pattern = pattern
        self.handler = handler
        self.methods = ["GET"]
        self.node = node
        self.chain = []
        self.hits = 0


class Router:
    __slots__ = ("root", "routes")

    def __init__(self):
        self.root = RouteNode(None)
        self.routes = []


class App:
    __slots__ = ("server", "router", "middleware", "catalog")

    def __init__(self, server):
        self.server = server
        self.router = None
        self.middleware = []
        self.catalog = {}


class Connection:
    __slots__ = ("fd", "peer", "server", "pending", "last", "open")

    def __init__(self, fd, server):
        self.fd = fd
        self.peer = ""
        self.server = server
        self.pending = deque()
        self.last = None
        self.open = True


class Cookie:
    __slots__ = ("name", "value", "session")

    def __init__(self, name, value, session):
        self.name = name
        self.value = value
        self.session = session


class Response:
    __slots__ = ("status", "headers", "body", "request", "cookies")

    def __init__(self, status, request):
        self.status = status
        self.headers = {}
        self.body = ""
        self.request = request
        self.cookies = None  # a list once a cookie is set


class LogRecord:
    __slots__ = ("request", "status", "micros")

    def __init__(self, request, status):
        self.request = request
        self.status = status
        self.micros = 0


class Worker:
    __slots__ = ("id", "server", "current")

    def __init__(self, wid, server):
        self.id = wid
        self.server = server
        self.current = None


class Server:
    __slots__ = ("app", "conns", "store", "users", "roles", "access_log", "workers", "next_fd")

    def __init__(self):
        self.app = None
        self.conns = {}
        self.store = None
        self.users = {}
        self.roles = []
        self.access_log = deque()
        self.workers = []
        self.next_fd = 3


SEGMENTS = ("api", "v1", "v2", "users", "orders", "items",
            "search", "admin", "static", "auth", "cart", "products")
STATUSES = (200, 200, 200, 302, 404, 500)


def http_server():
    rng = Rng(0x5EED0504)
    n_roles, n_middleware, n_products, n_users = 12, 10, 5000, 20000
    n_routes, n_sessions, n_conns, n_workers = 400, 50000, 3000, 16
    n_requests, log_cap = 120000, 60000
    server = Server()
    app = App(server)
    server.app = app

    for r in range(n_roles):
        role = Role("role%d" % r)
        for _ in range(3):
            role.perms.append("perm%d" % rng.below(50))
        if r > 0:
            role.parent = server.roles[rng.below(r)]
        server.roles.append(role)
    for m in range(n_middleware):
        mw = Middleware("mw%d" % m, app)
        mw.config["level"] = "%d" % rng.below(5)
        if m > 0:
            app.middleware[-1].next = mw
        app.middleware.append(mw)
    for p in range(n_products):
        prod = Product(p, "prod%d" % p)
        prod.price = rng.below(10000)
        if p > 0:
            nr = rng.below(5)
            for _ in range(nr):
                prod.related.append(app.catalog[rng.below(p)])
        app.catalog[p] = prod
    for u in range(n_users):
        user = User(u, "user%d" % u)
        nr = 1 + rng.below(2)
        for _ in range(nr):
            user.roles.append(server.roles[rng.below(n_roles)])
        server.users[u] = user

    router = Router()
    app.router = router
    for r in range(n_routes):
        depth = 2 + rng.below(3)
        node = router.root
        pattern = ""
        for d in range(depth):
            if rng.below(4) == 0:
                if node.param is None:
                    node.param = RouteNode(node)
                node = node.param
                pattern += "/{p%d}" % d
            else:
                seg = SEGMENTS[rng.below(12)]
                child = node.children.get(seg)
                if child is None:
                    child = RouteNode(node)
                    node.children[seg] = child
                node = child
                pattern += "/" + seg
        if node.route is not None:
            continue
        route = Route(pattern, "h%d" % r, node)
        if rng.below(2) == 0:
            route.methods.append("POST")
        nm = rng.below(4)
        for _ in range(nm):
            route.chain.append(app.middleware[rng.below(n_middleware)])
        node.route = route
        router.routes.append(route)

    store = SessionStore()
    server.store = store
    next_sid = 0

    def new_session():
        nonlocal next_sid
        s = Session("sid%d" % next_sid, store)
        next_sid += 1
        if rng.below(5) != 0:
            user = server.users[rng.below(n_users)]
            s.user = user
            user.sessions.append(weakref.ref(s))
            store.by_user.setdefault(user.uid, []).append(s)
        s.csrf = "csrf%d" % rng.below(1 << 30)
        nc = rng.below(5)
        for _ in range(nc):
            item = CartItem(s)
            item.product = app.catalog[rng.below(n_products)]
            item.qty = 1 + rng.below(3)
            s.cart.append(item)
        store.sessions[s.sid] = s
        store.expiry.append(s)

    def expire():
        s = store.expiry.popleft()
        if store.sessions.get(s.sid) is s:
            del store.sessions[s.sid]
        if s.user is not None:
            lst = store.by_user[s.user.uid]
            lst.remove(s)
            if not lst:
                del store.by_user[s.user.uid]

    open_conns = []

    def open_conn():
        c = Connection(server.next_fd, server)
        server.next_fd += 1
        a = rng.below(256)
        b = rng.below(256)
        c.peer = "10.0.%d.%d" % (a, b)
        server.conns[c.fd] = c
        open_conns.append(c)

    def close_conn():
        i = rng.below(len(open_conns))
        c = open_conns[i]
        open_conns[i] = open_conns[-1]
        open_conns.pop()
        c.open = False
        del server.conns[c.fd]
        c.pending.clear()

    for _ in range(n_sessions):
        new_session()
    for _ in range(n_conns):
        open_conn()
    for w in range(n_workers):
        server.workers.append(Worker(w, server))

    access_log = server.access_log

    def complete(req):
        resp = Response(STATUSES[rng.below(6)], req)
        req.response = resp
        resp.headers["Content-Type"] = "text/html"
        resp.headers["Content-Length"] = "%d" % rng.below(5000)
        resp.body = "<html>%d</html>" % req.id
        if req.session is not None and rng.below(4) == 0:
            resp.cookies = [Cookie("sid", req.session.sid, req.session)]
        req.conn.last = req
        req.route.hits += 1
        log = LogRecord(req, resp.status)
        log.micros = rng.below(100000)
        access_log.append(log)
        if len(access_log) > log_cap:
            access_log.popleft()

    routes = router.routes
    for r in range(n_requests):
        if r % 1000 == 999:
            for _ in range(150):
                expire()
                new_session()
            for _ in range(30):
                close_conn()
                open_conn()
        c = open_conns[rng.below(len(open_conns))]
        route = routes[rng.below(len(routes))]
        req = Request(r, c, route)
        req.method = route.methods[rng.below(len(route.methods))]
        req.headers["Host"] = "example.com"
        req.headers["User-Agent"] = "agent%d" % rng.below(20)
        req.headers["Accept"] = "*/*"
        if rng.below(3) != 0:
            sid = "sid%d" % rng.below(next_sid)
            s = store.sessions.get(sid)
            if s is not None:
                req.session = s
                req.headers["Cookie"] = "sid=" + sid
                s.history.append(req)
                if len(s.history) > 4:
                    s.history.popleft()
        if "{" in route.pattern:
            req.params["id"] = "%d" % rng.below(100000)
        c.pending.append(req)
        keep = rng.below(3)
        while len(c.pending) > keep:
            complete(c.pending.popleft())
        server.workers[r % n_workers].current = req
    return server


BUILDERS = {
    "build_graph": build_graph,
    "vfs": vfs,
    "mesh": mesh,
    "http_server": http_server,
}

if __name__ == "__main__":
    run("unseen5.py", BUILDERS)
