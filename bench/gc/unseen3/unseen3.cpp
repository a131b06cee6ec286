// A third set of out-of-sample full-collection workloads: heap shapes the
// collector has not been tuned on, different from bench/gc/unseen's and
// bench/gc/unseen2's. unseen3.py builds the same heaps in CPython 3.11 from
// the same pseudo-random sequence (splitmix64), so both sides hold the same
// logical structure.
//
//   gc_unseen3 spreadsheet  a spreadsheet: a workbook of sheets (std::map of
//                           cells by address, back-pointer to the workbook),
//                           cells with boxed values, shared styles and
//                           formula ASTs (immutable nodes: cell references,
//                           ranges, binary ops, function calls), each cell
//                           read by a formula listing that formula's cell in
//                           its lazily made broadcaster (dependents: cycles
//                           through the ASTs), a calc chain, named ranges and
//                           an undo stack of replaced formulas; an import
//                           preview workbook is read and dropped (cyclic
//                           garbage for the first collection)
//   gc_unseen3 dom          a browser's DOM: a document tree of elements
//                           (parent and ownerDocument back-pointers, children
//                           as doubly linked sibling lists, string attributes
//                           in an rcgc::Dict) and text nodes, an id map,
//                           style sheets of CSS rules (back-pointers to
//                           their sheet), per-element
//                           computed styles chained to the parent's and
//                           sharing matched-rule lists, event listeners that
//                           capture their element and component, framework
//                           components (tree, state dicts); some components
//                           are unmounted (detached subtrees: cyclic garbage)
//   gc_unseen3 social       a social network: users with follower/following
//                           vectors (many-to-many), posts with hashtags,
//                           likes, reshares and comment threads (back-pointers
//                           to post, reply-to), bounded notification lists
//                           (std::list), cached feeds (std::optional of a
//                           std::deque), groups
//   gc_unseen3 objmodel     a Python-like runtime's heap: modules, classes
//                           with bases, MRO lists (holding the class itself)
//                           and method dicts, weak subclass lists, functions
//                           with closure cells and default tuples, instances
//                           with attribute dicts pointing at ints, strs,
//                           other instances, lists, dicts, tuples (immutable),
//                           bound methods, closures and weak references, and
//                           an error log of exceptions whose tracebacks hold
//                           frames that hold the exceptions (half of them
//                           dropped: cyclic garbage)
//
// Output: "NAME_ns_per_object <best ns per object>", then "NAME_objects <n>"
// and "NAME_best_ms <best collect() ms>".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rcgc/rcgc.hpp>

#include "../unseen/harness.hpp"

namespace {

using rcgc::make;
using rcgc::Object;
using rcgc::Ref;
using rcgc::Visitor;
using unseen::cat;
using unseen::Rng;

template <class T>
std::size_t idx(T n) {
  return static_cast<std::size_t>(n);
}

// Removes the first element equal to x (Python's list.remove).
template <class Seq, class T>
void remove_first(Seq& seq, const T& x) {
  auto it = std::find(seq.begin(), seq.end(), x);
  if (it != seq.end()) seq.erase(it);
}

// ---------------------------------------------------------------- spreadsheet

namespace sheet {

constexpr std::uint64_t kSeed = 0x5EED'3001;
constexpr int kSheets = 20;
constexpr int kRows = 600;
constexpr int kCols = 16;
constexpr int kStyles = 48;
constexpr int kPreviewRows = 150;
constexpr int kNamed = 3000;
constexpr int kEdits = 4000;
constexpr std::size_t kUndoLimit = 1000;
const char* const kFonts[] = {"Calibri", "Arial", "Cambria", "Consolas", "Verdana"};
const char* const kFuncs[] = {"SUM", "AVERAGE", "MAX", "MIN", "IF", "ROUND"};
const char kOps[] = "+-*/";

// Values and styles hold no references: untracked.
struct Number final : Object {
  double value;
  explicit Number(double v) : value(v) {}
};
struct Text final : Object {
  std::string text;
  explicit Text(std::string t) : text(std::move(t)) {}
};
struct Style final : Object {
  std::string font;
  int size;
  std::uint32_t color;
  bool bold;
  Style(std::string f, int s, std::uint32_t c, bool b) : font(std::move(f)), size(s), color(c), bold(b) {}
};

struct Workbook;
struct Sheet;
struct Cell;

// The formula cells that read a cell, made when the first one arrives.
struct Broadcaster final : Object {
  std::vector<Ref<Cell>> listeners;
  void traverse(Visitor& visit) const override;
};

struct Cell final : Object {
  Ref<Sheet> sheet;
  int row, col;
  Ref<Object> value;    // Number or Text (untracked); the cached result of a formula
  Ref<Object> formula;  // the AST's root, null for a constant
  Ref<Style> style;     // shared; null: the default style
  Ref<Broadcaster> listeners;
  Cell(Ref<Sheet> s, int r, int c) : sheet(std::move(s)), row(r), col(c) {}
  void traverse(Visitor& visit) const override {
    visit(sheet);
    visit(value);
    visit(formula);
    visit(style);
    visit(listeners);
  }
};

void Broadcaster::traverse(Visitor& visit) const { visit.each(listeners); }

inline std::uint32_t address(int r, int c) { return static_cast<std::uint32_t>(r * 1024 + c); }

struct Sheet final : Object {
  Ref<Workbook> book;
  std::string name;
  int index;
  std::map<std::uint32_t, Ref<Cell>> cells;  // by address(row, col)
  Sheet(Ref<Workbook> b, std::string n, int i) : book(std::move(b)), name(std::move(n)), index(i) {}
  Ref<Cell> at(int r, int c) const {
    auto it = cells.find(address(r, c));
    return it == cells.end() ? Ref<Cell>() : it->second;
  }
  void traverse(Visitor& visit) const override;
};

// Formula nodes never change once parsed.
struct CellRef final : Object {
  Ref<Cell> cell;
  explicit CellRef(Ref<Cell> c) : cell(std::move(c)) {}
  void traverse(Visitor& visit) const override { visit(cell); }
  bool references_fixed() const noexcept override { return true; }
};
struct RangeRef final : Object {
  Ref<Sheet> sheet;
  int r0, c0, r1, c1;
  RangeRef(Ref<Sheet> s, int a, int b, int c, int d) : sheet(std::move(s)), r0(a), c0(b), r1(c), c1(d) {}
  void traverse(Visitor& visit) const override { visit(sheet); }
  bool references_fixed() const noexcept override { return true; }
};
struct BinOp final : Object {
  char op;
  Ref<Object> lhs, rhs;
  BinOp(char o, Ref<Object> l, Ref<Object> r) : op(o), lhs(std::move(l)), rhs(std::move(r)) {}
  void traverse(Visitor& visit) const override {
    visit(lhs);
    visit(rhs);
  }
  bool references_fixed() const noexcept override { return true; }
};
struct Call final : Object {
  std::string fn;
  std::vector<Ref<Object>> args;
  Call(std::string f, std::vector<Ref<Object>> a) : fn(std::move(f)), args(std::move(a)) {}
  void traverse(Visitor& visit) const override { visit.each(args); }
  bool references_fixed() const noexcept override { return true; }
};

struct NamedRange final : Object {
  std::string name;
  Ref<Sheet> sheet;
  int r0, c0, r1, c1;
  NamedRange(std::string n, Ref<Sheet> s, int a, int b, int c, int d)
      : name(std::move(n)), sheet(std::move(s)), r0(a), c0(b), r1(c), c1(d) {}
  void traverse(Visitor& visit) const override { visit(sheet); }
};

struct Edit final : Object {
  Ref<Cell> cell;
  Ref<Object> old_formula, old_value;
  Edit(Ref<Cell> c, Ref<Object> f, Ref<Object> v)
      : cell(std::move(c)), old_formula(std::move(f)), old_value(std::move(v)) {}
  void traverse(Visitor& visit) const override {
    visit(cell);
    visit(old_formula);
    visit(old_value);
  }
};

struct Workbook final : Object {
  std::vector<Ref<Sheet>> sheets;
  std::vector<Ref<Style>> styles;
  std::map<std::string, Ref<NamedRange>> names;
  std::vector<Ref<Cell>> calc_chain;
  std::deque<Ref<Edit>> undo;
  void traverse(Visitor& visit) const override {
    visit.each(sheets);
    visit.each(styles);
    for (const auto& [name, range] : names) visit(range);
    visit.each(calc_chain);
    visit.each(undo);
  }
};

void Sheet::traverse(Visitor& visit) const {
  visit(book);
  for (const auto& [addr, cell] : cells) visit(cell);
}

class Builder {
 public:
  Builder(Rng& rng, const std::vector<Ref<Style>>& styles) : rng_(rng), styles_(styles) {}

  // Fills `rows` rows of sheet number s of wb.
  void fill(const Ref<Workbook>& wb, const Ref<Sheet>& sh, int rows) {
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < kCols; ++c) {
        if (rng_.below(8) < 2) continue;
        auto cell = make<Cell>(sh, r, c);
        if (rng_.below(5) == 0) cell->style = styles_[idx(rng_.below(kStyles))];
        if (r >= 10 && rng_.below(100) < 55) {
          cell->formula = expr(wb, sh->index, r, cell, 0);
          cell->value = make<Number>(static_cast<double>(rng_.below(100000)) / 100.0);
          wb->calc_chain.push_back(cell);
        } else if (rng_.below(4) == 0) {
          cell->value = make<Text>(cat("label", rng_.below(5000)));
        } else {
          cell->value = make<Number>(static_cast<double>(rng_.below(1000000)));
        }
        sh->cells.emplace(address(r, c), std::move(cell));
      }
    }
  }

  // A formula for `owner` (on sheet s, row `row`): reads cells of earlier
  // rows of its sheet, or of earlier sheets.
  Ref<Object> expr(const Ref<Workbook>& wb, int s, int row, const Ref<Cell>& owner, int depth) {
    const std::uint64_t k = depth < 3 ? rng_.below(10) : 0;
    if (k < 5) {
      const std::uint64_t t = rng_.below(5);
      if (t == 0) return make<Number>(static_cast<double>(rng_.below(1000)));
      if (t <= 2) {
        Ref<Sheet> sh;
        int r;
        if (s > 0 && rng_.below(16) == 0) {
          sh = wb->sheets[idx(rng_.below(static_cast<std::uint64_t>(s)))];
          r = static_cast<int>(rng_.below(kRows));
        } else {
          sh = wb->sheets[idx(s)];
          r = row - 1 - static_cast<int>(rng_.below(static_cast<std::uint64_t>(std::min(row, 20))));
        }
        const int c = static_cast<int>(rng_.below(kCols));
        Ref<Cell> target = sh->at(r, c);
        if (!target) return make<Number>(0.0);  // an empty cell reads as 0
        listen(target, owner);
        return make<CellRef>(std::move(target));
      }
      const Ref<Sheet>& sh = wb->sheets[idx(s)];
      int r0, c0, r1, c1;
      if (rng_.below(2) == 0) {  // a column: B3:B9
        const int h = 2 + static_cast<int>(rng_.below(8));
        c0 = static_cast<int>(rng_.below(kCols));
        r0 = static_cast<int>(rng_.below(static_cast<std::uint64_t>(row - h + 1)));
        r1 = r0 + h - 1;
        c1 = c0;
      } else {  // a row: B3:F3
        const int w = 2 + static_cast<int>(rng_.below(8));
        r0 = static_cast<int>(rng_.below(static_cast<std::uint64_t>(row)));
        c0 = static_cast<int>(rng_.below(static_cast<std::uint64_t>(kCols - w + 1)));
        r1 = r0;
        c1 = c0 + w - 1;
      }
      for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c)
          if (Ref<Cell> cell = sh->at(r, c)) listen(cell, owner);
      return make<RangeRef>(sh, r0, c0, r1, c1);
    }
    if (k < 8) {
      const char op = kOps[rng_.below(4)];
      Ref<Object> lhs = expr(wb, s, row, owner, depth + 1);
      Ref<Object> rhs = expr(wb, s, row, owner, depth + 1);
      return make<BinOp>(op, std::move(lhs), std::move(rhs));
    }
    std::string fn = kFuncs[rng_.below(6)];
    const std::uint64_t n = 1 + rng_.below(3);
    std::vector<Ref<Object>> args;
    for (std::uint64_t i = 0; i < n; ++i) args.push_back(expr(wb, s, row, owner, depth + 1));
    return make<Call>(std::move(fn), std::move(args));
  }

  // Takes `owner` off the broadcasters of the cells `node` reads.
  void unlink(const Ref<Object>& node, const Ref<Cell>& owner) {
    if (auto ref = rcgc::ref_cast<CellRef>(node)) {
      remove_first(ref->cell->listeners->listeners, owner);
    } else if (auto range = rcgc::ref_cast<RangeRef>(node)) {
      for (int r = range->r0; r <= range->r1; ++r)
        for (int c = range->c0; c <= range->c1; ++c)
          if (Ref<Cell> cell = range->sheet->at(r, c)) remove_first(cell->listeners->listeners, owner);
    } else if (auto op = rcgc::ref_cast<BinOp>(node)) {
      unlink(op->lhs, owner);
      unlink(op->rhs, owner);
    } else if (auto call = rcgc::ref_cast<Call>(node)) {
      for (const Ref<Object>& arg : call->args) unlink(arg, owner);
    }
  }

 private:
  static void listen(const Ref<Cell>& target, const Ref<Cell>& owner) {
    if (!target->listeners) target->listeners = make<Broadcaster>();
    target->listeners->listeners.push_back(owner);
  }

  Rng& rng_;
  const std::vector<Ref<Style>>& styles_;
};

Ref<Object> build() {
  Rng rng(kSeed);
  std::vector<Ref<Style>> styles;
  for (int i = 0; i < kStyles; ++i) {
    std::string font = kFonts[rng.below(5)];
    const int size = 8 + static_cast<int>(rng.below(10));
    const auto color = static_cast<std::uint32_t>(rng.below(1u << 24));
    const bool bold = rng.below(2) == 1;
    styles.push_back(make<Style>(std::move(font), size, color, bold));
  }
  Builder b(rng, styles);
  {
    // An import preview: a workbook of one sheet, read, shown, dropped.
    auto preview = make<Workbook>();
    preview->styles = styles;
    auto sh = make<Sheet>(preview, "Preview", 0);
    preview->sheets.push_back(sh);
    b.fill(preview, sh, kPreviewRows);
  }
  auto wb = make<Workbook>();
  wb->styles = styles;
  for (int s = 0; s < kSheets; ++s) {
    auto sh = make<Sheet>(wb, cat("Sheet", s + 1), s);
    wb->sheets.push_back(sh);
    b.fill(wb, sh, kRows);
  }
  for (int i = 0; i < kNamed; ++i) {
    Ref<Sheet> sh = wb->sheets[idx(rng.below(kSheets))];
    const int r0 = static_cast<int>(rng.below(kRows - 20));
    const int c0 = static_cast<int>(rng.below(kCols - 4));
    const int h = 1 + static_cast<int>(rng.below(20));
    const int w = 1 + static_cast<int>(rng.below(4));
    std::string name = cat("range", i);
    wb->names.emplace(name, make<NamedRange>(name, std::move(sh), r0, c0, r0 + h - 1, c0 + w - 1));
  }
  for (int i = 0; i < kEdits; ++i) {
    Ref<Cell> cell = wb->calc_chain[idx(rng.below(wb->calc_chain.size()))];
    b.unlink(cell->formula, cell);
    wb->undo.push_back(make<Edit>(cell, cell->formula, cell->value));
    if (wb->undo.size() > kUndoLimit) wb->undo.pop_front();
    cell->formula = b.expr(wb, cell->sheet->index, cell->row, cell, 0);
    cell->value = make<Number>(static_cast<double>(rng.below(100000)) / 100.0);
  }
  return wb;
}

}  // namespace sheet

// ------------------------------------------------------------------------ dom

namespace dom {

constexpr std::uint64_t kSeed = 0x5EED'3002;
constexpr int kComponents = 2000;
constexpr int kStyleSheets = 8;
constexpr int kRulesPerSheet = 600;
constexpr int kClasses = 300;
constexpr int kRemovals = 40;
const char* const kTags[] = {"div",   "span", "p",  "a",  "li",    "ul",   "section", "img",
                             "button", "input", "td", "tr", "table", "h2", "label",   "form"};
const char* const kAttrs[] = {"href", "src", "title", "alt", "type", "name", "value", "role"};
const char* const kEvents[] = {"click", "input", "change", "keydown", "focus", "mouseover"};
const char* const kProps[] = {"color",  "margin", "padding", "display",    "font-size",
                              "width", "height", "border",  "background", "flex"};
// Children of an element at depth d of a component: kFan[d][0] + below(kFan[d][1]).
const int kFan[][2] = {{2, 5}, {1, 4}, {0, 5}, {0, 4}, {0, 3}};
constexpr int kLeafDepth = 5;

// Untracked: strings and numbers only.
struct Declarations final : Object {
  std::vector<std::pair<std::string, std::string>> props;
};
struct Num final : Object {
  double value;
  explicit Num(double v) : value(v) {}
};
struct Str final : Object {
  std::string value;
  explicit Str(std::string v) : value(std::move(v)) {}
};

struct Document;
struct Element;
struct Component;
struct StyleSheet;

// A node's children are a doubly linked list of siblings (as in browser
// engines): firstChild/lastChild, previousSibling/nextSibling.
struct Node : Object {
  Ref<Element> parent;  // parentNode
  Ref<Document> owner;  // ownerDocument
  Ref<Node> prev, next;  // siblings
  void traverse(Visitor& visit) const override;
};

struct Text final : Node {
  std::string data;
};

struct Rule final : Object {
  std::string selector;
  int specificity;
  Ref<Declarations> decls;
  Ref<StyleSheet> sheet;  // parentStyleSheet
  Rule(std::string sel, int spec, Ref<Declarations> d, Ref<StyleSheet> s)
      : selector(std::move(sel)), specificity(spec), decls(std::move(d)), sheet(std::move(s)) {}
  void traverse(Visitor& visit) const override;
};

struct StyleSheet final : Object {
  std::string href;
  Ref<Element> owner_node;  // its <style> element
  std::vector<Ref<Rule>> rules;
  void traverse(Visitor& visit) const override;
};

// The rules matching a (tag, class) pair, shared by the computed styles of
// every element with that pair.
struct MatchedRules final : Object {
  std::vector<Ref<Rule>> rules;
  explicit MatchedRules(std::vector<Ref<Rule>> r) : rules(std::move(r)) {}
  void traverse(Visitor& visit) const override { visit.each(rules); }
  bool references_fixed() const noexcept override { return true; }
};

struct ComputedStyle final : Object {
  Ref<ComputedStyle> parent;  // inherited properties
  Ref<MatchedRules> rules;
  Ref<Declarations> inline_style;
  double font_size = 16.0;
  int display = 0;
  void traverse(Visitor& visit) const override {
    visit(parent);
    visit(rules);
    visit(inline_style);
  }
};

struct Listener final : Object {
  std::string type;
  Ref<Element> target;        // the element the handler closes over
  Ref<Component> component;   // and its component
  Ref<Element> data;          // another element it reads, or null
  bool capture = false;
  void traverse(Visitor& visit) const override;
};

struct EventTargetData final : Object {
  std::map<std::string, std::vector<Ref<Listener>>> listeners;
  void traverse(Visitor& visit) const override {
    for (const auto& [type, list] : listeners) visit.each(list);
  }
};

struct Element final : Node {
  std::string tag, id, class_name;
  rcgc::Dict<std::string, std::string> attributes;
  Ref<Node> first_child, last_child;
  Ref<Declarations> style;  // the style attribute, parsed
  Ref<ComputedStyle> computed;
  Ref<EventTargetData> events;
  Ref<Component> component;  // set on a component's root element
  void traverse(Visitor& visit) const override {
    Node::traverse(visit);
    visit(first_child);
    visit(last_child);
    visit(style);
    visit(computed);
    visit(events);
    visit(component);
  }
};

struct Component final : Object {
  std::string name;
  Ref<Document> doc;
  Ref<Component> parent;
  std::vector<Ref<Component>> children;
  Ref<Element> root;
  rcgc::Dict<std::string, Ref<Object>> state;
  bool mounted = true;
  void traverse(Visitor& visit) const override {
    visit(doc);
    visit(parent);
    visit.each(children);
    visit(root);
    state.traverse(visit);
  }
};

struct Document final : Object {
  Ref<Element> root;
  std::unordered_map<std::string, Ref<Element>> by_id;
  std::vector<Ref<StyleSheet>> sheets;
  std::vector<Ref<Component>> components;
  std::map<std::string, Ref<MatchedRules>> style_cache;
  void traverse(Visitor& visit) const override {
    visit(root);
    for (const auto& [id, el] : by_id) visit(el);
    visit.each(sheets);
    visit.each(components);
    for (const auto& [key, rules] : style_cache) visit(rules);
  }
};

void Node::traverse(Visitor& visit) const {
  visit(parent);
  visit(owner);
  visit(prev);
  visit(next);
}

void append_child(const Ref<Element>& parent, const Ref<Node>& child) {
  child->parent = parent;
  child->prev = parent->last_child;
  if (parent->last_child)
    parent->last_child->next = child;
  else
    parent->first_child = child;
  parent->last_child = child;
}

void remove_child(const Ref<Element>& parent, const Ref<Node>& child) {
  if (child->prev)
    child->prev->next = child->next;
  else
    parent->first_child = child->next;
  if (child->next)
    child->next->prev = child->prev;
  else
    parent->last_child = child->prev;
  child->prev = nullptr;
  child->next = nullptr;
  child->parent = nullptr;
}
void Rule::traverse(Visitor& visit) const {
  visit(decls);
  visit(sheet);
}
void StyleSheet::traverse(Visitor& visit) const {
  visit(owner_node);
  visit.each(rules);
}
void Listener::traverse(Visitor& visit) const {
  visit(target);
  visit(component);
  visit(data);
}

class Builder {
 public:
  Builder(Rng& rng, Ref<Document> doc) : rng_(rng), doc_(std::move(doc)) {}

  Ref<Element> element(const char* tag, const Ref<Element>& parent) {
    auto el = make<Element>();
    el->tag = tag;
    el->owner = doc_;
    if (parent) append_child(parent, el);
    return el;
  }

  Ref<Declarations> declarations(std::uint64_t n) {
    auto d = make<Declarations>();
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string prop = kProps[rng_.below(10)];
      d->props.emplace_back(std::move(prop), cat("v", rng_.below(50)));
    }
    return d;
  }

  void add_sheets(const Ref<Element>& head) {
    for (int i = 0; i < kStyleSheets; ++i) {
      auto sheet = make<StyleSheet>();
      sheet->href = cat("sheet", i, ".css");
      sheet->owner_node = element("style", head);
      doc_->sheets.push_back(sheet);
      for (int j = 0; j < kRulesPerSheet; ++j) {
        const std::uint64_t cls = rng_.below(kClasses);
        std::string selector = cat(".c", cls, " ", kTags[rng_.below(16)]);
        const int spec = static_cast<int>(rng_.below(100));
        Ref<Declarations> decls = declarations(1 + rng_.below(6));
        auto rule = make<Rule>(std::move(selector), spec, std::move(decls), sheet);
        sheet->rules.push_back(rule);
        all_rules_.push_back(std::move(rule));
      }
    }
  }

  void compute(const Ref<Element>& el, const Ref<ComputedStyle>& parent) {
    const std::string key = cat(el->tag, ".", el->class_name);
    auto it = doc_->style_cache.find(key);
    if (it == doc_->style_cache.end()) {
      const std::uint64_t n = 1 + rng_.below(5);
      std::vector<Ref<Rule>> rules;
      for (std::uint64_t i = 0; i < n; ++i) rules.push_back(all_rules_[idx(rng_.below(all_rules_.size()))]);
      it = doc_->style_cache.emplace(key, make<MatchedRules>(std::move(rules))).first;
    }
    auto cs = make<ComputedStyle>();
    cs->parent = parent;
    cs->rules = it->second;
    cs->inline_style = el->style;
    el->computed = std::move(cs);
  }

  Ref<Element> gen(const Ref<Element>& parent, int depth, const Ref<Component>& comp,
                   std::vector<Ref<Element>>& elems) {
    auto el = element(kTags[rng_.below(16)], parent);
    elems.push_back(el);
    el->class_name = cat("c", rng_.below(kClasses));
    if (rng_.below(8) == 0) {
      el->id = cat("id", next_id_++);
      doc_->by_id.emplace(el->id, el);
    }
    const std::uint64_t na = rng_.below(3);
    for (std::uint64_t i = 0; i < na; ++i) {
      std::string name = kAttrs[rng_.below(8)];
      el->attributes.insert_or_assign(std::move(name), cat("v", rng_.below(1000)));
    }
    if (rng_.below(10) == 0) el->style = declarations(1 + rng_.below(3));
    compute(el, parent->computed);
    if (rng_.below(6) == 0) {
      const std::uint64_t nl = 1 + rng_.below(2);
      for (std::uint64_t i = 0; i < nl; ++i) {
        std::string type = kEvents[rng_.below(6)];
        auto l = make<Listener>();
        l->type = type;
        l->target = el;
        l->component = comp;
        if (rng_.below(2) == 0) l->data = elems[idx(rng_.below(elems.size()))];
        if (!el->events) el->events = make<EventTargetData>();
        el->events->listeners[type].push_back(std::move(l));
      }
    }
    if (rng_.below(2) == 0) {
      auto text = make<Text>();
      text->data = cat("text", rng_.below(10000));
      text->owner = doc_;
      append_child(el, text);
    }
    if (depth < kLeafDepth) {
      const std::uint64_t kids = static_cast<std::uint64_t>(kFan[depth][0]) +
                                 rng_.below(static_cast<std::uint64_t>(kFan[depth][1]));
      for (std::uint64_t i = 0; i < kids; ++i) gen(el, depth + 1, comp, elems);
    }
    return el;
  }

 private:
  Rng& rng_;
  Ref<Document> doc_;
  std::vector<Ref<Rule>> all_rules_;
  int next_id_ = 0;
};

void forget_ids(Document& doc, const Element& el) {
  if (!el.id.empty()) doc.by_id.erase(el.id);
  for (const Node* child = el.first_child.get(); child != nullptr; child = child->next.get())
    if (auto* e = dynamic_cast<const Element*>(child)) forget_ids(doc, *e);
}

void unmount(Document& doc, const Ref<Component>& comp) {
  comp->mounted = false;
  remove_first(doc.components, comp);
  for (const Ref<Component>& child : comp->children) unmount(doc, child);
}

Ref<Object> build() {
  Rng rng(kSeed);
  auto doc = make<Document>();
  Builder b(rng, doc);
  Ref<Element> html = b.element("html", nullptr);
  doc->root = html;
  Ref<Element> head = b.element("head", html);
  Ref<Element> body = b.element("body", html);
  b.add_sheets(head);
  b.compute(html, nullptr);
  b.compute(head, html->computed);
  b.compute(body, html->computed);
  for (const Ref<StyleSheet>& sheet : doc->sheets) b.compute(sheet->owner_node, head->computed);

  std::vector<Ref<Component>> comps;
  std::vector<std::vector<Ref<Element>>> elems;
  for (int i = 0; i < kComponents; ++i) {
    Ref<Component> parent;
    Ref<Element> mount = body;
    if (!comps.empty() && rng.below(3) != 0) {
      const std::size_t p = idx(rng.below(comps.size()));
      parent = comps[p];
      mount = elems[p][idx(rng.below(elems[p].size()))];
    }
    auto comp = make<Component>();
    comp->name = cat("Comp", i);
    comp->doc = doc;
    comp->parent = parent;
    if (parent) parent->children.push_back(comp);
    doc->components.push_back(comp);
    comps.push_back(comp);
    elems.emplace_back();
    std::vector<Ref<Element>>& mine = elems.back();
    Ref<Element> root = b.gen(mount, 0, comp, mine);
    comp->root = root;
    root->component = comp;
    const std::uint64_t ns = rng.below(5);
    for (std::uint64_t j = 0; j < ns; ++j) {
      const std::uint64_t kind = rng.below(3);
      Ref<Object> value;
      if (kind == 0)
        value = mine[idx(rng.below(mine.size()))];
      else if (kind == 1)
        value = make<Num>(static_cast<double>(rng.below(100)));
      else
        value = make<Str>(cat("state", rng.below(1000)));
      comp->state.insert_or_assign(cat("s", j), std::move(value));
    }
  }
  // Unmounting: the component leaves its parent's children, its subtree the
  // document (and the id map); what is left refers only to itself (parent
  // pointers, listeners) and to live objects.
  for (int i = 0; i < kRemovals; ++i) {
    Ref<Component> comp = comps[idx(rng.below(comps.size()))];
    if (!comp->mounted) continue;
    if (comp->parent) remove_first(comp->parent->children, comp);
    unmount(*doc, comp);
    Ref<Element> root = comp->root;
    remove_child(root->parent, root);
    forget_ids(*doc, *root);
  }
  return doc;
}

}  // namespace dom

// --------------------------------------------------------------------- social

namespace social {

constexpr std::uint64_t kSeed = 0x5EED'3003;
constexpr int kUsers = 20000;
constexpr int kTags = 1500;
constexpr int kGroups = 400;
constexpr int kEvents = 750000;
constexpr std::size_t kNotifyCap = 20;
const char* const kCities[] = {"Lisbon", "Oslo",  "Lima",  "Pune",   "Osaka", "Accra",
                               "Quito",  "Turin", "Perth", "Dublin", "Cairo", "Denver"};

// Untracked: strings and numbers only.
struct Profile final : Object {
  std::string bio, city;
  int age;
  Profile(std::string b, std::string c, int a) : bio(std::move(b)), city(std::move(c)), age(a) {}
};

struct User;
struct Post;
struct Comment;

struct Notification final : Object {
  std::string kind;
  Ref<User> from;
  Ref<Post> post;
  Ref<Comment> comment;
  void traverse(Visitor& visit) const override;
};

struct User final : Object {
  std::string handle;
  Ref<Profile> profile;
  std::vector<Ref<User>> following, followers;
  std::vector<Ref<Post>> posts;
  std::optional<std::deque<Ref<Post>>> feed;  // the cached home timeline, once built
  std::list<Ref<Notification>> notifications;
  void traverse(Visitor& visit) const override {
    visit(profile);
    visit.each(following);
    visit.each(followers);
    visit.each(posts);
    if (feed) visit.each(*feed);
    visit.each(notifications);
  }
};

struct Hashtag final : Object {
  std::string name;
  std::vector<Ref<Post>> posts;
  void traverse(Visitor& visit) const override { visit.each(posts); }
};

struct Post final : Object {
  Ref<User> author;
  std::string text;
  std::int64_t time = 0;
  std::vector<Ref<Comment>> comments;
  std::vector<Ref<User>> likes;
  std::vector<Ref<Hashtag>> tags;
  Ref<Post> reshare_of;
  void traverse(Visitor& visit) const override {
    visit(author);
    visit.each(comments);
    visit.each(likes);
    visit.each(tags);
    visit(reshare_of);
  }
};

struct Comment final : Object {
  Ref<Post> post;
  Ref<User> author;
  std::string text;
  Ref<Comment> reply_to;
  std::int64_t time = 0;
  void traverse(Visitor& visit) const override {
    visit(post);
    visit(author);
    visit(reply_to);
  }
};

void Notification::traverse(Visitor& visit) const {
  visit(from);
  visit(post);
  visit(comment);
}

struct Group final : Object {
  std::string name;
  std::vector<Ref<User>> members, admins;
  Ref<Post> pinned;
  void traverse(Visitor& visit) const override {
    visit.each(members);
    visit.each(admins);
    visit(pinned);
  }
};

struct Network final : Object {
  std::vector<Ref<User>> users;
  std::vector<Ref<Post>> posts;
  rcgc::Dict<std::string, Ref<Hashtag>> tags;
  std::vector<Ref<Group>> groups;
  void traverse(Visitor& visit) const override {
    visit.each(users);
    visit.each(posts);
    tags.traverse(visit);
    visit.each(groups);
  }
};

void notify(const Ref<User>& u, const char* kind, const Ref<User>& from, const Ref<Post>& post,
            const Ref<Comment>& comment) {
  auto n = make<Notification>();
  n->kind = kind;
  n->from = from;
  n->post = post;
  n->comment = comment;
  u->notifications.push_back(std::move(n));
  if (u->notifications.size() > kNotifyCap) u->notifications.pop_front();
}

template <class T>
bool contains(const std::vector<Ref<T>>& v, const Ref<T>& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Ref<Object> build() {
  Rng rng(kSeed);
  auto net = make<Network>();
  std::vector<Ref<User>>& users = net->users;
  for (int i = 0; i < kUsers; ++i) {
    std::string bio = cat("bio", rng.below(1000));
    std::string city = kCities[rng.below(12)];
    const int age = 16 + static_cast<int>(rng.below(60));
    auto u = make<User>();
    u->handle = cat("user", i);
    u->profile = make<Profile>(std::move(bio), std::move(city), age);
    users.push_back(std::move(u));
  }
  std::vector<Ref<Hashtag>> tags;
  for (int i = 0; i < kTags; ++i) {
    auto t = make<Hashtag>();
    t->name = cat("#tag", i);
    net->tags.insert_or_assign(t->name, t);
    tags.push_back(std::move(t));
  }
  // Follows: a few accounts (low numbers) are followed by many.
  for (const Ref<User>& u : users) {
    const std::uint64_t n = rng.below(30);
    for (std::uint64_t j = 0; j < n; ++j) {
      const Ref<User>& v = rng.below(3) != 0 ? users[idx(rng.below(kUsers))]
                                             : users[idx(rng.below(1 + rng.below(kUsers)))];
      if (v == u || contains(u->following, v)) continue;
      u->following.push_back(v);
      v->followers.push_back(u);
      notify(v, "follow", u, nullptr, nullptr);
    }
  }
  std::vector<Ref<Post>>& posts = net->posts;
  std::int64_t now = 0;
  for (const Ref<User>& u : users) {
    const std::uint64_t n = rng.below(7);
    for (std::uint64_t j = 0; j < n; ++j) {
      auto p = make<Post>();
      p->author = u;
      p->text = cat("post", rng.below(100000));
      p->time = now++;
      const std::uint64_t nt = rng.below(3);
      for (std::uint64_t k = 0; k < nt; ++k) {
        const Ref<Hashtag>& tag = tags[idx(rng.below(kTags))];
        p->tags.push_back(tag);
        tag->posts.push_back(p);
      }
      if (!posts.empty() && rng.below(10) == 0) p->reshare_of = posts[idx(rng.below(posts.size()))];
      u->posts.push_back(p);
      posts.push_back(std::move(p));
    }
  }
  auto pick_post = [&](const Ref<User>& a) -> Ref<Post> {
    if (!a->following.empty() && rng.below(4) != 0) {
      const Ref<User>& f = a->following[idx(rng.below(a->following.size()))];
      if (!f->posts.empty()) return f->posts[idx(rng.below(f->posts.size()))];
    }
    return posts[idx(rng.below(posts.size()))];
  };
  for (int e = 0; e < kEvents; ++e) {
    const Ref<User>& a = users[idx(rng.below(kUsers))];
    const std::uint64_t kind = rng.below(10);
    if (kind < 5) {  // a like
      Ref<Post> p = pick_post(a);
      if (contains(p->likes, a)) continue;
      p->likes.push_back(a);
      notify(p->author, "like", a, p, nullptr);
    } else if (kind < 9) {  // a comment, sometimes a reply
      Ref<Post> p = pick_post(a);
      auto c = make<Comment>();
      if (!p->comments.empty() && rng.below(3) == 0)
        c->reply_to = p->comments[idx(rng.below(p->comments.size()))];
      c->post = p;
      c->author = a;
      c->text = cat("comment", rng.below(100000));
      c->time = now++;
      p->comments.push_back(c);
      notify(p->author, "comment", a, p, c);
    } else {  // the home timeline, rebuilt
      std::deque<Ref<Post>> feed;
      const std::size_t nf = std::min<std::size_t>(a->following.size(), 10);
      for (std::size_t i = 0; i < nf; ++i) {
        const std::vector<Ref<Post>>& fp = a->following[i]->posts;
        const std::size_t from = fp.size() > 5 ? fp.size() - 5 : 0;
        for (std::size_t k = from; k < fp.size(); ++k) feed.push_back(fp[k]);
      }
      a->feed = std::move(feed);
    }
  }
  for (int g = 0; g < kGroups; ++g) {
    auto grp = make<Group>();
    grp->name = cat("group", g);
    const std::uint64_t nm = 5 + rng.below(150);
    for (std::uint64_t i = 0; i < nm; ++i) {
      const Ref<User>& m = users[idx(rng.below(kUsers))];
      if (!contains(grp->members, m)) grp->members.push_back(m);
    }
    const std::size_t na = std::min<std::size_t>(grp->members.size(), 2);
    grp->admins.assign(grp->members.begin(), grp->members.begin() + static_cast<std::ptrdiff_t>(na));
    if (rng.below(2) == 0) grp->pinned = posts[idx(rng.below(posts.size()))];
    net->groups.push_back(std::move(grp));
  }
  return net;
}

}  // namespace social

// ------------------------------------------------------------------- objmodel

namespace objmodel {

constexpr std::uint64_t kSeed = 0x5EED'3004;
constexpr int kModules = 30;
constexpr int kRoots = 10;  // classes with no base but object
constexpr int kClasses = 300;
constexpr int kInstances = 220000;
constexpr int kErrorTypes = 5;
constexpr int kErrors = 3000;
const char* const kMethodNames[] = {"get",     "set",      "update",  "render", "save",    "load",
                                    "close",   "open",     "reset",   "validate", "parse", "emit",
                                    "connect", "send",     "recv",    "flush",  "compute", "lookup",
                                    "register", "notify",  "apply",   "clone",  "merge",   "dispatch"};
const char* const kAttrNames[] = {"name",  "value",  "parent", "children", "owner",  "size",  "data",
                                  "kind",  "left",   "right",  "next",     "prev",   "key",   "label",
                                  "count", "state",  "config", "cache",    "handler", "target", "source",
                                  "items", "index",  "weight", "color",    "width",  "height", "x",
                                  "y",     "tag",    "meta",   "ref"};

// Atoms and code: untracked (CPython's ints, strs and code objects).
struct Int final : Object {
  std::int64_t value;
  explicit Int(std::int64_t v) : value(v) {}
};
struct Str final : Object {
  std::string value;
  explicit Str(std::string v) : value(std::move(v)) {}
};
struct Code final : Object {
  std::string name;
  int argcount;
  Code(std::string n, int a) : name(std::move(n)), argcount(a) {}
};

struct Module;
struct Type;

struct Tuple final : Object {
  std::vector<Ref<Object>> items;
  explicit Tuple(std::vector<Ref<Object>> v) : items(std::move(v)) {}
  void traverse(Visitor& visit) const override { visit.each(items); }
  bool references_fixed() const noexcept override { return true; }
};

struct List final : Object {
  std::vector<Ref<Object>> items;
  void traverse(Visitor& visit) const override { visit.each(items); }
};

struct DictObject final : Object {
  rcgc::Dict<std::string, Ref<Object>> items;
  void traverse(Visitor& visit) const override { items.traverse(visit); }
};

struct CellObject final : Object {
  Ref<Object> contents;
  explicit CellObject(Ref<Object> c) : contents(std::move(c)) {}
  void traverse(Visitor& visit) const override { visit(contents); }
};

struct Function final : Object {
  std::string name;
  Ref<Code> code;
  Ref<Module> globals;
  Ref<Tuple> defaults, closure;
  Function(std::string n, Ref<Code> c, Ref<Module> g, Ref<Tuple> d, Ref<Tuple> cl)
      : name(std::move(n)), code(std::move(c)), globals(std::move(g)), defaults(std::move(d)),
        closure(std::move(cl)) {}
  void traverse(Visitor& visit) const override;
};

struct BoundMethod final : Object {
  Ref<Function> func;
  Ref<Object> self;
  BoundMethod(Ref<Function> f, Ref<Object> s) : func(std::move(f)), self(std::move(s)) {}
  void traverse(Visitor& visit) const override {
    visit(func);
    visit(self);
  }
  bool references_fixed() const noexcept override { return true; }
};

struct Instance final : Object {
  Ref<Type> cls;
  rcgc::Dict<std::string, Ref<Object>> attrs;
  explicit Instance(Ref<Type> c) : cls(std::move(c)) {}
  void traverse(Visitor& visit) const override;
};

struct Type final : Object {
  std::string name;
  int id;
  Ref<Module> module;
  std::vector<Ref<Type>> bases, mro;  // mro[0] is the class itself
  rcgc::Dict<std::string, Ref<Object>> dict;
  std::vector<rcgc::WeakRef<Type>> subclasses;
  Type(std::string n, int i, Ref<Module> m) : name(std::move(n)), id(i), module(std::move(m)) {}
  void traverse(Visitor& visit) const override;
};

struct Module final : Object {
  std::string name;
  rcgc::Dict<std::string, Ref<Object>> globals;
  explicit Module(std::string n) : name(std::move(n)) {}
  void traverse(Visitor& visit) const override { globals.traverse(visit); }
};

void Function::traverse(Visitor& visit) const {
  visit(code);
  visit(globals);
  visit(defaults);
  visit(closure);
}
void Instance::traverse(Visitor& visit) const {
  visit(cls);
  attrs.traverse(visit);
}
void Type::traverse(Visitor& visit) const {
  visit(module);
  visit.each(bases);
  visit.each(mro);
  dict.traverse(visit);
  for (const rcgc::WeakRef<Type>& w : subclasses) visit(w);
}

struct Frame final : Object {
  Ref<Frame> back;
  Ref<Code> code;
  Ref<Module> globals;
  std::vector<Ref<Object>> locals;
  int lineno = 0;
  void traverse(Visitor& visit) const override {
    visit(back);
    visit(code);
    visit(globals);
    visit.each(locals);
  }
};

struct Traceback final : Object {
  Ref<Traceback> next;
  Ref<Frame> frame;
  int lineno = 0;
  void traverse(Visitor& visit) const override {
    visit(next);
    visit(frame);
  }
};

struct ExceptionObject final : Object {
  Ref<Type> cls;
  Ref<Tuple> args;
  Ref<Traceback> traceback;
  Ref<Object> context;
  void traverse(Visitor& visit) const override {
    visit(cls);
    visit(args);
    visit(traceback);
    visit(context);
  }
};

struct Interp final : Object {
  rcgc::Dict<std::string, Ref<Module>> modules;  // sys.modules
  Ref<Type> object_type, base_exception, exception;
  std::vector<Ref<Type>> error_types;
  std::deque<Ref<ExceptionObject>> errors;  // the error log
  void traverse(Visitor& visit) const override {
    modules.traverse(visit);
    visit(object_type);
    visit(base_exception);
    visit(exception);
    visit.each(error_types);
    visit.each(errors);
  }
};

Ref<Tuple> tuple(std::vector<Ref<Object>> items) { return make<Tuple>(std::move(items)); }

class Builder {
 public:
  Builder(Rng& rng, Ref<Interp> interp) : rng_(rng), interp_(std::move(interp)) {}

  Ref<Type> new_type(std::string name, int id, const Ref<Module>& mod, std::vector<Ref<Type>> bases) {
    auto t = make<Type>(std::move(name), id, mod);
    t->mro.push_back(t);
    if (bases.empty()) {
      if (interp_->object_type) t->mro.push_back(interp_->object_type);
    } else {
      const std::vector<Ref<Type>>& first = bases[0]->mro;
      if (bases.size() == 1 || std::find(first.begin(), first.end(), bases[1]) != first.end()) {
        t->mro.insert(t->mro.end(), first.begin(), first.end());
      } else {  // C3 with a base-less mixin: the first base's line, the mixin, object
        t->mro.insert(t->mro.end(), first.begin(), first.end() - 1);
        t->mro.push_back(bases[1]);
        t->mro.push_back(interp_->object_type);
      }
    }
    for (const Ref<Type>& b : bases) b->subclasses.emplace_back(t);
    t->bases = std::move(bases);
    return t;
  }

  void make_modules() {
    interp_->object_type = new_type("object", -1, nullptr, {});
    interp_->base_exception = new_type("BaseException", -1, nullptr, {interp_->object_type});
    interp_->exception = new_type("Exception", -1, nullptr, {interp_->base_exception});
    for (int m = 0; m < kModules; ++m) {
      auto mod = make<Module>(cat("mod", m));
      // Each module defines the factory its methods are made by.
      mod->globals.insert_or_assign("_make", make<Function>("_make", make_code_, mod, nullptr, nullptr));
      interp_->modules.insert_or_assign(mod->name, mod);
      mods_.push_back(std::move(mod));
    }
  }

  // `def method(self, x=k): return x + k` made by mod._make(name, k).
  Ref<Function> method(const std::string& name, std::int64_t k, const Ref<Module>& mod) {
    Ref<Tuple> closure = tuple({make<CellObject>(make<Int>(k))});
    Ref<Tuple> defaults = tuple({make<Int>(k)});
    return make<Function>(name, method_code_, mod, std::move(defaults), std::move(closure));
  }

  void make_classes() {
    for (int c = 0; c < kClasses; ++c) {
      const Ref<Module>& mod = mods_[idx(rng_.below(kModules))];
      std::vector<Ref<Type>> bases;
      if (c >= kRoots) {
        bases.push_back(classes_[idx(rng_.below(static_cast<std::uint64_t>(c)))]);
        if (rng_.below(4) == 0) {
          const Ref<Type>& mixin = classes_[idx(rng_.below(kRoots))];
          if (mixin != bases[0]) bases.push_back(mixin);
        }
      }
      Ref<Type> t = new_type(cat("Class", c), c, mod, std::move(bases));
      methods_.emplace_back();
      fields_.emplace_back();
      const std::uint64_t nm = 2 + rng_.below(7);
      for (std::uint64_t j = 0; j < nm; ++j) {
        std::string mname = kMethodNames[rng_.below(24)];
        const auto k = static_cast<std::int64_t>(rng_.below(1000));
        t->dict.insert_or_assign(mname, method(mname, k, mod));
        methods_.back().push_back(std::move(mname));
      }
      const std::uint64_t nf = 3 + rng_.below(6);
      for (std::uint64_t j = 0; j < nf; ++j) {
        std::string a = kAttrNames[rng_.below(32)];
        std::vector<std::string>& f = fields_.back();
        if (std::find(f.begin(), f.end(), a) == f.end()) f.push_back(std::move(a));
      }
      t->dict.insert_or_assign("version", make<Int>(static_cast<std::int64_t>(rng_.below(100))));
      instances_of_.push_back(make<List>());
      t->dict.insert_or_assign("instances", instances_of_.back());
      mod->globals.insert_or_assign(t->name, t);
      classes_.push_back(std::move(t));
    }
  }

  Ref<Object> near() {
    const std::size_t n = objs_.size();
    if (n == 0) return nullptr;
    return objs_[n - 1 - idx(rng_.below(std::min<std::size_t>(n, 1000)))];
  }
  Ref<Object> any() {
    if (objs_.empty()) return nullptr;
    return objs_[idx(rng_.below(objs_.size()))];
  }

  Ref<Object> value(const Ref<Instance>& obj) {
    const std::uint64_t k = rng_.below(20);
    if (k < 6) return make<Int>(static_cast<std::int64_t>(rng_.below(100000)));
    if (k < 9) return make<Str>(cat("s", rng_.below(50000)));
    if (k < 12) return near();
    if (k == 12) return any();
    if (k == 13) return nullptr;
    if (k == 14) {
      auto list = make<List>();
      const std::uint64_t n = rng_.below(10);
      for (std::uint64_t i = 0; i < n; ++i) {
        if (rng_.below(3) == 0)
          list->items.push_back(make<Int>(static_cast<std::int64_t>(rng_.below(1000))));
        else
          list->items.push_back(any());
      }
      return list;
    }
    if (k == 15) {
      auto dict = make<DictObject>();
      const std::uint64_t n = 1 + rng_.below(5);
      for (std::uint64_t i = 0; i < n; ++i) {
        std::string key = cat("k", rng_.below(20));
        Ref<Object> v;
        if (rng_.below(2) == 0)
          v = any();
        else
          v = make<Int>(static_cast<std::int64_t>(rng_.below(100)));
        dict->items.insert_or_assign(std::move(key), std::move(v));
      }
      return dict;
    }
    if (k == 16) {
      std::vector<Ref<Object>> items;
      const std::uint64_t n = 1 + rng_.below(4);
      for (std::uint64_t i = 0; i < n; ++i) {
        if (rng_.below(2) == 0)
          items.push_back(make<Int>(static_cast<std::int64_t>(rng_.below(10))));
        else
          items.push_back(near());
      }
      return tuple(std::move(items));
    }
    if (k == 17) {  // a bound method: self.on_x = other.render
      Ref<Instance> target;
      if (rng_.below(3) == 0 || objs_.empty())
        target = obj;
      else
        target = rcgc::ref_cast<Instance>(near());
      const std::vector<std::string>& names = methods_[idx(target->cls->id)];
      const std::string& mname = names[idx(rng_.below(names.size()))];
      Ref<Function> f = rcgc::ref_cast<Function>(*target->cls->dict.get(mname));
      return make<BoundMethod>(std::move(f), std::move(target));
    }
    if (k == 18) {  // a callback closing over the object: lambda: obj
      Ref<Tuple> closure = tuple({make<CellObject>(obj)});
      return make<Function>("<lambda>", lambda_code_, obj->cls->module, nullptr, std::move(closure));
    }
    Ref<Object> target = near();  // weakref.ref(target)
    if (!target) return nullptr;
    return rcgc::WeakRef<Instance>(rcgc::ref_cast<Instance>(target)).object();
  }

  void make_instances() {
    for (int i = 0; i < kInstances; ++i) {
      const std::size_t c = idx(rng_.below(kClasses));
      auto obj = make<Instance>(classes_[c]);
      for (const std::string& a : fields_[c]) {
        Ref<Object> v = value(obj);
        obj->attrs.insert_or_assign(a, std::move(v));
      }
      instances_of_[c]->items.push_back(obj);
      objs_.push_back(std::move(obj));
    }
    for (const Ref<Module>& mod : mods_)
      for (int j = 0; j < 3; ++j) mod->globals.insert_or_assign(cat("g", j), any());
  }

  // try: _fail(cls, depth, payload)  except Exception as e: err = e
  // The traceback holds the frames, the catching frame holds the exception.
  Ref<ExceptionObject> capture(const Ref<Type>& cls, std::uint64_t depth, std::uint64_t payload,
                               const Ref<Frame>& caller) {
    auto frame = [&](const Ref<Frame>& back, const Ref<Code>& code, int lineno) {
      auto f = make<Frame>();
      f->back = back;
      f->code = code;
      f->globals = mods_[0];
      f->lineno = lineno;
      return f;
    };
    Ref<Frame> cap = frame(caller, capture_code_, 3);
    cap->locals = {cls, make<Int>(static_cast<std::int64_t>(depth)),
                   make<Int>(static_cast<std::int64_t>(payload)), nullptr, nullptr};
    auto exc = make<ExceptionObject>();
    exc->cls = cls;
    exc->args = tuple({make<Int>(static_cast<std::int64_t>(payload))});
    auto tb = make<Traceback>();
    tb->frame = cap;
    tb->lineno = 3;
    exc->traceback = tb;
    Ref<Frame> back = cap;
    for (std::uint64_t d = depth + 1; d-- > 0;) {  // _fail(depth) ... _fail(0)
      Ref<Frame> f = frame(back, fail_code_, d == 0 ? 3 : 4);
      f->locals = {cls, make<Int>(static_cast<std::int64_t>(d)),
                   make<Int>(static_cast<std::int64_t>(payload))};
      auto next = make<Traceback>();
      next->frame = f;
      next->lineno = f->lineno;
      tb->next = next;
      tb = std::move(next);
      back = std::move(f);
    }
    cap->locals[4] = exc;
    return exc;
  }

  void record_errors() {
    for (int i = 0; i < kErrorTypes; ++i)
      interp_->error_types.push_back(new_type(cat("Err", i), -1, mods_[0], {interp_->exception}));
    auto build_frame = make<Frame>();
    build_frame->code = make<Code>("build_objmodel", 0);
    build_frame->globals = mods_[0];
    build_frame->locals = {interp_};
    auto record_frame = make<Frame>();
    record_frame->back = build_frame;
    record_frame->code = make<Code>("record_errors", 2);
    record_frame->globals = mods_[0];
    record_frame->locals = {interp_};
    for (int e = 0; e < kErrors; ++e) {
      const Ref<Type>& cls = interp_->error_types[idx(rng_.below(kErrorTypes))];
      const std::uint64_t depth = rng_.below(4);
      const std::uint64_t payload = rng_.below(1000);
      Ref<ExceptionObject> err = capture(cls, depth, payload, record_frame);
      if (rng_.below(2) == 0) interp_->errors.push_back(std::move(err));
    }
  }

 private:
  Rng& rng_;
  Ref<Interp> interp_;
  std::vector<Ref<Module>> mods_;
  std::vector<Ref<Type>> classes_;
  std::vector<Ref<List>> instances_of_;
  std::vector<std::vector<std::string>> methods_, fields_;
  std::vector<Ref<Instance>> objs_;
  Ref<Code> make_code_ = make<Code>("_make", 2);
  Ref<Code> method_code_ = make<Code>("method", 2);
  Ref<Code> lambda_code_ = make<Code>("<lambda>", 0);
  Ref<Code> capture_code_ = make<Code>("_capture", 3);
  Ref<Code> fail_code_ = make<Code>("_fail", 3);
};

Ref<Object> build() {
  Rng rng(kSeed);
  auto interp = make<Interp>();
  Builder b(rng, interp);
  b.make_modules();
  b.make_classes();
  b.make_instances();
  b.record_errors();
  return interp;
}

}  // namespace objmodel

// ----------------------------------------------------------------------- main

constexpr unseen::Workload kWorkloads[] = {
    {"spreadsheet", sheet::build},
    {"dom", dom::build},
    {"social", social::build},
    {"objmodel", objmodel::build},
};

}  // namespace

int main(int argc, char** argv) { return unseen::run(argc, argv, "gc_unseen3", kWorkloads); }
