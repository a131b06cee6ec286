// Test helpers: a heap fixture and counted object types.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "rcgc/rcgc.hpp"

namespace rcgc_test {

// Instances alive, per test (reset by the fixture).
inline int live_nodes = 0;

// A tracked node with two references, counted.
struct Node : rcgc::Object {
  rcgc::Ref<Node> next;
  rcgc::Ref<rcgc::Object> other;
  int value = 0;
  Node() { ++live_nodes; }
  explicit Node(int v) : value(v) { ++live_nodes; }
  ~Node() override { --live_nodes; }
  void traverse(rcgc::Visitor& visit) const override {
    visit(next);
    visit(other);
  }
  void clear() override {
    next = nullptr;
    other = nullptr;
  }
};

// A tracked list of references (Python's list).
struct List : rcgc::Object {
  std::vector<rcgc::Ref<rcgc::Object>> items;
  List() { ++live_nodes; }
  ~List() override { --live_nodes; }
  void append(rcgc::Ref<rcgc::Object> r) { items.push_back(std::move(r)); }
  void traverse(rcgc::Visitor& visit) const override { visit.each(items); }
  void clear() override {
    auto tmp = std::move(items);
    items.clear();
  }
};

// Ids of the IdNodes not yet destroyed (tests reset it).
inline std::unordered_set<int> alive_ids;

// A tracked node with an id and any number of references, whose life the
// tests follow through alive_ids (the reachability-model tests).
struct IdNode : rcgc::Object {
  int id;
  std::vector<rcgc::Ref<rcgc::Object>> edges;
  explicit IdNode(int i) : id(i) { alive_ids.insert(id); }
  ~IdNode() override { alive_ids.erase(id); }
  void traverse(rcgc::Visitor& visit) const override { visit.each(edges); }
};

// An untracked object (no traverse).
struct Blob : rcgc::Object {
  std::string text;
  explicit Blob(std::string t = {}) : text(std::move(t)) { ++live_nodes; }
  ~Blob() override { --live_nodes; }
};

// Each test runs on a fresh heap with automatic collection off, so counts and
// collect() results are exact (as test_gc.py runs with gc disabled).
class HeapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    live_nodes = 0;
    heap_ = std::make_unique<rcgc::Heap>();
    scope_ = std::make_unique<rcgc::HeapScope>(heap_->enter());
    rcgc::gc::disable();
  }
  void TearDown() override {
    rcgc::gc::garbage().clear();
    rcgc::gc::set_debug(0);
    rcgc::gc::collect();
    heap_->verify();
    scope_.reset();
    heap_.reset();
  }
  rcgc::Heap& heap() { return *heap_; }

 private:
  std::unique_ptr<rcgc::Heap> heap_;
  std::unique_ptr<rcgc::HeapScope> scope_;
};

}  // namespace rcgc_test
