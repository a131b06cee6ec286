"""The workloads of unseen2.cpp in CPython 3.11: the same heaps, built from the
same pseudo-random sequence (splitmix64), timed the same way.

    python3 unseen2.py interpreter|gui|ssa|actors

prints "NAME_ns_per_object <best ns per object>", "NAME_objects <n>" and
"NAME_best_ms <best collect() ms>", where n = len(gc.get_objects()) after one
untimed full collection and the best is over 5 timed gc.collect() calls.
"""
import os
import sys
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unseen"))
from harness import Rng, run  # noqa: E402

# ----------------------------------------------------------------- interpreter
# A tree-walking interpreter: AST node classes with __slots__, environments
# that are dicts with a parent pointer (as Norvig's lis.py's Env), closures
# capturing their lambda and environment. Numbers are ints, symbols interned
# strs (the C++ side boxes them in untracked objects).

class Const:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Var:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class BinOp:
    __slots__ = ("op", "lhs", "rhs")

    def __init__(self, op, lhs, rhs):
        self.op = op
        self.lhs = lhs
        self.rhs = rhs


class If:
    __slots__ = ("test", "then", "orelse")

    def __init__(self, test, then, orelse):
        self.test = test
        self.then = then
        self.orelse = orelse


class Call:
    __slots__ = ("fn", "args")

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args


class Let:
    __slots__ = ("name", "value", "body")

    def __init__(self, name, value, body):
        self.name = name
        self.value = value
        self.body = body


class Lambda:
    __slots__ = ("params", "body", "name")

    def __init__(self, params, body, name):
        self.params = params
        self.body = body
        self.name = name


class Env(dict):
    __slots__ = ("parent",)

    def __init__(self, parent):
        dict.__init__(self)
        self.parent = parent


class Closure:
    __slots__ = ("lam", "env")

    def __init__(self, lam, env):
        self.lam = lam
        self.env = env


class Interp:
    __slots__ = ("globals", "program", "pending", "symbols")

    def __init__(self):
        self.globals = None
        self.program = []
        self.pending = []  # closures handed out (callbacks, thunks)
        self.symbols = {}

    def intern(self, name):
        return self.symbols.setdefault(name, name)


OPS = ["+", "-", "*", "<", "==", "and"]
EXPR_DEPTH = 7
FUNCTIONS = 5000
ACTIVATIONS = 50000


class AstBuilder:
    def __init__(self, rng, interp, inner):
        self.rng = rng
        self.interp = interp
        self.inner = inner  # the lambdas nested in the current function

    def params(self, n):
        return tuple(self.interp.intern("a" + str(i)) for i in range(n))

    def expr(self, depth, nparams):
        rng = self.rng
        if depth >= EXPR_DEPTH or rng.below(100) < 30:
            if rng.below(2) == 0:
                return Const(rng.below(1000))
            if rng.below(3) == 0:
                name = "f" + str(rng.below(FUNCTIONS))
            else:
                name = "a" + str(rng.below(nparams))
            return Var(self.interp.intern(name))
        k = rng.below(100)
        if k < 35:
            op = OPS[rng.below(6)]
            lhs = self.expr(depth + 1, nparams)
            rhs = self.expr(depth + 1, nparams)
            return BinOp(op, lhs, rhs)
        if k < 50:
            test = self.expr(depth + 1, nparams)
            then = self.expr(depth + 1, nparams)
            orelse = self.expr(depth + 1, nparams)
            return If(test, then, orelse)
        if k < 75:
            fn = self.expr(depth + 1, nparams)
            nargs = 1 + rng.below(3)
            args = [self.expr(depth + 1, nparams) for _ in range(nargs)]
            return Call(fn, args)
        if k < 85:
            name = self.interp.intern("l" + str(rng.below(8)))
            value = self.expr(depth + 1, nparams)
            body = self.expr(depth + 1, nparams)
            return Let(name, value, body)
        np = 1 + rng.below(3)
        ps = self.params(np)
        body = self.expr(depth + 1, np)
        lam = Lambda(ps, body, "lambda")
        self.inner.append(lam)
        return lam


def build_interpreter():
    rng = Rng(5)
    interp = Interp()
    interp.globals = Env(None)
    closures = []
    inner = [[] for _ in range(FUNCTIONS)]
    # Parse: one lambda per top-level function, bound in the global scope.
    for i in range(FUNCTIONS):
        b = AstBuilder(rng, interp, inner[i])
        np = 1 + rng.below(3)
        ps = b.params(np)
        body = b.expr(1, np)
        lam = Lambda(ps, body, "f" + str(i))
        interp.program.append(lam)
        c = Closure(lam, interp.globals)
        interp.globals["f" + str(i)] = c
        closures.append(c)
    # Run: the activations still alive, each an environment chain captured by
    # a closure.
    for _ in range(ACTIVATIONS):
        f = rng.below(FUNCTIONS)
        clo = closures[f]
        env = Env(clo.env)
        for p in clo.lam.params:
            env[p] = rng.below(100)
        depth = rng.below(3)
        for d in range(depth):
            e = Env(env)
            e["t" + str(d)] = rng.below(100)
            env = e
        target = clo.lam
        if inner[f]:
            target = inner[f][rng.below(len(inner[f]))]
        c = Closure(target, env)
        if rng.below(2) == 0:
            env["self"] = c
        interp.pending.append(c)
    return interp


# ------------------------------------------------------------------------- gui
# Widgets are ordinary classes (inline attribute values); containers add a
# children list. A signal is a list of callables with an owner (the
# "class Event(list)" recipe); slots are bound methods of other widgets or
# Binding objects.

class Style:
    def __init__(self, name, base):
        self.name = name
        self.base = base
        self.props = {}


class Widget:
    def __init__(self, kind, name, parent):
        self.kind = kind
        self.name = name
        self.x = self.y = self.w = self.h = 0
        self.visible = True
        self.parent = parent
        self.style = None
        self.changed = None
        self.activated = None  # buttons, check boxes, sliders
        self.next_focus = None

    def on_changed(self, *args):
        pass

    def refresh(self, *args):
        pass

    def set_value(self, *args):
        pass


METHODS = ["on_changed", "refresh", "set_value"]


class Container(Widget):
    def __init__(self, kind, name, parent):
        super().__init__(kind, name, parent)
        self.children = []


class Signal(list):
    __slots__ = ("name", "owner")

    def __init__(self, name, owner):
        list.__init__(self)
        self.name = name
        self.owner = owner


class Binding:
    __slots__ = ("source", "target", "prop")

    def __init__(self, source, target, prop):
        self.source = source
        self.target = target
        self.prop = prop


class App:
    def __init__(self):
        self.windows = []
        self.styles = []
        self.by_name = {}


CONTAINER_KINDS = ["Frame", "HBox", "VBox", "Tabs"]
LEAF_KINDS = ["Label", "Button", "CheckBox", "LineEdit", "Slider", "Icon"]
PROPS = ["text", "value", "enabled", "checked"]
GUI_DEPTH = 8
WINDOWS = 300
STYLES = 60
ACTIVATED = ("Button", "CheckBox", "Slider")
FOCUSABLE = ("Button", "CheckBox", "Slider", "LineEdit")


class GuiBuilder:
    def __init__(self, rng, app, all_widgets):
        self.rng = rng
        self.app = app
        self.all = all_widgets
        self.focusable = []  # the current window's, in order

    def widget(self, parent, depth):
        rng = self.rng
        box = None
        name = "w" + str(len(self.all))
        if depth == 0:
            box = Container("Window", name, parent)
        elif depth < 2 or (depth < GUI_DEPTH and rng.below(100) < 25):
            box = Container(CONTAINER_KINDS[rng.below(4)], name, parent)
        if box is not None:
            w = box
        else:
            w = Widget(LEAF_KINDS[rng.below(6)], name, parent)
        self.all.append(w)
        w.x = rng.below(1920)
        w.y = rng.below(1080)
        w.w = 16 + rng.below(400)
        w.h = 16 + rng.below(300)
        w.style = self.app.styles[rng.below(STYLES)]
        w.changed = Signal("changed", w)
        if w.kind in ACTIVATED:
            w.activated = Signal("activated", w)
        if w.kind in FOCUSABLE:
            self.focusable.append(w)
        if box is not None:
            n = 2 + rng.below(7)
            for _ in range(n):
                box.children.append(self.widget(w, depth + 1))
        return w


CONNECTIONS_PER_WIDGET = 2
NEIGHBOURHOOD = 200


def build_gui():
    rng = Rng(6)
    app = App()
    for i in range(STYLES):
        base = app.styles[rng.below(i)] if i > 0 and rng.below(2) == 0 else None
        app.styles.append(Style("style" + str(i), base))
        app.styles[-1].props["color"] = "#" + str(rng.below(0xFFFFFF))
    all_widgets = []
    for _ in range(WINDOWS):
        b = GuiBuilder(rng, app, all_widgets)
        app.windows.append(b.widget(None, 0))
        # The tab order: a ring through the window's focusable widgets.
        f = b.focusable
        for k in range(len(f)):
            f[k].next_focus = f[(k + 1) % len(f)]
    n = len(all_widgets)
    for _ in range(CONNECTIONS_PER_WIDGET * n):
        s = rng.below(n)
        t = s + rng.below(2 * NEIGHBOURHOOD + 1)
        t = 0 if t < NEIGHBOURHOOD else min(t - NEIGHBOURHOOD, n - 1)
        src = all_widgets[s]
        tgt = all_widgets[t]
        use_activated = rng.below(2) == 0 and src.activated is not None
        sig = src.activated if use_activated else src.changed
        if rng.below(4) != 3:
            sig.append(getattr(tgt, METHODS[rng.below(3)]))
        else:
            sig.append(Binding(src, tgt, PROPS[rng.below(4)]))
    for i in range(n):
        if rng.below(4) == 0:
            app.by_name[all_widgets[i].name] = all_widgets[i]
    return app


# ------------------------------------------------------------------------- ssa
# An SSA IR: values with intrusive use lists (Use objects, LLVM-style),
# three-address instructions, phis, basic blocks with successor/predecessor
# lists, functions, a module with a constant pool.

class Type:
    __slots__ = ("name", "pointee")

    def __init__(self, name, pointee):
        self.name = name
        self.pointee = pointee


class Value:
    __slots__ = ("id", "type", "first_use")

    def __init__(self, id, type):
        self.id = id
        self.type = type
        self.first_use = None  # the head of the use list


class Constant(Value):
    __slots__ = ("value",)

    def __init__(self, id, type, value):
        Value.__init__(self, id, type)
        self.value = value


class Argument(Value):
    __slots__ = ("name",)

    def __init__(self, id, type, name):
        Value.__init__(self, id, type)
        self.name = name


class Use:
    __slots__ = ("value", "user", "next")

    def __init__(self, value, user, next):
        self.value = value
        self.user = user
        self.next = next  # the next use of the same value


class Instr(Value):
    __slots__ = ("opcode", "lhs", "rhs", "block")

    def __init__(self, id, type, opcode, block):
        Value.__init__(self, id, type)
        self.opcode = opcode
        self.lhs = None
        self.rhs = None
        self.block = block


class Phi(Instr):
    __slots__ = ("incoming",)

    def __init__(self, id, type, opcode, block):
        Instr.__init__(self, id, type, opcode, block)
        self.incoming = []  # one per predecessor


class Block:
    __slots__ = ("label", "instrs", "succs", "preds", "idom", "func")

    def __init__(self, label, func):
        self.label = label
        self.instrs = []
        self.succs = []
        self.preds = []
        self.idom = None
        self.func = func


class Function:
    __slots__ = ("name", "ret", "args", "blocks")

    def __init__(self, name, ret):
        self.name = name
        self.ret = ret
        self.args = []
        self.blocks = []


class Module:
    def __init__(self):
        self.types = []
        self.functions = []
        self.symtab = {}
        self.constants = {}


OPCODES = ["add", "sub", "mul", "and", "or", "icmp", "load", "store", "gep", "call"]
SSA_FUNCTIONS = 2500
CONSTANTS = 1000
TYPES = 8


class SsaBuilder:
    def __init__(self, rng, mod):
        self.rng = rng
        self.mod = mod
        self.next_id = 0
        self.avail = []  # the values defined so far in the function

    def constant(self, v):
        c = self.mod.constants.get(v)
        if c is None:
            c = self.mod.constants[v] = Constant(self.next_id, self.mod.types[3], v)
            self.next_id += 1
        return c

    def pick(self):
        avail = self.avail
        if avail and self.rng.below(5) != 0:
            back = self.rng.below(min(len(avail), 16))
            return avail[len(avail) - 1 - back]
        return self.constant(self.rng.below(CONSTANTS))

    def use(self, v, user):
        u = Use(v, user, v.first_use)
        v.first_use = u
        return u


def build_ssa():
    rng = Rng(7)
    mod = Module()
    for t in ["i1", "i8", "i32", "i64", "f64"]:
        mod.types.append(Type(t, None))
    mod.types.append(Type("i8*", mod.types[1]))
    mod.types.append(Type("i32*", mod.types[2]))
    mod.types.append(Type("i64*", mod.types[3]))
    b = SsaBuilder(rng, mod)
    for f in range(SSA_FUNCTIONS):
        fn = Function("fn" + str(f), mod.types[rng.below(TYPES)])
        mod.functions.append(fn)
        mod.symtab[fn.name] = fn
        b.avail = []
        nargs = rng.below(4)
        for a in range(nargs):
            t = mod.types[rng.below(TYPES)]
            fn.args.append(Argument(b.next_id, t, "arg" + str(a)))
            b.next_id += 1
            b.avail.append(fn.args[-1])
        nblocks = 2 + rng.below(24)
        for k in range(nblocks):
            fn.blocks.append(Block("bb" + str(k), fn))
        # The CFG: a jump, a conditional branch or a jump anywhere; the last
        # block returns.
        blocks = fn.blocks
        for k in range(nblocks - 1):
            r = rng.below(10)
            if r < 4:
                succ = [k + 1]
            elif r < 9:
                succ = [k + 1, rng.below(nblocks)]
            else:
                succ = [rng.below(nblocks)]
            for s in succ:
                blocks[k].succs.append(blocks[s])
                blocks[s].preds.append(blocks[k])
        for k in range(1, nblocks):
            blocks[k].idom = blocks[rng.below(k)]
        for blk in blocks:
            if len(blk.preds) >= 2:
                t = mod.types[rng.below(TYPES)]
                phi = Phi(b.next_id, t, "phi", blk)
                b.next_id += 1
                for _ in range(len(blk.preds)):
                    phi.incoming.append(b.use(b.pick(), phi))
                blk.instrs.append(phi)
                b.avail.append(phi)
            ninstr = 1 + rng.below(12)
            for _ in range(ninstr):
                op = OPCODES[rng.below(10)]
                t = mod.types[rng.below(TYPES)]
                ins = Instr(b.next_id, t, op, blk)
                b.next_id += 1
                ins.lhs = b.use(b.pick(), ins)
                if rng.below(4) != 0:
                    ins.rhs = b.use(b.pick(), ins)
                blk.instrs.append(ins)
                b.avail.append(ins)
    return mod


# ---------------------------------------------------------------------- actors
# An actor system: actors with deque mailboxes and a pending dict of
# promises, supervisors with children lists, messages and promises with
# __slots__.

class Message:
    __slots__ = ("sender", "tag", "seq", "payload", "reply")

    def __init__(self, sender, tag, seq, payload):
        self.sender = sender
        self.tag = tag
        self.seq = seq
        self.payload = payload  # an int, a str, another actor, or None
        self.reply = None  # ask pattern


class Promise:
    __slots__ = ("waiter", "request", "result")

    def __init__(self, waiter, request):
        self.waiter = waiter
        self.request = request
        self.result = None


class Actor:
    def __init__(self, name, id, parent):
        self.name = name
        self.id = id
        self.parent = parent
        self.mailbox = deque()
        self.pending = {}  # seq -> promise


class Supervisor(Actor):
    def __init__(self, name, id, parent):
        super().__init__(name, id, parent)
        self.strategy = "one_for_one"
        self.children = []


class ActorSystem:
    def __init__(self):
        self.root = None
        self.registry = {}
        self.run_queue = deque()


TAGS = ["tell", "ask", "tick", "update", "query", "watch"]
ACTORS = 30000
SUPERVISORS = 1500
MESSAGES = 500000


def build_actors():
    rng = Rng(8)
    system = ActorSystem()
    system.root = Supervisor("root", 0, None)
    system.registry["root"] = system.root
    actors = [system.root]
    for i in range(1, ACTORS):
        parent = actors[rng.below(min(i, SUPERVISORS))]
        if i < SUPERVISORS:
            a = Supervisor("actor" + str(i), i, parent)
        else:
            a = Actor("actor" + str(i), i, parent)
        parent.children.append(a)
        system.registry[a.name] = a
        actors.append(a)
    run_queue = system.run_queue
    for m in range(MESSAGES):
        sender = actors[rng.below(ACTORS)]
        receiver = actors[rng.below(ACTORS)]
        tag = TAGS[rng.below(6)]
        payload = None
        r = rng.below(10)
        if r < 5:
            payload = rng.below(1000000)
        elif r < 7:
            payload = "data" + str(m)
        elif r < 9:
            payload = actors[rng.below(ACTORS)]
        msg = Message(sender, tag, m, payload)
        if rng.below(8) == 0:
            p = Promise(sender, msg)
            msg.reply = p
            sender.pending[m] = p
        if not receiver.mailbox:
            run_queue.append(receiver)
        receiver.mailbox.append(msg)
        # Now and then the receiver handles its oldest message: an ask is
        # answered (the promise resolved and dropped from the waiter's table,
        # which leaves the message <-> promise cycle to the collector).
        if rng.below(4) == 0:
            done = receiver.mailbox.popleft()
            if done.reply is not None:
                done.reply.result = done.seq
                del done.reply.waiter.pending[done.seq]
    return system


# ------------------------------------------------------------------------ main

BUILDERS = {
    "interpreter": build_interpreter,
    "gui": build_gui,
    "ssa": build_ssa,
    "actors": build_actors,
}


def main():
    run("unseen2.py", BUILDERS)


if __name__ == "__main__":
    main()
