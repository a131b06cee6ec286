"""The Python 3.11 twins of unseen4.cpp's workloads: the same heaps, built
from the same splitmix64 draws in the same order (see unseen4.cpp for what
each one is). `python3 unseen4.py NAME` prints what ../unseen/harness.py
prints."""
import collections
import os
import sys
import weakref

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unseen"))
import harness  # noqa: E402

Rng = harness.Rng
M64 = harness.M64


# ---------------------------------------------------------------- scene
class scene:
    FRAMES = 400
    SPAWN = 250
    DESPAWN = 55
    CONTACTS = 150
    REPARENTS = 25
    SCRIPT_UPDATES = 40
    BONES = 16
    MAX_EVENTS = 3000
    GRID = 64

    class Shader:
        def __init__(self, name):
            self.name = name
            self.users = []

    class Material:
        def __init__(self, name, shader):
            self.name = name
            self.shader = shader

    class MeshAsset:
        def __init__(self, name, material, lod):
            self.name = name
            self.material = material
            self.lod = lod

    class Transform:
        def __init__(self, entity, name=""):
            self.entity = entity
            self.parent = None
            self.first_child = None
            self.next_sibling = None
            self.prev_sibling = None
            self.name = name
            self.x = 0.0
            self.y = 0.0
            self.z = 0.0

    class Component:
        def __init__(self, entity):
            self.entity = entity
            self.system = None
            self.slot = 0

    class MeshRenderer(Component):
        def __init__(self, entity):
            scene.Component.__init__(self, entity)
            self.mesh = None
            self.material = None

    class Collider:
        def __init__(self, body):
            self.body = body
            self.shape = 0
            self.radius = 1.0

    class RigidBody(Component):
        def __init__(self, entity):
            scene.Component.__init__(self, entity)
            self.collider = None
            self.contacts = []
            self.vx = 0.0
            self.vy = 0.0

    class Timer:
        def __init__(self, script, due):
            self.script = script
            self.due = due

    class Script(Component):
        def __init__(self, entity):
            scene.Component.__init__(self, entity)
            self.target = None
            self.vars = {}
            self.timer = None

    class Animator(Component):
        def __init__(self, entity):
            scene.Component.__init__(self, entity)
            self.skeleton = None
            self.bones = []
            self.clip = 0

    class Cell:
        def __init__(self, key):
            self.key = key
            self.members = []
            self.sleeping = set()
            self.west = self.east = self.north = self.south = None

    class Entity:
        def __init__(self, id, world):
            self.id = id
            self.name = "entity%d" % id
            self.world = world
            self.transform = None
            self.components = {}
            self.cell = None
            self.alive_slot = 0
            self.alive = True

    class System:
        def __init__(self, name, world):
            self.name = name
            self.world = world
            self.components = []

    class Event:
        def __init__(self, kind, frame, a, b):
            self.kind = kind
            self.frame = frame
            self.a = a
            self.b = b

    class World:
        def __init__(self):
            self.entities = {}
            self.alive = []
            self.root = None
            self.systems = []
            self.grid = {}
            self.events = collections.deque()
            self.meshes = []
            self.materials = []
            self.shaders = []
            self.next_id = 0

    @staticmethod
    def attach(child, parent):
        child.parent = parent
        child.prev_sibling = None
        first = parent.first_child
        child.next_sibling = first
        if first is not None:
            first.prev_sibling = child
        parent.first_child = child

    @staticmethod
    def detach(child):
        prev, nxt = child.prev_sibling, child.next_sibling
        if prev is not None:
            prev.next_sibling = nxt
        elif child.parent is not None:
            child.parent.first_child = nxt
        if nxt is not None:
            nxt.prev_sibling = prev
        child.parent = None
        child.prev_sibling = None
        child.next_sibling = None

    @staticmethod
    def cell_at(w, cx, cy):
        G = scene.GRID
        key = cx * G + cy
        c = w.grid.get(key)
        if c is not None:
            return c
        c = scene.Cell(key)
        w.grid[key] = c
        if cx > 0:
            n = w.grid.get(key - G)
            if n is not None:
                c.west = n
                n.east = c
        if cx < G - 1:
            n = w.grid.get(key + G)
            if n is not None:
                c.east = n
                n.west = c
        if cy > 0:
            n = w.grid.get(key - 1)
            if n is not None:
                c.north = n
                n.south = c
        if cy < G - 1:
            n = w.grid.get(key + 1)
            if n is not None:
                c.south = n
                n.north = c
        return c

    @staticmethod
    def add_to(s, c):
        c.system = s
        c.slot = len(s.components)
        s.components.append(c)

    @staticmethod
    def remove_from_system(c):
        s = c.system
        i = c.slot
        last = s.components[-1]
        s.components[i] = last
        last.slot = i
        s.components.pop()
        c.system = None

    @staticmethod
    def add_contact(a, b):
        if len(a.contacts) == 4:
            del a.contacts[0]
        a.contacts.append(b)

    @staticmethod
    def spawn(w, rng, frame):
        id = w.next_id
        w.next_id += 1
        e = scene.Entity(id, w)
        t = scene.Transform(e)
        x = rng.below(1024)
        y = rng.below(1024)
        t.x = float(x)
        t.y = float(y)
        e.transform = t
        parent = w.root
        if w.alive and rng.below(4) == 0:
            parent = w.alive[rng.below(len(w.alive))].transform
        scene.attach(t, parent)
        cell = scene.cell_at(w, x >> 4, y >> 4)
        cell.members.append(e)
        e.cell = cell
        w.entities[id] = e
        e.alive_slot = len(w.alive)
        w.alive.append(e)
        if rng.below(10) < 9:
            mr = scene.MeshRenderer(e)
            mr.mesh = w.meshes[rng.below(len(w.meshes))]
            mr.material = w.materials[rng.below(len(w.materials))]
            e.components[0] = mr
            scene.add_to(w.systems[0], mr)
        if rng.below(2) == 0:
            rb = scene.RigidBody(e)
            col = scene.Collider(rb)
            col.shape = rng.below(3)
            rb.collider = col
            e.components[1] = rb
            scene.add_to(w.systems[1], rb)
        if rng.below(10) < 3:
            sc = scene.Script(e)
            sc.target = w.alive[rng.below(len(w.alive))]
            sc.vars["owner"] = e
            sc.vars["home"] = cell
            sc.timer = scene.Timer(sc, frame + rng.below(100))
            e.components[2] = sc
            scene.add_to(w.systems[2], sc)
        if rng.below(10) == 0:
            an = scene.Animator(e)
            an.clip = rng.below(30)
            for i in range(scene.BONES):
                b = scene.Transform(e, "bone%d" % i)
                scene.attach(b, t if i == 0 else an.bones[rng.below(i)])
                an.bones.append(b)
            an.skeleton = an.bones[0]
            e.components[3] = an
            scene.add_to(w.systems[3], an)

    @staticmethod
    def despawn(w, e):
        del w.entities[e.id]
        i = e.alive_slot
        last = w.alive[-1]
        w.alive[i] = last
        last.alive_slot = i
        w.alive.pop()
        for c in e.components.values():
            scene.remove_from_system(c)
        cell = e.cell
        cell.members.remove(e)
        rb = e.components.get(1)
        if rb is not None:
            cell.sleeping.discard(rb)
        t = e.transform
        scene.detach(t)
        c = t.first_child
        while c is not None:
            nxt = c.next_sibling
            if c.entity is not e:
                scene.detach(c)
                scene.attach(c, w.root)
            c = nxt
        e.alive = False

    @staticmethod
    def build():
        rng = Rng(0x5CE4E5CE4E)
        w = scene.World()
        w.root = scene.Transform(None, "root")
        for i in range(8):
            w.shaders.append(scene.Shader("shader%d" % i))
        for i in range(50):
            m = scene.Material("material%d" % i, w.shaders[rng.below(len(w.shaders))])
            m.shader.users.append(m)
            w.materials.append(m)
        for i in range(200):
            m = scene.MeshAsset("mesh%d" % i, w.materials[rng.below(len(w.materials))],
                                w.meshes[-1] if i % 4 != 0 else None)
            w.meshes.append(m)
        for name in ("render", "physics", "scripts", "animation"):
            w.systems.append(scene.System(name, w))
        for frame in range(scene.FRAMES):
            for _ in range(scene.SPAWN):
                scene.spawn(w, rng, frame)
            if frame >= 20:
                for _ in range(scene.DESPAWN):
                    scene.despawn(w, w.alive[rng.below(len(w.alive))])
            phys = w.systems[1].components
            for _ in range(scene.CONTACTS):
                n = len(phys)
                if n < 2:
                    break
                a = phys[rng.below(n)]
                b = phys[rng.below(n)]
                if a is b:
                    continue
                scene.add_contact(a, b)
                scene.add_contact(b, a)
                ev = scene.Event(rng.below(3), frame, a, b)
                w.events.append(ev)
                if len(w.events) > scene.MAX_EVENTS:
                    w.events.popleft()
                r = rng.below(8)
                if r == 0:
                    a.entity.cell.sleeping.add(a)
                elif r == 1:
                    a.entity.cell.sleeping.discard(a)
            for _ in range(scene.REPARENTS):
                n = len(w.alive)
                e = w.alive[rng.below(n)]
                p = w.alive[rng.below(n)]
                if e is p:
                    continue
                ok = True
                a = p.transform
                while a is not None:
                    if a is e.transform:
                        ok = False
                        break
                    a = a.parent
                if not ok:
                    continue
                scene.detach(e.transform)
                scene.attach(e.transform, p.transform)
            scripts = w.systems[2].components
            for _ in range(scene.SCRIPT_UPDATES):
                if not scripts:
                    break
                s = scripts[rng.below(len(scripts))]
                s.target = w.alive[rng.below(len(w.alive))]
                s.vars["seen"] = s.target.cell
                if rng.below(4) == 0:
                    s.timer = scene.Timer(s, frame + rng.below(100))
        return w


# ---------------------------------------------------------------- editor
class editor:
    BUFFERS = 90
    WINDOWS = 12
    REGISTERS = 26
    STEPS = 130000
    MAX_JUMPS = 100

    class Piece:
        def __init__(self, id, source, start, length):
            self.prev = None
            self.next = None
            self.source = source
            self.id = id
            self.start = start
            self.length = length
            self.live = True

    class Change:
        def __init__(self):
            self.kind = 0
            self.before = self.after = None
            self.old_first = self.old_last = None
            self.new_first = self.new_last = None

    class UndoNode:
        def __init__(self):
            self.parent = self.first_child = self.next_sibling = None
            self.change = None
            self.seq = 0

    class Mark:
        def __init__(self, buffer, piece, name):
            self.buffer = buffer
            self.piece = piece
            self.offset = 0
            self.name = name

    class Jump:
        def __init__(self, buffer, piece, offset):
            self.buffer = buffer  # a weak reference
            self.piece = piece
            self.offset = offset

    class Register:
        def __init__(self, name):
            self.name = name
            self.pieces = []

    class Highlighter:
        def __init__(self, buffer, language):
            self.buffer = buffer
            self.language = language
            self.states = {}

    class Buffer:
        def __init__(self, name, ed):
            self.name = name
            self.editor = ed
            self.file = "contents of " + name
            self.added = "added to " + name
            self.added_len = 0
            self.head = self.tail = None
            self.marks = {}
            self.index = []
            self.undo_root = self.undo_current = None
            self.seq = 0
            self.edits = 0
            self.highlighter = None

    class Window:
        def __init__(self, ed, buffer):
            self.editor = ed
            self.buffer = buffer
            self.cursor = None
            self.jumps = collections.deque()

    class Editor:
        def __init__(self):
            self.buffers = {}
            self.order = []
            self.windows = []
            self.registers = {}
            self.next_piece = 0
            self.opened = 0

    @staticmethod
    def new_piece(ed, source, start, length):
        p = editor.Piece(ed.next_piece, source, start, length)
        ed.next_piece += 1
        return p

    @staticmethod
    def link(before, first, last, after):
        if first is not None:
            before.next = first
            first.prev = before
            last.next = after
            after.prev = last
        else:
            before.next = after
            after.prev = before

    @staticmethod
    def set_live(b, first, last, live):
        if first is None:
            return
        p = first
        while True:
            p.live = live
            if not live:
                b.highlighter.states.pop(p.id, None)
            if p is last:
                break
            p = p.next

    @staticmethod
    def apply(b, ch):
        editor.link(ch.before, ch.new_first, ch.new_last, ch.after)
        editor.set_live(b, ch.new_first, ch.new_last, True)
        editor.set_live(b, ch.old_first, ch.old_last, False)

    @staticmethod
    def revert(b, ch):
        editor.link(ch.before, ch.old_first, ch.old_last, ch.after)
        editor.set_live(b, ch.new_first, ch.new_last, False)
        editor.set_live(b, ch.old_first, ch.old_last, True)

    @staticmethod
    def rebuild_index(b):
        b.index.clear()
        p = b.head.next
        while p is not b.tail:
            b.index.append(p)
            p = p.next

    @staticmethod
    def pick_piece(b, rng):
        if not b.index:
            return None
        p = b.index[rng.below(len(b.index))]
        if not p.live:
            return None
        for _ in range(rng.below(4)):
            if p.next is not b.tail:
                p = p.next
        return p

    @staticmethod
    def open_buffer(ed, rng):
        n = ed.opened
        ed.opened += 1
        b = editor.Buffer("file%d.py" % n, ed)
        b.head = editor.new_piece(ed, b.file, 0, 0)
        b.tail = editor.new_piece(ed, b.file, 0, 0)
        editor.link(b.head, None, None, b.tail)
        count = 150 + rng.below(150)
        start = 0
        for _ in range(count):
            ln = 40 + rng.below(80)
            p = editor.new_piece(ed, b.file, start, ln)
            start += ln
            editor.link(b.tail.prev, p, p, b.tail)
        editor.rebuild_index(b)
        b.highlighter = editor.Highlighter(b, rng.below(5))
        for k in range(10):
            m = editor.Mark(b, editor.pick_piece(b, rng), "m%d" % k)
            b.marks[m.name] = m
        b.undo_root = editor.UndoNode()
        b.undo_current = b.undo_root
        ed.buffers[b.name] = b
        ed.order.append(b)

    @staticmethod
    def record(b, ch):
        cur = b.undo_current
        node = editor.UndoNode()
        node.parent = cur
        node.change = ch
        b.seq += 1
        node.seq = b.seq
        node.next_sibling = cur.first_child
        cur.first_child = node
        b.undo_current = node

    @staticmethod
    def edit(ed, b, rng):
        b.edits += 1
        if b.edits % 40 == 0:
            editor.rebuild_index(b)
        p = editor.pick_piece(b, rng)
        kind = rng.below(10)
        ch = editor.Change()
        if kind < 7:
            ln = 1 + rng.below(20)
            mid = editor.new_piece(ed, b.added, b.added_len, ln)
            b.added_len += ln
            if p is not None and p.length >= 2:
                off = 1 + rng.below(p.length - 1)
                left = editor.new_piece(ed, p.source, p.start, off)
                right = editor.new_piece(ed, p.source, p.start + off, p.length - off)
                left.next = mid
                mid.prev = left
                mid.next = right
                right.prev = mid
                ch.kind = 0
                ch.before = p.prev
                ch.after = p.next
                ch.old_first = p
                ch.old_last = p
                ch.new_first = left
                ch.new_last = right
            else:
                before = p if p is not None else b.head
                ch.kind = 1
                ch.before = before
                ch.after = before.next
                ch.new_first = mid
                ch.new_last = mid
            if rng.below(2) == 0:
                b.highlighter.states[mid.id] = mid
        elif p is not None:
            q = p
            for _ in range(rng.below(3)):
                if q.next is not b.tail:
                    q = q.next
            ch.kind = 2
            ch.before = p.prev
            ch.after = q.next
            ch.old_first = p
            ch.old_last = q
        else:
            return
        editor.apply(b, ch)
        editor.record(b, ch)
        if rng.below(8) == 0:
            m = b.marks["m%d" % rng.below(10)]
            m.piece = ch.new_first if ch.new_first is not None else ch.after
            m.offset = 0

    @staticmethod
    def undo_burst(b, rng):
        n = 1 + rng.below(6)
        for _ in range(n):
            cur = b.undo_current
            if cur.parent is None:
                break
            editor.revert(b, cur.change)
            b.undo_current = cur.parent
        for _ in range(rng.below(n + 1)):
            child = b.undo_current.first_child
            if child is None:
                break
            editor.apply(b, child.change)
            b.undo_current = child

    @staticmethod
    def jump(ed, rng):
        w = ed.windows[rng.below(len(ed.windows))]
        b = w.buffer()
        if b is None:
            w.buffer = weakref.ref(ed.order[rng.below(len(ed.order))])
            return
        p = editor.pick_piece(b, rng)
        if p is not None:
            j = editor.Jump(w.buffer, p, rng.below(p.length))
            w.jumps.append(j)
            if len(w.jumps) > editor.MAX_JUMPS:
                w.jumps.popleft()
            w.cursor = j
        if rng.below(4) == 0:
            w.buffer = weakref.ref(ed.order[rng.below(len(ed.order))])

    @staticmethod
    def yank(ed, rng):
        b = ed.order[rng.below(len(ed.order))]
        r = ed.registers[rng.below(editor.REGISTERS)]
        r.pieces.clear()
        p = editor.pick_piece(b, rng)
        if p is None:
            return
        for _ in range(1 + rng.below(8)):
            r.pieces.append(p)
            if p.next is b.tail:
                break
            p = p.next

    @staticmethod
    def close_and_open(ed, rng):
        i = rng.below(len(ed.order))
        b = ed.order[i]
        del ed.order[i]
        del ed.buffers[b.name]
        editor.open_buffer(ed, rng)

    @staticmethod
    def build():
        rng = Rng(0xED170EED17)
        ed = editor.Editor()
        for r in range(editor.REGISTERS):
            ed.registers[r] = editor.Register(r)
        for _ in range(editor.BUFFERS):
            editor.open_buffer(ed, rng)
        for _ in range(editor.WINDOWS):
            ed.windows.append(editor.Window(ed, weakref.ref(ed.order[rng.below(len(ed.order))])))
        for _ in range(editor.STEPS):
            r = rng.below(10000)
            if r < 8800:
                editor.edit(ed, ed.order[rng.below(len(ed.order))], rng)
            elif r < 9400:
                editor.undo_burst(ed.order[rng.below(len(ed.order))], rng)
            elif r < 9850:
                editor.jump(ed, rng)
            elif r < 9997:
                editor.yank(ed, rng)
            else:
                editor.close_and_open(ed, rng)
        return ed


# ---------------------------------------------------------------- chess
class chess:
    GAMES = 5
    MOVES_PER_GAME = 16
    ITERS_PER_MOVE = 2500
    PONDER_ITERS = 25000
    MAX_DEPTH = 14
    MOVE_IDS = 400
    TABLE_SIZE = 1 << 17
    KILLER_PLIES = 32
    MAX_PV = 20
    SIDE = 0x5851F42D4C957F2D

    class Move:
        def __init__(self, id, frm, to):
            self.id = id
            self.frm = frm
            self.to = to
            self.inverse = None

    class Node:
        def __init__(self, parent, move, hash, depth):
            self.parent = parent
            self.first_child = None
            self.next_sibling = None
            self.best = None
            self.move = move
            self.entry = None
            self.hash = hash
            self.value = 0
            self.visits = 0
            self.nchildren = 0
            self.depth = depth

    class TTEntry:
        def __init__(self, key, depth, age):
            self.key = key
            self.depth = depth
            self.visits = 0
            self.age = age
            self.best_move = None
            self.pv_next = None
            self.node = None  # a weak reference

    class SearchInfo:
        def __init__(self, ply, nodes, pv, root_entry, prev):
            self.ply = ply
            self.nodes = nodes
            self.pv = pv
            self.root_entry = root_entry
            self.prev = prev

    class Game:
        def __init__(self, engine):
            self.engine = engine
            self.root = None
            self.history = []
            self.killers = [[None, None] for _ in range(chess.KILLER_PLIES)]
            self.ply = 0

    class Engine:
        def __init__(self):
            self.table = [None] * chess.TABLE_SIZE
            self.moves = []
            self.zobrist = []
            self.games = []
            self.age = 0

    @staticmethod
    def probe(eng, c):
        slot = c.hash & (chess.TABLE_SIZE - 1)
        e = eng.table[slot]
        if e is not None and e.key == c.hash:
            if e.node() is None:
                e.node = weakref.ref(c)
            e.age = eng.age
            c.entry = e
            return
        ne = chess.TTEntry(c.hash, c.depth, eng.age)
        ne.node = weakref.ref(c)
        c.entry = ne
        if e is None or e.age != eng.age or e.depth >= c.depth:
            eng.table[slot] = ne

    @staticmethod
    def expand(eng, node, rng):
        mv = eng.moves[rng.below(len(eng.moves))]
        c = chess.Node(node, mv, node.hash ^ eng.zobrist[mv.id] ^ chess.SIDE, node.depth + 1)
        c.next_sibling = node.first_child
        node.first_child = c
        node.nchildren += 1
        chess.probe(eng, c)
        return c

    @staticmethod
    def backprop(g, n, rng):
        v = rng.below(201) - 100
        while n is not None:
            n.visits += 1
            n.value += v
            p = n.parent
            if p is not None:
                if p.best is None or n.visits > p.best.visits:
                    p.best = n
                    if p.entry is not None:
                        p.entry.best_move = n.move
                        p.entry.pv_next = n.entry
                if v > 60:
                    kill = g.killers[p.depth % chess.KILLER_PLIES]
                    if kill[0] is not n.move:
                        kill[1] = kill[0]
                        kill[0] = n.move
            if n.entry is not None:
                n.entry.visits += 1
            v = -v
            n = p

    @staticmethod
    def iterate(eng, g, rng):
        node = g.root
        depth = 0
        while depth < chess.MAX_DEPTH:
            limit = min(8, 1 + node.visits // 3)
            if node.nchildren < limit:
                break
            if rng.below(4) == 0 or node.best is None:
                c = node.first_child
                for _ in range(rng.below(node.nchildren)):
                    c = c.next_sibling
            else:
                c = node.best
            node = c
            depth += 1
        if depth < chess.MAX_DEPTH:
            node = chess.expand(eng, node, rng)
        chess.backprop(g, node, rng)

    @staticmethod
    def play(eng, g):
        root = g.root
        pv = []
        n = root.best
        while n is not None and len(pv) < chess.MAX_PV:
            pv.append(n.move)
            n = n.best
        info = chess.SearchInfo(g.ply, root.visits, tuple(pv), root.entry,
                                g.history[-1] if g.history else None)
        g.history.append(info)
        eng.age += 1
        nxt = root.best
        if nxt is None:
            return False
        nxt.parent = None
        g.root = nxt
        g.ply += 1
        return True

    @staticmethod
    def build():
        rng = Rng(0xC4E55C4E55)
        eng = chess.Engine()
        for i in range(chess.MOVE_IDS):
            m = chess.Move(i, rng.below(64), rng.below(64))
            if i % 2 == 1:
                m.inverse = eng.moves[-1]
                eng.moves[-1].inverse = m
            eng.moves.append(m)
            eng.zobrist.append(rng.below(M64))
        start = rng.below(M64)
        for _ in range(chess.GAMES):
            g = chess.Game(eng)
            root = chess.Node(None, None, start, 0)
            chess.probe(eng, root)
            g.root = root
            eng.games.append(g)
        for g in eng.games:
            for _ in range(chess.MOVES_PER_GAME):
                for _ in range(chess.ITERS_PER_MOVE):
                    chess.iterate(eng, g, rng)
                if not chess.play(eng, g):
                    break
        for g in eng.games:
            for _ in range(chess.PONDER_ITERS):
                chess.iterate(eng, g, rng)
        return eng


# ---------------------------------------------------------------- broker
class broker:
    TOPICS = 200
    PARTITIONS = 4
    RETENTION = 350
    GROUPS_PER_TOPIC = 2
    CLIENTS = 2500
    SUBS_PER_CLIENT = 3
    TICKS = 1500
    PUBLISH = 230
    POLLS = 160
    ACKS = 160
    WHEEL = 256
    MAX_DEAD = 3000
    SLOW_INFLIGHT = 24

    class Message:
        def __init__(self, id, partition, offset, key, headers, producer):
            self.id = id
            self.offset = offset
            self.partition = partition
            self.key = key
            self.payload = "payload-%d" % id
            self.headers = headers
            self.producer = producer
            self.reply_to = None
            self.reply = None
            self.wants_reply = False

    class Partition:
        def __init__(self, topic, index):
            self.topic = topic
            self.index = index
            self.log = collections.deque()
            self.base = 0
            self.next_offset = 0

    class Topic:
        def __init__(self, name, broker):
            self.name = name
            self.broker = broker
            self.partitions = []
            self.groups = []
            self.retained = None

    class Subscription:
        def __init__(self, client, group):
            self.client = client
            self.group = group
            self.delivered = 0

    class ConsumerGroup:
        def __init__(self, name, topic):
            self.name = name
            self.topic = topic
            self.members = []
            self.assignment = {}
            self.offsets = [0] * broker.PARTITIONS

    class Delivery:
        def __init__(self, message, sub, due):
            self.message = message
            self.sub = sub
            self.attempts = 0
            self.due = due

    class Client:
        def __init__(self, id, broker):
            self.id = id
            self.name = "client%d" % id
            self.broker = broker
            self.subs = []
            self.inflight = {}
            self.awaiting = {}
            self.connected = True

    class Broker:
        def __init__(self):
            self.topics = {}
            self.topic_list = []
            self.clients = {}
            self.client_list = []
            self.wheel = [[] for _ in range(broker.WHEEL)]
            self.dead_letters = collections.deque()
            self.slow = set()
            self.next_message = 0
            self.next_client = 0

    @staticmethod
    def publish(b, c, t, rng):
        p = t.partitions[rng.below(len(t.partitions))]
        id = b.next_message
        b.next_message += 1
        off = p.next_offset
        p.next_offset += 1
        key = "k%d" % rng.below(1000)
        m = broker.Message(id, p, off, key,
                           ("trace-id", "t%d" % id, "content-type", "application/json"), c)
        p.log.append(m)
        if len(p.log) > broker.RETENTION:
            p.log.popleft()
            p.base += 1
        return m

    @staticmethod
    def reassign(g):
        g.assignment.clear()
        if not g.members:
            return
        for p in range(broker.PARTITIONS):
            g.assignment[p] = g.members[p % len(g.members)]

    @staticmethod
    def connect(b, rng):
        c = broker.Client(b.next_client, b)
        b.next_client += 1
        b.clients[c.id] = c
        b.client_list.append(c)
        for _ in range(broker.SUBS_PER_CLIENT):
            t = b.topic_list[rng.below(len(b.topic_list))]
            g = t.groups[rng.below(len(t.groups))]
            s = broker.Subscription(c, g)
            c.subs.append(s)
            g.members.append(s)
            broker.reassign(g)

    @staticmethod
    def disconnect(b, i):
        c = b.client_list[i]
        last = b.client_list[-1]
        b.client_list[i] = last
        b.client_list.pop()
        del b.clients[c.id]
        for s in c.subs:
            g = s.group
            g.members.remove(s)
            broker.reassign(g)
        b.slow.discard(c)
        c.connected = False

    @staticmethod
    def respond(b, c, req, rng):
        r = broker.publish(b, c, b.topic_list[0], rng)
        r.reply_to = req
        req.reply = r
        if req.producer is not None:
            req.producer.awaiting.pop(req.id, None)

    @staticmethod
    def build():
        rng = Rng(0xB40CE4B40CE)
        b = broker.Broker()
        for i in range(broker.TOPICS):
            t = broker.Topic("replies" if i == 0 else "topic%d" % i, b)
            for p in range(broker.PARTITIONS):
                t.partitions.append(broker.Partition(t, p))
            for g in range(broker.GROUPS_PER_TOPIC):
                t.groups.append(broker.ConsumerGroup("%s/g%d" % (t.name, g), t))
            b.topics[t.name] = t
            b.topic_list.append(t)
        for _ in range(broker.CLIENTS):
            broker.connect(b, rng)
        for tick in range(broker.TICKS):
            for _ in range(broker.PUBLISH):
                c = b.client_list[rng.below(len(b.client_list))]
                t = b.topic_list[1 + rng.below(len(b.topic_list) - 1)]
                m = broker.publish(b, c, t, rng)
                if rng.below(5) == 0:
                    m.wants_reply = True
                    c.awaiting[m.id] = m
                if rng.below(50) == 0:
                    t.retained = m
            for _ in range(broker.POLLS):
                c = b.client_list[rng.below(len(b.client_list))]
                if not c.subs:
                    continue
                s = c.subs[rng.below(len(c.subs))]
                g = s.group
                for pi, member in g.assignment.items():
                    if member is not s:
                        continue
                    p = g.topic.partitions[pi]
                    off = max(g.offsets[pi], p.base)
                    n = 0
                    while off < p.next_offset and n < 4:
                        d = broker.Delivery(p.log[off - p.base], s, tick + 1 + rng.below(40))
                        c.inflight[d.message.id] = d
                        b.wheel[d.due % broker.WHEEL].append(d)
                        off += 1
                        n += 1
                    g.offsets[pi] = off
                if len(c.inflight) > broker.SLOW_INFLIGHT:
                    b.slow.add(c)
            for _ in range(broker.ACKS):
                c = b.client_list[rng.below(len(b.client_list))]
                for _ in range(rng.below(6)):
                    if not c.inflight:
                        break
                    d = c.inflight.pop(next(iter(c.inflight)))
                    d.sub.delivered += 1
                    m = d.message
                    if m.wants_reply and m.reply is None:
                        broker.respond(b, c, m, rng)
                if len(c.inflight) < 4:
                    b.slow.discard(c)
            slot = tick % broker.WHEEL
            items = b.wheel[slot]
            b.wheel[slot] = []
            for d in items:
                c = d.sub.client
                cur = c.inflight.get(d.message.id)
                if not c.connected or cur is None or cur is not d:
                    continue
                d.attempts += 1
                if d.attempts >= 3:
                    del c.inflight[d.message.id]
                    b.dead_letters.append(d.message)
                    if len(b.dead_letters) > broker.MAX_DEAD:
                        b.dead_letters.popleft()
                else:
                    d.due = tick + 1 + rng.below(40)
                    b.wheel[d.due % broker.WHEEL].append(d)
            items = None
            if rng.below(8) == 0:
                broker.disconnect(b, rng.below(len(b.client_list)))
                broker.connect(b, rng)
        return b


if __name__ == "__main__":
    harness.run("unseen4.py", {
        "scene": scene.build,
        "editor": editor.build,
        "chess": chess.build,
        "broker": broker.build,
    })
