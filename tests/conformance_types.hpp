// Types shared by the CPython conformance tests (test_gc.py,
// test_finalization.py, test_weakref.py ported to C++).
//
// The object model: a Python container or class instance is a tracked
// rcgc::Object whose traverse() reports what it holds; an int or a str is an
// untracked object (no traverse). Every type here counts its live instances
// in rcgc_test::live_nodes, like the fixture's Node, List and Blob, so a test
// can check that a collection really freed what it reported.
#pragma once

#include <map>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "fixture.hpp"

namespace conf {

using rcgc::Object;
using rcgc::Ref;
using rcgc::Visitor;

// Python's int: untracked, holds no references.
struct Int : Object {
  long value;
  explicit Int(long v = 0) : value(v) { ++rcgc_test::live_nodes; }
  ~Int() override { --rcgc_test::live_nodes; }
};

// Python's float: untracked.
struct Float : Object {
  double value;
  explicit Float(double v = 0) : value(v) { ++rcgc_test::live_nodes; }
  ~Float() override { --rcgc_test::live_nodes; }
};

// Python's tuple: tracked, its items fixed at construction.
struct Tuple : Object {
  std::vector<Ref<Object>> items;
  explicit Tuple(std::vector<Ref<Object>> v = {}) : items(std::move(v)) {
    ++rcgc_test::live_nodes;
  }
  ~Tuple() override { --rcgc_test::live_nodes; }
  void traverse(Visitor& visit) const override {
    for (auto& r : items) visit(r);
  }
  void clear() override {
    auto tmp = std::move(items);
    items.clear();
  }
  // CPython untracks exact tuples whose items are all untracked
  // (untrack_tuples); a subclass stays tracked.
  bool references_fixed() const noexcept override { return typeid(*this) == typeid(Tuple); }
};

// Python's dict: tracked; keys and values are references (keys compared by
// identity, or by value for Int keys).
struct Dict : Object {
  std::vector<std::pair<Ref<Object>, Ref<Object>>> entries;
  Dict() { ++rcgc_test::live_nodes; }
  ~Dict() override { --rcgc_test::live_nodes; }
  void set(Ref<Object> key, Ref<Object> value) {
    for (auto& [k, v] : entries)
      if (same_key(k, key)) {
        Ref<Object> old = std::move(v);
        v = std::move(value);
        return;
      }
    entries.emplace_back(std::move(key), std::move(value));
  }
  Ref<Object> get(const Ref<Object>& key) const {
    for (auto& [k, v] : entries)
      if (same_key(k, key)) return v;
    return nullptr;
  }
  bool erase(const Object* key) {
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (entries[i].first.get() == key) {
        auto victim = std::move(entries[i]);
        entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
    return false;
  }
  void traverse(Visitor& visit) const override {
    for (auto& [k, v] : entries) {
      visit(k);
      visit(v);
    }
  }
  void clear() override {
    auto tmp = std::move(entries);
    entries.clear();
  }

 private:
  static bool same_key(const Ref<Object>& a, const Ref<Object>& b) {
    if (a == b) return true;
    auto ia = rcgc::ref_cast<Int>(a), ib = rcgc::ref_cast<Int>(b);
    return ia && ib && ia->value == ib->value;
  }
};

// A Python class object. CPython's heap types are always in a self-cycle
// (their __mro__ tuple starts with the type itself); the model keeps that
// cycle (mro[0] is the class) but costs one object, where CPython 3.11's
// class costs five (the type, its __dict__, __mro__ and __bases__ tuples and
// a descriptor or two).
struct PyClass : Object {
  std::string name;
  std::vector<Ref<Object>> mro;              // mro[0] == this, then the bases' mros
  std::map<std::string, Ref<Object>> attrs;  // the class __dict__
  explicit PyClass(std::string n) : name(std::move(n)) { ++rcgc_test::live_nodes; }
  ~PyClass() override { --rcgc_test::live_nodes; }
  // class <name>(bases...): the class with its mro set up.
  static Ref<PyClass> create(std::string name, std::vector<Ref<PyClass>> bases = {}) {
    Ref<PyClass> cls = rcgc::make<PyClass>(std::move(name));
    cls->mro.push_back(cls);
    for (auto& b : bases)
      for (auto& m : b->mro) cls->mro.push_back(m);
    return cls;
  }
  void traverse(Visitor& visit) const override {
    for (auto& r : mro) visit(r);
    for (auto& [k, v] : attrs) visit(v);
  }
  void clear() override {
    auto m = std::move(mro);
    mro.clear();
    auto a = std::move(attrs);
    attrs.clear();
  }
  std::string type_name() const override { return "type"; }
};

// An instance of a user-defined Python class: attributes by name, and (like
// instances of heap types in CPython) a reference to its class when given.
// In CPython 3.11 an instance whose __dict__ is never materialized is one
// object; so it is here.
struct Instance : Object {
  Ref<PyClass> cls;
  std::map<std::string, Ref<Object>> attrs;
  explicit Instance(Ref<PyClass> c = nullptr) : cls(std::move(c)) { ++rcgc_test::live_nodes; }
  ~Instance() override { --rcgc_test::live_nodes; }
  Ref<Object>& operator[](const std::string& name) { return attrs[name]; }
  bool has(const std::string& name) const {
    auto it = attrs.find(name);
    return it != attrs.end();
  }
  Ref<Object> get(const std::string& name) const {
    auto it = attrs.find(name);
    return it == attrs.end() ? nullptr : it->second;
  }
  // `del self.name`
  void del(const std::string& name) {
    auto it = attrs.find(name);
    if (it == attrs.end()) return;
    Ref<Object> victim = std::move(it->second);
    attrs.erase(it);
  }
  void traverse(Visitor& visit) const override {
    visit(cls);
    for (auto& [k, v] : attrs) visit(v);
  }
  void clear() override {
    auto a = std::move(attrs);
    attrs.clear();
    cls = nullptr;
  }
};

// A Python function: references its globals and its module (as
// func.__globals__ and func.__module__ do); its name is plain data.
struct Function : Object {
  Ref<Object> globals;
  Ref<Object> module;
  std::string qualname;
  explicit Function(std::string name = "f", Ref<Object> g = nullptr)
      : globals(std::move(g)), qualname(std::move(name)) {
    ++rcgc_test::live_nodes;
  }
  ~Function() override { --rcgc_test::live_nodes; }
  void traverse(Visitor& visit) const override {
    visit(globals);
    visit(module);
  }
  void clear() override {
    globals = nullptr;
    module = nullptr;
  }
};

// A bound method object: references the instance it is bound to.
struct BoundMethod : Object {
  Ref<Object> self;
  std::string name;
  explicit BoundMethod(Ref<Object> s, std::string n = "method")
      : self(std::move(s)), name(std::move(n)) {
    ++rcgc_test::live_nodes;
  }
  ~BoundMethod() override { --rcgc_test::live_nodes; }
  void traverse(Visitor& visit) const override { visit(self); }
  void clear() override { self = nullptr; }
};

// test_gc.py's C1055820: an instance in a self-loop (self.loop = self).
struct C1055820 : Instance {
  long i;
  explicit C1055820(long n) : i(n) {}
  static Ref<C1055820> create(long n) {
    Ref<C1055820> c = rcgc::make<C1055820>(n);
    (*c)["loop"] = c;
    return c;
  }
};

// `x in list` by identity (Python's `any(x is e for e in ...)`).
inline bool contains(const rcgc::ObjectList& list, const Object* op) {
  for (auto& r : list)
    if (r.get() == op) return true;
  return false;
}

}  // namespace conf
