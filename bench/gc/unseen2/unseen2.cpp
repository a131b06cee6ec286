// A second set of out-of-sample full-collection workloads: heap shapes the
// collector has not been tuned on, different from bench/gc/unseen's.
// unseen2.py builds the same heaps in CPython 3.11 from the same
// pseudo-random sequence (splitmix64), so both sides hold the same logical
// structure.
//
//   gc_unseen2 interpreter  a tree-walking interpreter's heap: the AST of a
//                           program (constants, variables, binary ops, ifs,
//                           calls, lets, nested lambdas), a global
//                           environment binding every function to a closure,
//                           and the live activations: environment chains
//                           (parent pointers) captured by closures, half of
//                           them bound into their own environment (letrec:
//                           env -> closure -> env)
//   gc_unseen2 gui          a GUI toolkit's widget trees: windows of nested
//                           containers and leaf widgets with parent
//                           back-pointers, shared styles, signals that point
//                           back to their owner and hold slots (bound methods
//                           of other widgets, data bindings), a tab-order
//                           ring through each window's focusable widgets and
//                           a by-name registry
//   gc_unseen2 ssa          a compiler's SSA IR: a module of functions,
//                           basic blocks with successor/predecessor lists and
//                           dominator pointers, three-address instructions
//                           and phis whose operands are Use objects, each
//                           linked into its value's use list (LLVM-style),
//                           a constant pool with long use lists
//   gc_unseen2 actors       an actor system: a supervision tree (parent
//                           pointers, children lists), mailboxes that are
//                           deques of messages referencing their sender and
//                           sometimes another actor, ask-pattern promises
//                           (message <-> promise cycles) kept in the
//                           sender's pending table, a run queue and a
//                           registry; some messages are processed as the
//                           system runs (cyclic garbage for the first
//                           collection)
//
// Output: "NAME_ns_per_object <best ns per object>", then "NAME_objects <n>"
// and "NAME_best_ms <best collect() ms>".
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <rcgc/rcgc.hpp>

#include "../unseen/harness.hpp"

namespace gc = rcgc::gc;
using rcgc::make;
using rcgc::Object;
using rcgc::Ref;
using rcgc::Visitor;

namespace {

using unseen::cat;
using unseen::Rng;

// A boxed integer: holds no references, so it is not tracked (as a Python
// int).
struct Num : Object {
  long value;
  explicit Num(long v) : value(v) {}
};

// --------------------------------------------------------------- interpreter

// An interned symbol: untracked (Python: an interned str).
struct Symbol : Object {
  std::string name;
  explicit Symbol(std::string n) : name(std::move(n)) {}
};

struct Node : Object {};

struct Const : Node {
  Ref<Object> value;
  explicit Const(Ref<Object> v) : value(std::move(v)) {}
  void traverse(Visitor& visit) const override { visit(value); }
};

struct Var : Node {
  Ref<Symbol> name;
  explicit Var(Ref<Symbol> n) : name(std::move(n)) {}
  void traverse(Visitor& visit) const override { visit(name); }
};

struct BinOp : Node {
  std::string op;
  Ref<Node> lhs, rhs;
  BinOp(std::string o, Ref<Node> l, Ref<Node> r) : op(std::move(o)), lhs(std::move(l)), rhs(std::move(r)) {}
  void traverse(Visitor& visit) const override {
    visit(lhs);
    visit(rhs);
  }
};

struct If : Node {
  Ref<Node> test, then, orelse;
  If(Ref<Node> t, Ref<Node> a, Ref<Node> b) : test(std::move(t)), then(std::move(a)), orelse(std::move(b)) {}
  void traverse(Visitor& visit) const override {
    visit(test);
    visit(then);
    visit(orelse);
  }
};

struct Call : Node {
  Ref<Node> fn;
  std::vector<Ref<Node>> args;
  Call(Ref<Node> f, std::vector<Ref<Node>> a) : fn(std::move(f)), args(std::move(a)) {}
  void traverse(Visitor& visit) const override {
    visit(fn);
    visit.each(args);
  }
};

struct Let : Node {
  Ref<Symbol> name;
  Ref<Node> value, body;
  Let(Ref<Symbol> n, Ref<Node> v, Ref<Node> b) : name(std::move(n)), value(std::move(v)), body(std::move(b)) {}
  void traverse(Visitor& visit) const override {
    visit(name);
    visit(value);
    visit(body);
  }
};

struct Lambda : Node {
  std::vector<Ref<Symbol>> params;
  Ref<Node> body;
  std::string name;
  Lambda(std::vector<Ref<Symbol>> p, Ref<Node> b, std::string n)
      : params(std::move(p)), body(std::move(b)), name(std::move(n)) {}
  void traverse(Visitor& visit) const override {
    visit.each(params);
    visit(body);
  }
};

struct Env : Object {
  std::unordered_map<std::string, Ref<Object>> vars;
  Ref<Env> parent;
  explicit Env(Ref<Env> p) : parent(std::move(p)) {}
  void traverse(Visitor& visit) const override {
    for (const auto& [name, value] : vars) visit(value);
    visit(parent);
  }
};

struct Closure : Object {
  Ref<Lambda> lam;
  Ref<Env> env;
  Closure(Ref<Lambda> l, Ref<Env> e) : lam(std::move(l)), env(std::move(e)) {}
  void traverse(Visitor& visit) const override {
    visit(lam);
    visit(env);
  }
};

struct Interp : Object {
  Ref<Env> globals;
  std::vector<Ref<Lambda>> program;
  std::vector<Ref<Closure>> pending;  // closures handed out (callbacks, thunks)
  std::unordered_map<std::string, Ref<Symbol>> symbols;
  void traverse(Visitor& visit) const override {
    visit(globals);
    visit.each(program);
    visit.each(pending);
    for (const auto& [name, sym] : symbols) visit(sym);
  }
  Ref<Symbol> intern(const std::string& name) {
    Ref<Symbol>& s = symbols[name];
    if (!s) s = make<Symbol>(name);
    return s;
  }
};

const char* const kOps[] = {"+", "-", "*", "<", "==", "and"};
constexpr int kExprDepth = 7;
constexpr std::uint64_t kFunctions = 5000;
constexpr int kActivations = 50000;

struct AstBuilder {
  Rng& rng;
  Interp& interp;
  std::vector<Ref<Lambda>>& inner;  // the lambdas nested in the current function

  std::vector<Ref<Symbol>> params(std::uint64_t n) {
    std::vector<Ref<Symbol>> p;
    for (std::uint64_t i = 0; i < n; ++i) p.push_back(interp.intern(cat("a", i)));
    return p;
  }

  Ref<Node> expr(int depth, std::uint64_t nparams) {
    if (depth >= kExprDepth || rng.below(100) < 30) {
      if (rng.below(2) == 0) return make<Const>(make<Num>(static_cast<long>(rng.below(1000))));
      std::string name;
      if (rng.below(3) == 0) name = cat("f", rng.below(kFunctions));
      else name = cat("a", rng.below(nparams));
      return make<Var>(interp.intern(name));
    }
    const std::uint64_t k = rng.below(100);
    if (k < 35) {
      std::string op = kOps[rng.below(6)];
      Ref<Node> lhs = expr(depth + 1, nparams);
      Ref<Node> rhs = expr(depth + 1, nparams);
      return make<BinOp>(std::move(op), std::move(lhs), std::move(rhs));
    }
    if (k < 50) {
      Ref<Node> test = expr(depth + 1, nparams);
      Ref<Node> then = expr(depth + 1, nparams);
      Ref<Node> orelse = expr(depth + 1, nparams);
      return make<If>(std::move(test), std::move(then), std::move(orelse));
    }
    if (k < 75) {
      Ref<Node> fn = expr(depth + 1, nparams);
      const std::uint64_t nargs = 1 + rng.below(3);
      std::vector<Ref<Node>> args;
      for (std::uint64_t i = 0; i < nargs; ++i) args.push_back(expr(depth + 1, nparams));
      return make<Call>(std::move(fn), std::move(args));
    }
    if (k < 85) {
      Ref<Symbol> name = interp.intern(cat("l", rng.below(8)));
      Ref<Node> value = expr(depth + 1, nparams);
      Ref<Node> body = expr(depth + 1, nparams);
      return make<Let>(std::move(name), std::move(value), std::move(body));
    }
    const std::uint64_t np = 1 + rng.below(3);
    std::vector<Ref<Symbol>> ps = params(np);
    Ref<Node> body = expr(depth + 1, np);
    Ref<Lambda> lam = make<Lambda>(std::move(ps), std::move(body), "lambda");
    inner.push_back(lam);
    return lam;
  }
};

Ref<Object> build_interpreter() {
  Rng rng(5);
  Ref<Interp> interp = make<Interp>();
  interp->globals = make<Env>(nullptr);
  std::vector<Ref<Closure>> closures;
  std::vector<std::vector<Ref<Lambda>>> inner(kFunctions);
  // Parse: one lambda per top-level function, bound in the global scope.
  for (std::uint64_t i = 0; i < kFunctions; ++i) {
    AstBuilder b{rng, *interp, inner[i]};
    const std::uint64_t np = 1 + rng.below(3);
    std::vector<Ref<Symbol>> ps = b.params(np);
    Ref<Node> body = b.expr(1, np);
    Ref<Lambda> lam = make<Lambda>(std::move(ps), std::move(body), cat("f", i));
    interp->program.push_back(lam);
    Ref<Closure> c = make<Closure>(lam, interp->globals);
    interp->globals->vars[cat("f", i)] = c;
    closures.push_back(std::move(c));
  }
  // Run: the activations still alive, each an environment chain captured by
  // a closure.
  for (int r = 0; r < kActivations; ++r) {
    const std::uint64_t f = rng.below(kFunctions);
    const Ref<Closure>& clo = closures[f];
    Ref<Env> env = make<Env>(clo->env);
    for (const Ref<Symbol>& p : clo->lam->params)
      env->vars[p->name] = make<Num>(static_cast<long>(rng.below(100)));
    const std::uint64_t depth = rng.below(3);
    for (std::uint64_t d = 0; d < depth; ++d) {
      Ref<Env> e = make<Env>(env);
      e->vars[cat("t", d)] = make<Num>(static_cast<long>(rng.below(100)));
      env = std::move(e);
    }
    Ref<Lambda> target = clo->lam;
    if (!inner[f].empty()) target = inner[f][rng.below(inner[f].size())];
    Ref<Closure> c = make<Closure>(std::move(target), env);
    if (rng.below(2) == 0) env->vars["self"] = c;
    interp->pending.push_back(std::move(c));
  }
  return interp;
}

// ------------------------------------------------------------------------ gui

struct Style : Object {
  std::string name;
  Ref<Style> base;
  std::map<std::string, std::string> props;
  Style(std::string n, Ref<Style> b) : name(std::move(n)), base(std::move(b)) {}
  void traverse(Visitor& visit) const override { visit(base); }
};

struct Signal;

struct Widget : Object {
  std::string kind, name;
  int x = 0, y = 0, w = 0, h = 0;
  bool visible = true;
  Ref<Widget> parent;
  Ref<Style> style;
  Ref<Signal> changed;
  Ref<Signal> activated;  // buttons, check boxes, sliders
  Ref<Widget> next_focus;
  Widget(std::string k, std::string n, Ref<Widget> p) : kind(std::move(k)), name(std::move(n)), parent(std::move(p)) {}
  void traverse(Visitor& visit) const override {
    visit(parent);
    visit(style);
    visit(changed);
    visit(activated);
    visit(next_focus);
  }
};

struct Container : Widget {
  std::vector<Ref<Widget>> children;
  using Widget::Widget;
  void traverse(Visitor& visit) const override {
    Widget::traverse(visit);
    visit.each(children);
  }
};

// Python: a list subclass (the well-known "class Event(list)" recipe).
struct Signal : Object {
  std::string name;
  Ref<Widget> owner;
  std::vector<Ref<Object>> slots;
  Signal(std::string n, Ref<Widget> o) : name(std::move(n)), owner(std::move(o)) {}
  void traverse(Visitor& visit) const override {
    visit(owner);
    visit.each(slots);
  }
};

// A bound member function (Python: a bound method object).
struct Slot : Object {
  Ref<Widget> receiver;
  int method;
  Slot(Ref<Widget> r, int m) : receiver(std::move(r)), method(m) {}
  void traverse(Visitor& visit) const override { visit(receiver); }
};

struct Binding : Object {
  Ref<Widget> source, target;
  std::string prop;
  Binding(Ref<Widget> s, Ref<Widget> t, std::string p) : source(std::move(s)), target(std::move(t)), prop(std::move(p)) {}
  void traverse(Visitor& visit) const override {
    visit(source);
    visit(target);
  }
};

struct App : Object {
  std::vector<Ref<Container>> windows;
  std::vector<Ref<Style>> styles;
  std::unordered_map<std::string, Ref<Widget>> by_name;
  void traverse(Visitor& visit) const override {
    visit.each(windows);
    visit.each(styles);
    for (const auto& [name, w] : by_name) visit(w);
  }
};

const char* const kContainerKinds[] = {"Frame", "HBox", "VBox", "Tabs"};
const char* const kLeafKinds[] = {"Label", "Button", "CheckBox", "LineEdit", "Slider", "Icon"};
const char* const kProps[] = {"text", "value", "enabled", "checked"};
constexpr int kGuiDepth = 8;
constexpr int kWindows = 300;
constexpr std::uint64_t kStyles = 60;

struct GuiBuilder {
  Rng& rng;
  App& app;
  std::vector<Ref<Widget>>& all;
  std::vector<Ref<Widget>> focusable;  // the current window's, in order

  Ref<Widget> widget(const Ref<Widget>& parent, int depth) {
    Ref<Widget> w;
    Ref<Container> box;
    const std::string name = cat("w", all.size());
    if (depth == 0) {
      box = make<Container>("Window", name, parent);
    } else if (depth < 2 || (depth < kGuiDepth && rng.below(100) < 25)) {
      box = make<Container>(kContainerKinds[rng.below(4)], name, parent);
    }
    if (box) {
      w = box;
    } else {
      w = make<Widget>(kLeafKinds[rng.below(6)], name, parent);
    }
    all.push_back(w);
    w->x = static_cast<int>(rng.below(1920));
    w->y = static_cast<int>(rng.below(1080));
    w->w = 16 + static_cast<int>(rng.below(400));
    w->h = 16 + static_cast<int>(rng.below(300));
    w->style = app.styles[rng.below(kStyles)];
    w->changed = make<Signal>("changed", w);
    if (w->kind == "Button" || w->kind == "CheckBox" || w->kind == "Slider")
      w->activated = make<Signal>("activated", w);
    if (w->kind == "Button" || w->kind == "CheckBox" || w->kind == "Slider" || w->kind == "LineEdit")
      focusable.push_back(w);
    if (box) {
      const std::uint64_t n = 2 + rng.below(7);
      for (std::uint64_t i = 0; i < n; ++i) box->children.push_back(widget(w, depth + 1));
    }
    return w;
  }
};

constexpr std::uint64_t kConnectionsPerWidget = 2;
constexpr std::uint64_t kNeighbourhood = 200;

Ref<Object> build_gui() {
  Rng rng(6);
  Ref<App> app = make<App>();
  for (std::uint64_t i = 0; i < kStyles; ++i) {
    Ref<Style> base = i > 0 && rng.below(2) == 0 ? app->styles[rng.below(i)] : nullptr;
    app->styles.push_back(make<Style>(cat("style", i), std::move(base)));
    app->styles.back()->props["color"] = cat("#", rng.below(0xFFFFFF));
  }
  std::vector<Ref<Widget>> all;
  for (int i = 0; i < kWindows; ++i) {
    GuiBuilder b{rng, *app, all, {}};
    app->windows.push_back(rcgc::ref_cast<Container>(b.widget(nullptr, 0)));
    // The tab order: a ring through the window's focusable widgets.
    for (std::size_t k = 0; k < b.focusable.size(); ++k)
      b.focusable[k]->next_focus = b.focusable[(k + 1) % b.focusable.size()];
  }
  const std::uint64_t n = all.size();
  for (std::uint64_t i = 0; i < kConnectionsPerWidget * n; ++i) {
    const std::uint64_t s = rng.below(n);
    std::uint64_t t = s + rng.below(2 * kNeighbourhood + 1);
    t = t < kNeighbourhood ? 0 : std::min(t - kNeighbourhood, n - 1);
    const Ref<Widget>& src = all[s];
    const Ref<Widget>& tgt = all[t];
    const bool use_activated = rng.below(2) == 0 && src->activated;
    Signal& sig = use_activated ? *src->activated : *src->changed;
    if (rng.below(4) != 3) sig.slots.push_back(make<Slot>(tgt, static_cast<int>(rng.below(3))));
    else sig.slots.push_back(make<Binding>(src, tgt, kProps[rng.below(4)]));
  }
  for (std::uint64_t i = 0; i < n; ++i)
    if (rng.below(4) == 0) app->by_name[all[i]->name] = all[i];
  return app;
}

// ------------------------------------------------------------------------ ssa

struct Type : Object {
  std::string name;
  Ref<Type> pointee;
  Type(std::string n, Ref<Type> p) : name(std::move(n)), pointee(std::move(p)) {}
  void traverse(Visitor& visit) const override { visit(pointee); }
};

struct Use;

struct Value : Object {
  long id;
  Ref<Type> type;
  Ref<Use> first_use;  // the head of the use list
  Value(long i, Ref<Type> t) : id(i), type(std::move(t)) {}
  void traverse(Visitor& visit) const override {
    visit(type);
    visit(first_use);
  }
};

struct Constant : Value {
  long value;
  Constant(long i, Ref<Type> t, long v) : Value(i, std::move(t)), value(v) {}
};

struct Argument : Value {
  std::string name;
  Argument(long i, Ref<Type> t, std::string n) : Value(i, std::move(t)), name(std::move(n)) {}
};

struct Block;
struct Instr;

struct Use : Object {
  Ref<Value> value;
  Ref<Instr> user;
  Ref<Use> next;  // the next use of the same value
  Use(Ref<Value> v, Ref<Instr> u, Ref<Use> n) : value(std::move(v)), user(std::move(u)), next(std::move(n)) {}
  void traverse(Visitor& visit) const override;
};

struct Instr : Value {
  std::string opcode;
  Ref<Use> lhs, rhs;
  Ref<Block> block;
  Instr(long i, Ref<Type> t, std::string op, Ref<Block> b)
      : Value(i, std::move(t)), opcode(std::move(op)), block(std::move(b)) {}
  void traverse(Visitor& visit) const override {
    Value::traverse(visit);
    visit(lhs);
    visit(rhs);
    visit(block);
  }
};

struct Phi : Instr {
  std::vector<Ref<Use>> incoming;  // one per predecessor
  using Instr::Instr;
  void traverse(Visitor& visit) const override {
    Instr::traverse(visit);
    visit.each(incoming);
  }
};

void Use::traverse(Visitor& visit) const {
  visit(value);
  visit(user);
  visit(next);
}

struct Function;

struct Block : Object {
  std::string label;
  std::vector<Ref<Instr>> instrs;
  std::vector<Ref<Block>> succs, preds;
  Ref<Block> idom;
  Ref<Function> func;
  Block(std::string l, Ref<Function> f) : label(std::move(l)), func(std::move(f)) {}
  void traverse(Visitor& visit) const override;
};

struct Function : Object {
  std::string name;
  Ref<Type> ret;
  std::vector<Ref<Argument>> args;
  std::vector<Ref<Block>> blocks;
  Function(std::string n, Ref<Type> r) : name(std::move(n)), ret(std::move(r)) {}
  void traverse(Visitor& visit) const override {
    visit(ret);
    visit.each(args);
    visit.each(blocks);
  }
};

void Block::traverse(Visitor& visit) const {
  visit.each(instrs);
  visit.each(succs);
  visit.each(preds);
  visit(idom);
  visit(func);
}

struct Module : Object {
  std::vector<Ref<Type>> types;
  std::vector<Ref<Function>> functions;
  std::unordered_map<std::string, Ref<Function>> symtab;
  std::unordered_map<long, Ref<Constant>> constants;
  void traverse(Visitor& visit) const override {
    visit.each(types);
    visit.each(functions);
    for (const auto& [name, f] : symtab) visit(f);
    for (const auto& [v, c] : constants) visit(c);
  }
};

const char* const kOpcodes[] = {"add", "sub", "mul", "and", "or", "icmp", "load", "store", "gep", "call"};
constexpr std::uint64_t kSsaFunctions = 2500;
constexpr std::uint64_t kConstants = 1000;
constexpr std::uint64_t kTypes = 8;

struct SsaBuilder {
  Rng& rng;
  Module& mod;
  long next_id = 0;
  std::vector<Ref<Value>> avail;  // the values defined so far in the function

  Ref<Value> constant(long v) {
    Ref<Constant>& c = mod.constants[v];
    if (!c) c = make<Constant>(next_id++, mod.types[3], v);
    return c;
  }
  Ref<Value> pick() {
    if (!avail.empty() && rng.below(5) != 0) {
      const std::uint64_t back = rng.below(std::min<std::uint64_t>(avail.size(), 16));
      return avail[avail.size() - 1 - back];
    }
    return constant(static_cast<long>(rng.below(kConstants)));
  }
  Ref<Use> use(Ref<Value> v, const Ref<Instr>& user) {
    Ref<Use> u = make<Use>(v, user, v->first_use);
    v->first_use = u;
    return u;
  }
};

Ref<Object> build_ssa() {
  Rng rng(7);
  Ref<Module> mod = make<Module>();
  const char* const type_names[] = {"i1", "i8", "i32", "i64", "f64"};
  for (const char* t : type_names) mod->types.push_back(make<Type>(t, nullptr));
  mod->types.push_back(make<Type>("i8*", mod->types[1]));
  mod->types.push_back(make<Type>("i32*", mod->types[2]));
  mod->types.push_back(make<Type>("i64*", mod->types[3]));
  SsaBuilder b{rng, *mod, 0, {}};
  for (std::uint64_t f = 0; f < kSsaFunctions; ++f) {
    Ref<Function> fn = make<Function>(cat("fn", f), mod->types[rng.below(kTypes)]);
    mod->functions.push_back(fn);
    mod->symtab[fn->name] = fn;
    b.avail.clear();
    const std::uint64_t nargs = rng.below(4);
    for (std::uint64_t a = 0; a < nargs; ++a) {
      Ref<Type> t = mod->types[rng.below(kTypes)];
      fn->args.push_back(make<Argument>(b.next_id++, std::move(t), cat("arg", a)));
      b.avail.push_back(fn->args.back());
    }
    const std::uint64_t nblocks = 2 + rng.below(24);
    for (std::uint64_t k = 0; k < nblocks; ++k) fn->blocks.push_back(make<Block>(cat("bb", k), fn));
    // The CFG: a jump, a conditional branch or a jump anywhere; the last
    // block returns.
    for (std::uint64_t k = 0; k + 1 < nblocks; ++k) {
      std::vector<std::uint64_t> succ;
      const std::uint64_t r = rng.below(10);
      if (r < 4) succ = {k + 1};
      else if (r < 9) succ = {k + 1, rng.below(nblocks)};
      else succ = {rng.below(nblocks)};
      for (std::uint64_t s : succ) {
        fn->blocks[k]->succs.push_back(fn->blocks[s]);
        fn->blocks[s]->preds.push_back(fn->blocks[k]);
      }
    }
    for (std::uint64_t k = 1; k < nblocks; ++k) fn->blocks[k]->idom = fn->blocks[rng.below(k)];
    for (const Ref<Block>& blk : fn->blocks) {
      if (blk->preds.size() >= 2) {
        Ref<Type> t = mod->types[rng.below(kTypes)];
        Ref<Phi> phi = make<Phi>(b.next_id++, std::move(t), "phi", blk);
        for (std::size_t p = 0; p < blk->preds.size(); ++p) phi->incoming.push_back(b.use(b.pick(), phi));
        blk->instrs.push_back(phi);
        b.avail.push_back(std::move(phi));
      }
      const std::uint64_t ninstr = 1 + rng.below(12);
      for (std::uint64_t k = 0; k < ninstr; ++k) {
        std::string op = kOpcodes[rng.below(10)];
        Ref<Type> t = mod->types[rng.below(kTypes)];
        Ref<Instr> in = make<Instr>(b.next_id++, std::move(t), std::move(op), blk);
        in->lhs = b.use(b.pick(), in);
        if (rng.below(4) != 0) in->rhs = b.use(b.pick(), in);
        blk->instrs.push_back(in);
        b.avail.push_back(std::move(in));
      }
    }
  }
  return mod;
}

// --------------------------------------------------------------------- actors

struct Blob : Object {  // untracked (Python: a str)
  std::string data;
  explicit Blob(std::string d) : data(std::move(d)) {}
};

struct Actor;
struct Promise;

struct Message : Object {
  Ref<Actor> sender;
  std::string tag;
  long seq;
  Ref<Object> payload;  // a Num, a Blob, another actor, or nothing
  Ref<Promise> reply;   // ask pattern
  Message(Ref<Actor> s, std::string t, long q, Ref<Object> p)
      : sender(std::move(s)), tag(std::move(t)), seq(q), payload(std::move(p)) {}
  void traverse(Visitor& visit) const override;
};

struct Promise : Object {
  Ref<Actor> waiter;
  Ref<Message> request;
  Ref<Object> result;
  Promise(Ref<Actor> w, Ref<Message> r) : waiter(std::move(w)), request(std::move(r)) {}
  void traverse(Visitor& visit) const override;
};

struct Actor : Object {
  std::string name;
  long id;
  Ref<Actor> parent;
  std::deque<Ref<Message>> mailbox;
  std::unordered_map<long, Ref<Promise>> pending;  // seq -> promise
  Actor(std::string n, long i, Ref<Actor> p) : name(std::move(n)), id(i), parent(std::move(p)) {}
  void traverse(Visitor& visit) const override {
    visit(parent);
    visit.each(mailbox);
    for (const auto& [seq, p] : pending) visit(p);
  }
};

struct Supervisor : Actor {
  std::string strategy = "one_for_one";
  std::vector<Ref<Actor>> children;
  using Actor::Actor;
  void traverse(Visitor& visit) const override {
    Actor::traverse(visit);
    visit.each(children);
  }
};

void Message::traverse(Visitor& visit) const {
  visit(sender);
  visit(payload);
  visit(reply);
}

void Promise::traverse(Visitor& visit) const {
  visit(waiter);
  visit(request);
  visit(result);
}

struct ActorSystem : Object {
  Ref<Supervisor> root;
  std::unordered_map<std::string, Ref<Actor>> registry;
  std::deque<Ref<Actor>> run_queue;
  void traverse(Visitor& visit) const override {
    visit(root);
    for (const auto& [name, a] : registry) visit(a);
    visit.each(run_queue);
  }
};

const char* const kTags[] = {"tell", "ask", "tick", "update", "query", "watch"};
constexpr std::uint64_t kActors = 30000;
constexpr std::uint64_t kSupervisors = 1500;
constexpr long kMessages = 500000;

Ref<Object> build_actors() {
  Rng rng(8);
  Ref<ActorSystem> sys = make<ActorSystem>();
  std::vector<Ref<Actor>> actors;
  sys->root = make<Supervisor>("root", 0, nullptr);
  sys->registry["root"] = sys->root;
  actors.push_back(sys->root);
  for (std::uint64_t i = 1; i < kActors; ++i) {
    Ref<Supervisor> parent = rcgc::ref_cast<Supervisor>(actors[rng.below(std::min(i, kSupervisors))]);
    Ref<Actor> a;
    if (i < kSupervisors) a = make<Supervisor>(cat("actor", i), static_cast<long>(i), parent);
    else a = make<Actor>(cat("actor", i), static_cast<long>(i), parent);
    parent->children.push_back(a);
    sys->registry[a->name] = a;
    actors.push_back(std::move(a));
  }
  for (long m = 0; m < kMessages; ++m) {
    const Ref<Actor>& sender = actors[rng.below(kActors)];
    const Ref<Actor>& receiver = actors[rng.below(kActors)];
    std::string tag = kTags[rng.below(6)];
    Ref<Object> payload;
    const std::uint64_t r = rng.below(10);
    if (r < 5) payload = make<Num>(static_cast<long>(rng.below(1000000)));
    else if (r < 7) payload = make<Blob>(cat("data", m));
    else if (r < 9) payload = actors[rng.below(kActors)];
    Ref<Message> msg = make<Message>(sender, std::move(tag), m, std::move(payload));
    if (rng.below(8) == 0) {
      Ref<Promise> p = make<Promise>(sender, msg);
      msg->reply = p;
      sender->pending[m] = std::move(p);
    }
    if (receiver->mailbox.empty()) sys->run_queue.push_back(receiver);
    receiver->mailbox.push_back(std::move(msg));
    // Now and then the receiver handles its oldest message: an ask is
    // answered (the promise resolved and dropped from the waiter's table,
    // which leaves the message <-> promise cycle to the collector).
    if (rng.below(4) == 0) {
      Ref<Message> done = std::move(receiver->mailbox.front());
      receiver->mailbox.pop_front();
      if (done->reply) {
        done->reply->result = make<Num>(done->seq);
        done->reply->waiter->pending.erase(done->seq);
      }
    }
  }
  return sys;
}

// ----------------------------------------------------------------------- main

constexpr unseen::Workload kWorkloads[] = {
    {"interpreter", build_interpreter},
    {"gui", build_gui},
    {"ssa", build_ssa},
    {"actors", build_actors},
};

}  // namespace

int main(int argc, char** argv) { return unseen::run(argc, argv, "gc_unseen2", kWorkloads); }
