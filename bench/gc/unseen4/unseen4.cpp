// A fourth set of out-of-sample full-collection workloads, written by a
// fourth helper who read only README.md, ../shared/API.md, the public
// headers (include/rcgc/) and the harness (../unseen/harness.hpp,
// harness.py, ../timing.hpp), nothing of the collector's sources, tests,
// documents or other benchmarks. unseen4.py builds the same heaps in
// CPython 3.11 from the same splitmix64 draws.
//
//   gc_unseen4 scene   a game engine's scene graph and entity-component
//                      system: entities spawned and despawned frame by frame,
//                      transforms in an intrusive child/sibling tree (parent
//                      and prev-sibling back links, skeletons of bone
//                      transforms), components with back pointers to their
//                      entity and their system's array (swap-removed),
//                      rigid bodies and their colliders pointing at each
//                      other, bounded contact lists, scripts with a dict of
//                      variables and timers, a spatial hash of cells linked
//                      to their neighbours, and a deque of collision events
//   gc_unseen4 editor  a text editor session: open buffers as piece tables
//                      (doubly linked pieces over shared text strings), an
//                      undo tree (parent / first-child / next-sibling) whose
//                      changes keep the removed pieces, undo and redo bursts
//                      that branch the tree, named marks, windows holding
//                      weak references to their buffer and deques of jumps,
//                      registers of yanked pieces, a highlighter's cache,
//                      and buffers closed (dropped whole) and opened
//   gc_unseen4 chess   a chess analysis server: several games searched by
//                      Monte Carlo tree search (nodes with parent, child,
//                      sibling and best-child links), a fixed-size
//                      transposition table of entries shared by transposed
//                      nodes, each entry holding a weak reference to a node
//                      and a principal-variation link to another entry,
//                      killer moves, search histories with principal
//                      variations as immutable lines; the tree is reused
//                      after each move played and the rest dropped
//   gc_unseen4 broker  a message broker: topics with partitions whose logs
//                      are bounded deques of messages (retention), consumer
//                      groups with partition assignments and offsets,
//                      clients with subscriptions, in-flight deliveries and
//                      awaited requests, a timer wheel of redeliveries, a
//                      dead-letter queue, request/reply messages pointing at
//                      each other, immutable header tuples of strings, and
//                      clients disconnecting and connecting all along
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../unseen/harness.hpp"

using rcgc::make;
using rcgc::Object;
using rcgc::Ref;
using rcgc::Visitor;
using rcgc::WeakRef;
using unseen::cat;
using unseen::Rng;

namespace {

// Empties a container of references: the references die after the member
// is already empty (a destructor they run may look at this object).
template <class C>
void drop(C& c) {
  C old = std::move(c);
  c.clear();
}

std::size_t pick(Rng& rng, std::size_t n) { return static_cast<std::size_t>(rng.below(n)); }

}  // namespace

// ---------------------------------------------------------------- scene
namespace scene {

constexpr int kFrames = 400;
constexpr int kSpawn = 250;
constexpr int kDespawn = 55;
constexpr int kContacts = 150;
constexpr int kReparents = 25;
constexpr int kScriptUpdates = 40;
constexpr int kBones = 16;
constexpr std::size_t kMaxEvents = 3000;
constexpr int kGrid = 64;

struct Material;
struct Entity;
struct System;
struct World;
struct RigidBody;
struct Script;

struct Shader final : Object {
  std::string name;
  std::vector<Ref<Material>> users;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct Material final : Object {
  std::string name;
  Ref<Shader> shader;
  void traverse(Visitor& visit) const override;
};

struct MeshAsset final : Object {
  std::string name;
  Ref<Material> material;
  Ref<MeshAsset> lod;  // the next coarser level of detail
  void traverse(Visitor& visit) const override;
};

struct Transform final : Object {
  Ref<Entity> entity;
  Ref<Transform> parent, first_child, next_sibling, prev_sibling;
  std::string name;
  double x = 0, y = 0, z = 0;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct Component : Object {
  Ref<Entity> entity;
  Ref<System> system;
  std::size_t slot = 0;  // index in system->components
  void traverse(Visitor& visit) const override;
};

struct MeshRenderer final : Component {
  Ref<MeshAsset> mesh;
  Ref<Material> material;
  void traverse(Visitor& visit) const override;
};

struct Collider final : Object {
  Ref<RigidBody> body;
  int shape = 0;
  double radius = 1.0;
  void traverse(Visitor& visit) const override;
};

struct RigidBody final : Component {
  Ref<Collider> collider;
  std::array<Ref<RigidBody>, 4> contacts;  // the last four bodies touched
  std::size_t ncontacts = 0;
  double vx = 0, vy = 0;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct Timer final : Object {
  Ref<Script> script;
  int due = 0;
  void traverse(Visitor& visit) const override;
};

struct Script final : Component {
  Ref<Entity> target;
  rcgc::Dict<std::string, Ref<Object>> vars;
  Ref<Timer> timer;
  void traverse(Visitor& visit) const override;
};

struct Animator final : Component {
  Ref<Transform> skeleton;
  std::vector<Ref<Transform>> bones;
  int clip = 0;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct Cell final : Object {
  int key = 0;
  std::vector<Ref<Entity>> members;
  std::set<Ref<RigidBody>> sleeping;
  Ref<Cell> west, east, north, south;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct Entity final : Object {
  std::uint64_t id = 0;
  std::string name;
  Ref<World> world;
  Ref<Transform> transform;
  std::map<int, Ref<Component>> components;  // by kind: 0 mesh, 1 body, 2 script, 3 animator
  Ref<Cell> cell;
  std::size_t alive_slot = 0;
  bool alive = true;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct System final : Object {
  std::string name;
  Ref<World> world;
  std::vector<Ref<Component>> components;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

struct Event final : Object {
  int kind = 0, frame = 0;
  Ref<RigidBody> a, b;
  void traverse(Visitor& visit) const override;
};

struct World final : Object {
  rcgc::Dict<std::uint64_t, Ref<Entity>> entities;
  std::vector<Ref<Entity>> alive;
  Ref<Transform> root;
  std::vector<Ref<System>> systems;
  std::unordered_map<int, Ref<Cell>> grid;
  std::deque<Ref<Event>> events;
  std::vector<Ref<MeshAsset>> meshes;
  std::vector<Ref<Material>> materials;
  std::vector<Ref<Shader>> shaders;
  std::uint64_t next_id = 0;
  void traverse(Visitor& visit) const override;
  void clear() override;
};

void Shader::traverse(Visitor& visit) const { visit.each(users); }
void Shader::clear() { drop(users); }
void Material::traverse(Visitor& visit) const { visit(shader); }
void MeshAsset::traverse(Visitor& visit) const {
  visit(material);
  visit(lod);
}
void Transform::traverse(Visitor& visit) const {
  visit(entity);
  visit(parent);
  visit(first_child);
  visit(next_sibling);
  visit(prev_sibling);
}
void Transform::clear() {
  entity = nullptr;
  parent = nullptr;
  first_child = nullptr;
  next_sibling = nullptr;
  prev_sibling = nullptr;
}
void Component::traverse(Visitor& visit) const {
  visit(entity);
  visit(system);
}
void MeshRenderer::traverse(Visitor& visit) const {
  Component::traverse(visit);
  visit(mesh);
  visit(material);
}
void Collider::traverse(Visitor& visit) const { visit(body); }
void RigidBody::traverse(Visitor& visit) const {
  Component::traverse(visit);
  visit(collider);
  visit.each(contacts);
}
void RigidBody::clear() {
  entity = nullptr;
  system = nullptr;
  collider = nullptr;
  for (Ref<RigidBody>& c : contacts) c = nullptr;
  ncontacts = 0;
}
void Timer::traverse(Visitor& visit) const { visit(script); }
void Script::traverse(Visitor& visit) const {
  Component::traverse(visit);
  visit(target);
  vars.traverse(visit);
  visit(timer);
}
void Animator::traverse(Visitor& visit) const {
  Component::traverse(visit);
  visit(skeleton);
  visit.each(bones);
}
void Animator::clear() {
  entity = nullptr;
  system = nullptr;
  skeleton = nullptr;
  drop(bones);
}
void Cell::traverse(Visitor& visit) const {
  visit.each(members);
  for (const Ref<RigidBody>& b : sleeping) visit(b);
  visit(west);
  visit(east);
  visit(north);
  visit(south);
}
void Cell::clear() {
  drop(members);
  drop(sleeping);
  west = east = north = south = nullptr;
}
void Entity::traverse(Visitor& visit) const {
  visit(world);
  visit(transform);
  for (const auto& [kind, c] : components) visit(c);
  visit(cell);
}
void Entity::clear() {
  world = nullptr;
  transform = nullptr;
  drop(components);
  cell = nullptr;
}
void System::traverse(Visitor& visit) const {
  visit(world);
  visit.each(components);
}
void System::clear() {
  world = nullptr;
  drop(components);
}
void Event::traverse(Visitor& visit) const {
  visit(a);
  visit(b);
}
void World::traverse(Visitor& visit) const {
  entities.traverse(visit);
  visit.each(alive);
  visit(root);
  visit.each(systems);
  for (const auto& [key, c] : grid) visit(c);
  visit.each(events);
  visit.each(meshes);
  visit.each(materials);
  visit.each(shaders);
}
void World::clear() {
  entities.clear();
  drop(alive);
  root = nullptr;
  drop(systems);
  drop(grid);
  drop(events);
  drop(meshes);
  drop(materials);
  drop(shaders);
}

void attach(Ref<Transform> child, Ref<Transform> parent) {
  child->parent = parent;
  child->prev_sibling = nullptr;
  Ref<Transform> first = parent->first_child;
  child->next_sibling = first;
  if (first) first->prev_sibling = child;
  parent->first_child = child;
}

void detach(Ref<Transform> child) {
  Ref<Transform> prev = child->prev_sibling, next = child->next_sibling;
  if (prev)
    prev->next_sibling = next;
  else if (child->parent)
    child->parent->first_child = next;
  if (next) next->prev_sibling = prev;
  child->parent = nullptr;
  child->prev_sibling = nullptr;
  child->next_sibling = nullptr;
}

Ref<Cell> cell_at(World& w, int cx, int cy) {
  const int key = cx * kGrid + cy;
  auto it = w.grid.find(key);
  if (it != w.grid.end()) return it->second;
  Ref<Cell> c = make<Cell>();
  c->key = key;
  w.grid[key] = c;
  auto link = [&w](int k, Ref<Cell> Cell::*mine, Ref<Cell> Cell::*theirs, Ref<Cell>& self) {
    auto n = w.grid.find(k);
    if (n == w.grid.end()) return;
    (*self).*mine = n->second;
    (*n->second).*theirs = self;
  };
  if (cx > 0) link(key - kGrid, &Cell::west, &Cell::east, c);
  if (cx < kGrid - 1) link(key + kGrid, &Cell::east, &Cell::west, c);
  if (cy > 0) link(key - 1, &Cell::north, &Cell::south, c);
  if (cy < kGrid - 1) link(key + 1, &Cell::south, &Cell::north, c);
  return c;
}

void add_to(const Ref<System>& s, const Ref<Component>& c) {
  c->system = s;
  c->slot = s->components.size();
  s->components.push_back(c);
}

void remove_from_system(Ref<Component> c) {
  Ref<System> s = c->system;
  const std::size_t i = c->slot;
  Ref<Component> last = s->components.back();
  s->components[i] = last;
  last->slot = i;
  s->components.pop_back();
  c->system = nullptr;
}

void add_contact(RigidBody& a, const Ref<RigidBody>& b) {
  if (a.ncontacts == 4) {
    for (std::size_t i = 0; i < 3; ++i) a.contacts[i] = a.contacts[i + 1];
    a.contacts[3] = b;
  } else {
    a.contacts[a.ncontacts++] = b;
  }
}

void spawn(World& w, Rng& rng, int frame) {
  const std::uint64_t id = w.next_id++;
  Ref<Entity> e = make<Entity>();
  e->id = id;
  e->name = cat("entity", id);
  e->world = Ref<World>(&w);
  Ref<Transform> t = make<Transform>();
  t->entity = e;
  const int x = static_cast<int>(rng.below(1024));
  const int y = static_cast<int>(rng.below(1024));
  t->x = x;
  t->y = y;
  e->transform = t;
  Ref<Transform> parent = w.root;
  if (!w.alive.empty() && rng.below(4) == 0) parent = w.alive[pick(rng, w.alive.size())]->transform;
  attach(t, parent);
  Ref<Cell> cell = cell_at(w, x >> 4, y >> 4);
  cell->members.push_back(e);
  e->cell = cell;
  w.entities[id] = e;
  e->alive_slot = w.alive.size();
  w.alive.push_back(e);
  if (rng.below(10) < 9) {
    Ref<MeshRenderer> mr = make<MeshRenderer>();
    mr->entity = e;
    mr->mesh = w.meshes[pick(rng, w.meshes.size())];
    mr->material = w.materials[pick(rng, w.materials.size())];
    e->components[0] = mr;
    add_to(w.systems[0], mr);
  }
  if (rng.below(2) == 0) {
    Ref<RigidBody> rb = make<RigidBody>();
    rb->entity = e;
    Ref<Collider> col = make<Collider>();
    col->body = rb;
    col->shape = static_cast<int>(rng.below(3));
    rb->collider = col;
    e->components[1] = rb;
    add_to(w.systems[1], rb);
  }
  if (rng.below(10) < 3) {
    Ref<Script> sc = make<Script>();
    sc->entity = e;
    sc->target = w.alive[pick(rng, w.alive.size())];
    sc->vars["owner"] = e;
    sc->vars["home"] = cell;
    Ref<Timer> tm = make<Timer>();
    tm->script = sc;
    tm->due = frame + static_cast<int>(rng.below(100));
    sc->timer = tm;
    e->components[2] = sc;
    add_to(w.systems[2], sc);
  }
  if (rng.below(10) == 0) {
    Ref<Animator> an = make<Animator>();
    an->entity = e;
    an->clip = static_cast<int>(rng.below(30));
    for (int i = 0; i < kBones; ++i) {
      Ref<Transform> b = make<Transform>();
      b->entity = e;
      b->name = cat("bone", i);
      attach(b, i == 0 ? t : an->bones[pick(rng, static_cast<std::size_t>(i))]);
      an->bones.push_back(b);
    }
    an->skeleton = an->bones[0];
    e->components[3] = an;
    add_to(w.systems[3], an);
  }
}

void despawn(World& w, Ref<Entity> e) {
  w.entities.erase(e->id);
  const std::size_t i = e->alive_slot;
  Ref<Entity> last = w.alive.back();
  w.alive[i] = last;
  last->alive_slot = i;
  w.alive.pop_back();
  for (const auto& [kind, c] : e->components) remove_from_system(c);
  Ref<Cell> cell = e->cell;
  auto& m = cell->members;
  m.erase(std::find(m.begin(), m.end(), e));
  auto rb = e->components.find(1);
  if (rb != e->components.end()) cell->sleeping.erase(rcgc::ref_cast<RigidBody>(rb->second));
  Ref<Transform> t = e->transform;
  detach(t);
  Ref<Transform> c = t->first_child;
  while (c) {
    Ref<Transform> next = c->next_sibling;
    if (c->entity != e) {
      detach(c);
      attach(c, w.root);
    }
    c = next;
  }
  e->alive = false;
}

Ref<Object> build() {
  Rng rng(0x5CE4E5CE4Eull);
  Ref<World> world = make<World>();
  World& w = *world;
  w.root = make<Transform>();
  w.root->name = "root";
  for (int i = 0; i < 8; ++i) {
    Ref<Shader> s = make<Shader>();
    s->name = cat("shader", i);
    w.shaders.push_back(s);
  }
  for (int i = 0; i < 50; ++i) {
    Ref<Material> m = make<Material>();
    m->name = cat("material", i);
    m->shader = w.shaders[pick(rng, w.shaders.size())];
    m->shader->users.push_back(m);
    w.materials.push_back(m);
  }
  for (int i = 0; i < 200; ++i) {
    Ref<MeshAsset> m = make<MeshAsset>();
    m->name = cat("mesh", i);
    m->material = w.materials[pick(rng, w.materials.size())];
    if (i % 4 != 0) m->lod = w.meshes.back();
    w.meshes.push_back(m);
  }
  for (const char* name : {"render", "physics", "scripts", "animation"}) {
    Ref<System> s = make<System>();
    s->name = name;
    s->world = world;
    w.systems.push_back(s);
  }
  for (int frame = 0; frame < kFrames; ++frame) {
    for (int k = 0; k < kSpawn; ++k) spawn(w, rng, frame);
    if (frame >= 20)
      for (int k = 0; k < kDespawn; ++k) despawn(w, w.alive[pick(rng, w.alive.size())]);
    const std::vector<Ref<Component>>& phys = w.systems[1]->components;
    for (int k = 0; k < kContacts; ++k) {
      const std::size_t n = phys.size();
      if (n < 2) break;
      Ref<RigidBody> a = rcgc::ref_cast<RigidBody>(phys[pick(rng, n)]);
      Ref<RigidBody> b = rcgc::ref_cast<RigidBody>(phys[pick(rng, n)]);
      if (a == b) continue;
      add_contact(*a, b);
      add_contact(*b, a);
      Ref<Event> ev = make<Event>();
      ev->kind = static_cast<int>(rng.below(3));
      ev->frame = frame;
      ev->a = a;
      ev->b = b;
      w.events.push_back(ev);
      if (w.events.size() > kMaxEvents) w.events.pop_front();
      const auto r = rng.below(8);
      if (r == 0)
        a->entity->cell->sleeping.insert(a);
      else if (r == 1)
        a->entity->cell->sleeping.erase(a);
    }
    for (int k = 0; k < kReparents; ++k) {
      const std::size_t n = w.alive.size();
      Ref<Entity> e = w.alive[pick(rng, n)];
      Ref<Entity> p = w.alive[pick(rng, n)];
      if (e == p) continue;
      bool ok = true;
      for (Transform* a = p->transform.get(); a != nullptr; a = a->parent.get())
        if (a == e->transform.get()) {
          ok = false;
          break;
        }
      if (!ok) continue;
      detach(e->transform);
      attach(e->transform, p->transform);
    }
    const std::vector<Ref<Component>>& scripts = w.systems[2]->components;
    for (int k = 0; k < kScriptUpdates; ++k) {
      if (scripts.empty()) break;
      Ref<Script> s = rcgc::ref_cast<Script>(scripts[pick(rng, scripts.size())]);
      s->target = w.alive[pick(rng, w.alive.size())];
      s->vars["seen"] = s->target->cell;
      if (rng.below(4) == 0) {
        Ref<Timer> tm = make<Timer>();
        tm->script = s;
        tm->due = frame + static_cast<int>(rng.below(100));
        s->timer = tm;
      }
    }
  }
  return world;
}

}  // namespace scene

// ---------------------------------------------------------------- editor
namespace editor {

constexpr int kBuffers = 90;
constexpr int kWindows = 12;
constexpr int kRegisters = 26;
constexpr int kSteps = 130000;
constexpr std::size_t kMaxJumps = 100;

struct Buffer;
struct Editor;

struct Piece final : Object {
  Ref<Piece> prev, next;
  Ref<rcgc::Str> source;  // the file's text or the buffer's added text
  std::uint32_t id = 0, start = 0, length = 0;
  bool live = true;
  void traverse(Visitor& visit) const override {
    visit(prev);
    visit(next);
    visit(source);
  }
};

struct Change final : Object {
  int kind = 0;
  Ref<Piece> before, after, old_first, old_last, new_first, new_last;
  void traverse(Visitor& visit) const override {
    visit(before);
    visit(after);
    visit(old_first);
    visit(old_last);
    visit(new_first);
    visit(new_last);
  }
};

struct UndoNode final : Object {
  Ref<UndoNode> parent, first_child, next_sibling;
  Ref<Change> change;
  std::uint32_t seq = 0;
  void traverse(Visitor& visit) const override {
    visit(parent);
    visit(first_child);
    visit(next_sibling);
    visit(change);
  }
};

struct Mark final : Object {
  Ref<Buffer> buffer;
  Ref<Piece> piece;
  std::uint32_t offset = 0;
  std::string name;
  void traverse(Visitor& visit) const override;
};

struct Jump final : Object {
  WeakRef<Buffer> buffer;
  Ref<Piece> piece;
  std::uint32_t offset = 0;
  void traverse(Visitor& visit) const override {
    visit(buffer);
    visit(piece);
  }
};

struct Register final : Object {
  int name = 0;
  std::vector<Ref<Piece>> pieces;
  void traverse(Visitor& visit) const override { visit.each(pieces); }
  void clear() override { drop(pieces); }
};

struct Highlighter final : Object {
  Ref<Buffer> buffer;
  int language = 0;
  std::unordered_map<std::uint32_t, Ref<Piece>> states;  // by piece id
  void traverse(Visitor& visit) const override;
  void clear() override {
    buffer = nullptr;
    drop(states);
  }
};

struct Buffer final : Object {
  std::string name;
  Ref<Editor> editor;
  Ref<rcgc::Str> file, added;
  std::uint32_t added_len = 0;
  Ref<Piece> head, tail;
  rcgc::Dict<std::string, Ref<Mark>> marks;
  std::vector<Ref<Piece>> index;  // the live pieces when last rebuilt
  Ref<UndoNode> undo_root, undo_current;
  std::uint32_t seq = 0, edits = 0;
  Ref<Highlighter> highlighter;
  void traverse(Visitor& visit) const override;
};

struct Window final : Object {
  Ref<Editor> editor;
  WeakRef<Buffer> buffer;
  Ref<Jump> cursor;
  std::deque<Ref<Jump>> jumps;
  void traverse(Visitor& visit) const override;
  void clear() override {
    editor = nullptr;
    buffer.reset();
    cursor = nullptr;
    drop(jumps);
  }
};

struct Editor final : Object {
  rcgc::Dict<std::string, Ref<Buffer>> buffers;
  std::vector<Ref<Buffer>> order;
  std::vector<Ref<Window>> windows;
  std::map<int, Ref<Register>> registers;
  std::uint32_t next_piece = 0, opened = 0;
  void traverse(Visitor& visit) const override {
    buffers.traverse(visit);
    visit.each(order);
    visit.each(windows);
    for (const auto& [name, r] : registers) visit(r);
  }
  void clear() override {
    buffers.clear();
    drop(order);
    drop(windows);
    drop(registers);
  }
};

void Mark::traverse(Visitor& visit) const {
  visit(buffer);
  visit(piece);
}
void Highlighter::traverse(Visitor& visit) const {
  visit(buffer);
  for (const auto& [id, p] : states) visit(p);
}
void Buffer::traverse(Visitor& visit) const {
  visit(editor);
  visit(file);
  visit(added);
  visit(head);
  visit(tail);
  marks.traverse(visit);
  visit.each(index);
  visit(undo_root);
  visit(undo_current);
  visit(highlighter);
}
void Window::traverse(Visitor& visit) const {
  visit(editor);
  visit(buffer);
  visit(cursor);
  visit.each(jumps);
}

Ref<Piece> new_piece(Editor& ed, const Ref<rcgc::Str>& source, std::uint32_t start,
                     std::uint32_t length) {
  Ref<Piece> p = make<Piece>();
  p->id = ed.next_piece++;
  p->source = source;
  p->start = start;
  p->length = length;
  return p;
}

// before <-> first .. last <-> after, or before <-> after without a span.
void link(const Ref<Piece>& before, const Ref<Piece>& first, const Ref<Piece>& last,
          const Ref<Piece>& after) {
  if (first) {
    before->next = first;
    first->prev = before;
    last->next = after;
    after->prev = last;
  } else {
    before->next = after;
    after->prev = before;
  }
}

void set_live(Buffer& b, const Ref<Piece>& first, const Ref<Piece>& last, bool live) {
  if (!first) return;
  for (Ref<Piece> p = first;; p = p->next) {
    p->live = live;
    if (!live) b.highlighter->states.erase(p->id);
    if (p == last) break;
  }
}

void apply(Buffer& b, const Change& ch) {
  link(ch.before, ch.new_first, ch.new_last, ch.after);
  set_live(b, ch.new_first, ch.new_last, true);
  set_live(b, ch.old_first, ch.old_last, false);
}

void revert(Buffer& b, const Change& ch) {
  link(ch.before, ch.old_first, ch.old_last, ch.after);
  set_live(b, ch.new_first, ch.new_last, false);
  set_live(b, ch.old_first, ch.old_last, true);
}

void rebuild_index(Buffer& b) {
  b.index.clear();
  for (Piece* p = b.head->next.get(); p != b.tail.get(); p = p->next.get())
    b.index.push_back(Ref<Piece>(p));
}

// A piece near a random place of the buffer, or null.
Ref<Piece> pick_piece(Buffer& b, Rng& rng) {
  if (b.index.empty()) return nullptr;
  Ref<Piece> p = b.index[pick(rng, b.index.size())];
  if (!p->live) return nullptr;
  const auto steps = rng.below(4);
  for (std::uint64_t s = 0; s < steps; ++s)
    if (p->next != b.tail) p = p->next;
  return p;
}

void open_buffer(const Ref<Editor>& editor, Rng& rng) {
  Editor& ed = *editor;
  const std::uint32_t n = ed.opened++;
  Ref<Buffer> buf = make<Buffer>();
  Buffer& b = *buf;
  b.name = cat("file", n, ".py");
  b.editor = editor;
  b.file = make<rcgc::Str>(cat("contents of ", b.name));
  b.added = make<rcgc::Str>(cat("added to ", b.name));
  b.head = new_piece(ed, b.file, 0, 0);
  b.tail = new_piece(ed, b.file, 0, 0);
  link(b.head, nullptr, nullptr, b.tail);
  const auto count = 150 + rng.below(150);
  std::uint32_t start = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto len = static_cast<std::uint32_t>(40 + rng.below(80));
    Ref<Piece> p = new_piece(ed, b.file, start, len);
    start += len;
    link(b.tail->prev, p, p, b.tail);
  }
  rebuild_index(b);
  b.highlighter = make<Highlighter>();
  b.highlighter->buffer = buf;
  b.highlighter->language = static_cast<int>(rng.below(5));
  for (int k = 0; k < 10; ++k) {
    Ref<Mark> m = make<Mark>();
    m->buffer = buf;
    m->piece = pick_piece(b, rng);
    m->name = cat("m", k);
    b.marks[m->name] = m;
  }
  b.undo_root = make<UndoNode>();
  b.undo_current = b.undo_root;
  ed.buffers[b.name] = buf;
  ed.order.push_back(buf);
}

void record(Buffer& b, Ref<Change> ch) {
  Ref<UndoNode> cur = b.undo_current;
  Ref<UndoNode> node = make<UndoNode>();
  node->parent = cur;
  node->change = std::move(ch);
  node->seq = ++b.seq;
  node->next_sibling = cur->first_child;
  cur->first_child = node;
  b.undo_current = node;
}

void edit(Editor& ed, Buffer& b, Rng& rng) {
  b.edits += 1;
  if (b.edits % 40 == 0) rebuild_index(b);
  Ref<Piece> p = pick_piece(b, rng);
  const auto kind = rng.below(10);
  Ref<Change> ch = make<Change>();
  if (kind < 7) {
    const auto len = static_cast<std::uint32_t>(1 + rng.below(20));
    Ref<Piece> mid = new_piece(ed, b.added, b.added_len, len);
    b.added_len += len;
    if (p && p->length >= 2) {
      const auto off = static_cast<std::uint32_t>(1 + rng.below(p->length - 1));
      Ref<Piece> left = new_piece(ed, p->source, p->start, off);
      Ref<Piece> right = new_piece(ed, p->source, p->start + off, p->length - off);
      left->next = mid;
      mid->prev = left;
      mid->next = right;
      right->prev = mid;
      ch->kind = 0;
      ch->before = p->prev;
      ch->after = p->next;
      ch->old_first = p;
      ch->old_last = p;
      ch->new_first = left;
      ch->new_last = right;
    } else {
      Ref<Piece> before = p ? p : b.head;
      ch->kind = 1;
      ch->before = before;
      ch->after = before->next;
      ch->new_first = mid;
      ch->new_last = mid;
    }
    if (rng.below(2) == 0) b.highlighter->states[mid->id] = mid;
  } else if (p) {
    Ref<Piece> q = p;
    const auto k = rng.below(3);
    for (std::uint64_t i = 0; i < k; ++i)
      if (q->next != b.tail) q = q->next;
    ch->kind = 2;
    ch->before = p->prev;
    ch->after = q->next;
    ch->old_first = p;
    ch->old_last = q;
  } else {
    return;
  }
  apply(b, *ch);
  record(b, ch);
  if (rng.below(8) == 0) {
    Ref<Mark> m = b.marks.at(cat("m", rng.below(10)));
    m->piece = ch->new_first ? ch->new_first : ch->after;
    m->offset = 0;
  }
}

void undo_burst(Buffer& b, Rng& rng) {
  const auto n = 1 + rng.below(6);
  for (std::uint64_t i = 0; i < n; ++i) {
    Ref<UndoNode> cur = b.undo_current;
    if (!cur->parent) break;
    revert(b, *cur->change);
    b.undo_current = cur->parent;
  }
  const auto m = rng.below(n + 1);
  for (std::uint64_t i = 0; i < m; ++i) {
    Ref<UndoNode> child = b.undo_current->first_child;
    if (!child) break;
    apply(b, *child->change);
    b.undo_current = child;
  }
}

void jump(Editor& ed, Rng& rng) {
  Ref<Window> w = ed.windows[pick(rng, ed.windows.size())];
  Ref<Buffer> b = w->buffer.lock();
  if (!b) {
    w->buffer = WeakRef<Buffer>(ed.order[pick(rng, ed.order.size())]);
    return;
  }
  Ref<Piece> p = pick_piece(*b, rng);
  if (p) {
    Ref<Jump> j = make<Jump>();
    j->buffer = w->buffer;
    j->piece = p;
    j->offset = static_cast<std::uint32_t>(rng.below(p->length));
    w->jumps.push_back(j);
    if (w->jumps.size() > kMaxJumps) w->jumps.pop_front();
    w->cursor = j;
  }
  if (rng.below(4) == 0) w->buffer = WeakRef<Buffer>(ed.order[pick(rng, ed.order.size())]);
}

void yank(Editor& ed, Rng& rng) {
  Ref<Buffer> b = ed.order[pick(rng, ed.order.size())];
  Ref<Register> r = ed.registers.at(static_cast<int>(rng.below(kRegisters)));
  drop(r->pieces);
  Ref<Piece> p = pick_piece(*b, rng);
  if (!p) return;
  const auto k = 1 + rng.below(8);
  for (std::uint64_t i = 0; i < k; ++i) {
    r->pieces.push_back(p);
    if (p->next == b->tail) break;
    p = p->next;
  }
}

void close_and_open(const Ref<Editor>& editor, Rng& rng) {
  Editor& ed = *editor;
  const std::size_t i = pick(rng, ed.order.size());
  Ref<Buffer> b = ed.order[i];
  ed.order.erase(ed.order.begin() + static_cast<std::ptrdiff_t>(i));
  ed.buffers.erase(b->name);
  open_buffer(editor, rng);
}

Ref<Object> build() {
  Rng rng(0xED170EED17ull);
  Ref<Editor> editor = make<Editor>();
  Editor& ed = *editor;
  for (int r = 0; r < kRegisters; ++r) {
    Ref<Register> reg = make<Register>();
    reg->name = r;
    ed.registers[r] = reg;
  }
  for (int i = 0; i < kBuffers; ++i) open_buffer(editor, rng);
  for (int i = 0; i < kWindows; ++i) {
    Ref<Window> w = make<Window>();
    w->editor = editor;
    w->buffer = WeakRef<Buffer>(ed.order[pick(rng, ed.order.size())]);
    ed.windows.push_back(w);
  }
  for (int step = 0; step < kSteps; ++step) {
    const auto r = rng.below(10000);
    if (r < 8800)
      edit(ed, *ed.order[pick(rng, ed.order.size())], rng);
    else if (r < 9400)
      undo_burst(*ed.order[pick(rng, ed.order.size())], rng);
    else if (r < 9850)
      jump(ed, rng);
    else if (r < 9997)
      yank(ed, rng);
    else
      close_and_open(editor, rng);
  }
  return editor;
}

}  // namespace editor

// ---------------------------------------------------------------- chess
namespace chess {

constexpr int kGames = 5;
constexpr int kMovesPerGame = 16;
constexpr int kItersPerMove = 2500;
constexpr int kPonderIters = 25000;
constexpr int kMaxDepth = 14;
constexpr std::size_t kMoveIds = 400;
constexpr std::size_t kTableSize = std::size_t{1} << 17;
constexpr std::size_t kKillerPlies = 32;
constexpr std::size_t kMaxPv = 20;
constexpr std::uint64_t kSide = 0x5851F42D4C957F2Dull;

struct TTEntry;
struct Engine;

struct Move final : Object {
  int id = 0, from = 0, to = 0;
  Ref<Move> inverse;
  void traverse(Visitor& visit) const override { visit(inverse); }
};

struct Node final : Object {
  Ref<Node> parent, first_child, next_sibling, best;
  Ref<Move> move;
  Ref<TTEntry> entry;
  std::uint64_t hash = 0;
  long long value = 0;
  int visits = 0, nchildren = 0, depth = 0;
  void traverse(Visitor& visit) const override;
};

struct TTEntry final : Object {
  std::uint64_t key = 0;
  int depth = 0, visits = 0, age = 0;
  Ref<Move> best_move;
  Ref<TTEntry> pv_next;
  WeakRef<Node> node;
  void traverse(Visitor& visit) const override {
    visit(best_move);
    visit(pv_next);
    visit(node);
  }
};

void Node::traverse(Visitor& visit) const {
  visit(parent);
  visit(first_child);
  visit(next_sibling);
  visit(best);
  visit(move);
  visit(entry);
}

// A principal variation, immutable once made (a tuple of moves).
struct Line final : Object {
  std::vector<Ref<Move>> moves;
  explicit Line(std::vector<Ref<Move>> m) : moves(std::move(m)) {}
  void traverse(Visitor& visit) const override { visit.each(moves); }
  bool references_fixed() const noexcept override { return true; }
};

struct SearchInfo final : Object {
  int ply = 0, nodes = 0;
  Ref<Line> pv;
  Ref<TTEntry> root_entry;
  Ref<SearchInfo> prev;
  void traverse(Visitor& visit) const override {
    visit(pv);
    visit(root_entry);
    visit(prev);
  }
};

struct Game final : Object {
  Ref<Engine> engine;
  Ref<Node> root;
  std::vector<Ref<SearchInfo>> history;
  std::vector<std::array<Ref<Move>, 2>> killers;
  int ply = 0;
  void traverse(Visitor& visit) const override;
  void clear() override {
    engine = nullptr;
    root = nullptr;
    drop(history);
    drop(killers);
  }
};

struct Engine final : Object {
  std::vector<Ref<TTEntry>> table;
  std::vector<Ref<Move>> moves;
  std::vector<std::uint64_t> zobrist;
  std::vector<Ref<Game>> games;
  int age = 0;
  void traverse(Visitor& visit) const override {
    visit.each(table);
    visit.each(moves);
    visit.each(games);
  }
  void clear() override {
    drop(table);
    drop(moves);
    drop(games);
  }
};

void Game::traverse(Visitor& visit) const {
  visit(engine);
  visit(root);
  visit.each(history);
  for (const auto& k : killers) visit.each(k);
}

// The node's transposition-table entry: found, or made (and stored unless
// it would replace a deeper entry of this search).
void probe(Engine& eng, const Ref<Node>& c) {
  const std::size_t slot = c->hash & (kTableSize - 1);
  Ref<TTEntry> e = eng.table[slot];
  if (e && e->key == c->hash) {
    if (e->node.expired()) e->node = WeakRef<Node>(c);
    e->age = eng.age;
    c->entry = e;
    return;
  }
  Ref<TTEntry> ne = make<TTEntry>();
  ne->key = c->hash;
  ne->depth = c->depth;
  ne->age = eng.age;
  ne->node = WeakRef<Node>(c);
  c->entry = ne;
  if (!e || e->age != eng.age || e->depth >= c->depth) eng.table[slot] = ne;
}

Ref<Node> expand(Engine& eng, const Ref<Node>& node, Rng& rng) {
  Ref<Move> mv = eng.moves[pick(rng, eng.moves.size())];
  Ref<Node> c = make<Node>();
  c->parent = node;
  c->move = mv;
  c->hash = node->hash ^ eng.zobrist[static_cast<std::size_t>(mv->id)] ^ kSide;
  c->depth = node->depth + 1;
  c->next_sibling = node->first_child;
  node->first_child = c;
  node->nchildren += 1;
  probe(eng, c);
  return c;
}

void backprop(Game& g, Ref<Node> n, Rng& rng) {
  long long v = static_cast<long long>(rng.below(201)) - 100;
  while (n) {
    n->visits += 1;
    n->value += v;
    Ref<Node> p = n->parent;
    if (p) {
      if (!p->best || n->visits > p->best->visits) {
        p->best = n;
        if (p->entry) {
          p->entry->best_move = n->move;
          p->entry->pv_next = n->entry;
        }
      }
      if (v > 60) {
        auto& kill = g.killers[static_cast<std::size_t>(p->depth) % kKillerPlies];
        if (kill[0] != n->move) {
          kill[1] = kill[0];
          kill[0] = n->move;
        }
      }
    }
    if (n->entry) n->entry->visits += 1;
    v = -v;
    n = p;
  }
}

void iterate(Engine& eng, Game& g, Rng& rng) {
  Ref<Node> node = g.root;
  int depth = 0;
  while (depth < kMaxDepth) {
    const int limit = std::min(8, 1 + node->visits / 3);
    if (node->nchildren < limit) break;
    Ref<Node> c;
    if (rng.below(4) == 0 || !node->best) {
      const auto k = rng.below(static_cast<std::uint64_t>(node->nchildren));
      c = node->first_child;
      for (std::uint64_t i = 0; i < k; ++i) c = c->next_sibling;
    } else {
      c = node->best;
    }
    node = c;
    ++depth;
  }
  if (depth < kMaxDepth) node = expand(eng, node, rng);
  backprop(g, node, rng);
}

bool play(Engine& eng, Game& g) {
  Ref<Node> root = g.root;
  std::vector<Ref<Move>> pv;
  for (Node* n = root->best.get(); n != nullptr && pv.size() < kMaxPv; n = n->best.get())
    pv.push_back(n->move);
  Ref<SearchInfo> info = make<SearchInfo>();
  info->ply = g.ply;
  info->nodes = root->visits;
  info->pv = make<Line>(std::move(pv));
  info->root_entry = root->entry;
  if (!g.history.empty()) info->prev = g.history.back();
  g.history.push_back(info);
  eng.age += 1;
  Ref<Node> next = root->best;
  if (!next) return false;
  next->parent = nullptr;
  g.root = next;
  g.ply += 1;
  return true;
}

Ref<Object> build() {
  Rng rng(0xC4E55C4E55ull);
  Ref<Engine> engine = make<Engine>();
  Engine& eng = *engine;
  eng.table.resize(kTableSize);
  for (std::size_t i = 0; i < kMoveIds; ++i) {
    Ref<Move> m = make<Move>();
    m->id = static_cast<int>(i);
    m->from = static_cast<int>(rng.below(64));
    m->to = static_cast<int>(rng.below(64));
    if (i % 2 == 1) {
      m->inverse = eng.moves.back();
      eng.moves.back()->inverse = m;
    }
    eng.moves.push_back(m);
    eng.zobrist.push_back(rng.below(0xFFFFFFFFFFFFFFFFull));
  }
  const std::uint64_t start = rng.below(0xFFFFFFFFFFFFFFFFull);
  for (int gi = 0; gi < kGames; ++gi) {
    Ref<Game> g = make<Game>();
    g->engine = engine;
    g->killers.resize(kKillerPlies);
    Ref<Node> root = make<Node>();
    root->hash = start;
    probe(eng, root);
    g->root = root;
    eng.games.push_back(g);
  }
  for (Ref<Game>& g : eng.games) {
    for (int mv = 0; mv < kMovesPerGame; ++mv) {
      for (int it = 0; it < kItersPerMove; ++it) iterate(eng, *g, rng);
      if (!play(eng, *g)) break;
    }
  }
  // Each game's analysis of its current position (the trees kept).
  for (Ref<Game>& g : eng.games)
    for (int it = 0; it < kPonderIters; ++it) iterate(eng, *g, rng);
  return engine;
}

}  // namespace chess

// ---------------------------------------------------------------- broker
namespace broker {

constexpr int kTopics = 200;
constexpr int kPartitions = 4;
constexpr std::size_t kRetention = 350;
constexpr int kGroupsPerTopic = 2;
constexpr int kClients = 2500;
constexpr int kSubsPerClient = 3;
constexpr int kTicks = 1500;
constexpr int kPublish = 230;
constexpr int kPolls = 160;
constexpr int kAcks = 160;
constexpr std::size_t kWheel = 256;
constexpr std::size_t kMaxDead = 3000;
constexpr std::size_t kSlowInflight = 24;

struct Broker;
struct Topic;
struct Client;
struct ConsumerGroup;
struct Partition;

// Message headers: an immutable tuple of strings (never tracked).
struct Headers final : Object {
  std::vector<Ref<rcgc::Str>> items;
  explicit Headers(std::vector<Ref<rcgc::Str>> i) : items(std::move(i)) {}
  void traverse(Visitor& visit) const override { visit.each(items); }
  bool references_fixed() const noexcept override { return true; }
};

struct Message final : Object {
  std::uint64_t id = 0, offset = 0;
  Ref<Partition> partition;
  std::string key, payload;
  Ref<Headers> headers;
  Ref<Client> producer;
  Ref<Message> reply_to, reply;
  bool wants_reply = false;
  void traverse(Visitor& visit) const override;
};

struct Partition final : Object {
  Ref<Topic> topic;
  int index = 0;
  std::deque<Ref<Message>> log;
  std::uint64_t base = 0, next_offset = 0;
  void traverse(Visitor& visit) const override;
  void clear() override {
    topic = nullptr;
    drop(log);
  }
};

struct Topic final : Object {
  std::string name;
  Ref<Broker> broker;
  std::vector<Ref<Partition>> partitions;
  std::vector<Ref<ConsumerGroup>> groups;
  Ref<Message> retained;
  void traverse(Visitor& visit) const override;
};

struct Subscription final : Object {
  Ref<Client> client;
  Ref<ConsumerGroup> group;
  std::uint64_t delivered = 0;
  void traverse(Visitor& visit) const override;
};

struct ConsumerGroup final : Object {
  std::string name;
  Ref<Topic> topic;
  std::vector<Ref<Subscription>> members;
  std::map<int, Ref<Subscription>> assignment;  // partition -> member
  std::vector<std::uint64_t> offsets;
  void traverse(Visitor& visit) const override {
    visit(topic);
    visit.each(members);
    for (const auto& [p, s] : assignment) visit(s);
  }
  void clear() override {
    topic = nullptr;
    drop(members);
    drop(assignment);
  }
};

struct Delivery final : Object {
  Ref<Message> message;
  Ref<Subscription> sub;
  int attempts = 0, due = 0;
  void traverse(Visitor& visit) const override {
    visit(message);
    visit(sub);
  }
};

struct Client final : Object {
  std::uint64_t id = 0;
  std::string name;
  Ref<Broker> broker;
  std::vector<Ref<Subscription>> subs;
  rcgc::Dict<std::uint64_t, Ref<Delivery>> inflight;  // by message id
  rcgc::Dict<std::uint64_t, Ref<Message>> awaiting;   // requests not answered
  bool connected = true;
  void traverse(Visitor& visit) const override {
    visit(broker);
    visit.each(subs);
    inflight.traverse(visit);
    awaiting.traverse(visit);
  }
};

struct Broker final : Object {
  rcgc::Dict<std::string, Ref<Topic>> topics;
  std::vector<Ref<Topic>> topic_list;
  std::unordered_map<std::uint64_t, Ref<Client>> clients;
  std::vector<Ref<Client>> client_list;
  std::vector<std::vector<Ref<Delivery>>> wheel;
  std::deque<Ref<Message>> dead_letters;
  std::set<Ref<Client>> slow;
  std::uint64_t next_message = 0, next_client = 0;
  void traverse(Visitor& visit) const override {
    topics.traverse(visit);
    visit.each(topic_list);
    for (const auto& [id, c] : clients) visit(c);
    visit.each(client_list);
    for (const auto& slot : wheel) visit.each(slot);
    visit.each(dead_letters);
    visit.each(slow);
  }
  void clear() override {
    topics.clear();
    drop(topic_list);
    drop(clients);
    drop(client_list);
    drop(wheel);
    drop(dead_letters);
    drop(slow);
  }
};

void Message::traverse(Visitor& visit) const {
  visit(partition);
  visit(headers);
  visit(producer);
  visit(reply_to);
  visit(reply);
}
void Partition::traverse(Visitor& visit) const {
  visit(topic);
  visit.each(log);
}
void Topic::traverse(Visitor& visit) const {
  visit(broker);
  visit.each(partitions);
  visit.each(groups);
  visit(retained);
}
void Subscription::traverse(Visitor& visit) const {
  visit(client);
  visit(group);
}

Ref<Message> publish(Broker& b, const Ref<Client>& c, Topic& t, Rng& rng) {
  Ref<Partition> p = t.partitions[pick(rng, t.partitions.size())];
  Ref<Message> m = make<Message>();
  m->id = b.next_message++;
  m->partition = p;
  m->offset = p->next_offset++;
  m->key = cat("k", rng.below(1000));
  m->payload = cat("payload-", m->id);
  m->headers = make<Headers>(std::vector<Ref<rcgc::Str>>{
      rcgc::intern("trace-id"), make<rcgc::Str>(cat("t", m->id)), rcgc::intern("content-type"),
      rcgc::intern("application/json")});
  m->producer = c;
  p->log.push_back(m);
  if (p->log.size() > kRetention) {
    p->log.pop_front();
    p->base += 1;
  }
  return m;
}

void reassign(ConsumerGroup& g) {
  drop(g.assignment);
  if (g.members.empty()) return;
  for (int p = 0; p < kPartitions; ++p)
    g.assignment[p] = g.members[static_cast<std::size_t>(p) % g.members.size()];
}

void connect(const Ref<Broker>& broker, Rng& rng) {
  Broker& b = *broker;
  Ref<Client> c = make<Client>();
  c->id = b.next_client++;
  c->name = cat("client", c->id);
  c->broker = broker;
  b.clients[c->id] = c;
  b.client_list.push_back(c);
  for (int k = 0; k < kSubsPerClient; ++k) {
    Ref<Topic> t = b.topic_list[pick(rng, b.topic_list.size())];
    Ref<ConsumerGroup> g = t->groups[pick(rng, t->groups.size())];
    Ref<Subscription> s = make<Subscription>();
    s->client = c;
    s->group = g;
    c->subs.push_back(s);
    g->members.push_back(s);
    reassign(*g);
  }
}

void disconnect(Broker& b, std::size_t i) {
  Ref<Client> c = b.client_list[i];
  Ref<Client> last = b.client_list.back();
  b.client_list[i] = last;
  b.client_list.pop_back();
  b.clients.erase(c->id);
  for (const Ref<Subscription>& s : c->subs) {
    Ref<ConsumerGroup> g = s->group;
    g->members.erase(std::find(g->members.begin(), g->members.end(), s));
    reassign(*g);
  }
  b.slow.erase(c);
  c->connected = false;
}

void respond(Broker& b, const Ref<Client>& c, const Ref<Message>& req, Rng& rng) {
  Ref<Message> r = publish(b, c, *b.topic_list[0], rng);
  r->reply_to = req;
  req->reply = r;
  if (req->producer) req->producer->awaiting.erase(req->id);
}

Ref<Object> build() {
  Rng rng(0xB40CE4B40CEull);
  Ref<Broker> broker = make<Broker>();
  Broker& b = *broker;
  b.wheel.resize(kWheel);
  for (int i = 0; i < kTopics; ++i) {
    Ref<Topic> t = make<Topic>();
    t->name = i == 0 ? std::string("replies") : cat("topic", i);
    t->broker = broker;
    for (int p = 0; p < kPartitions; ++p) {
      Ref<Partition> part = make<Partition>();
      part->topic = t;
      part->index = p;
      t->partitions.push_back(part);
    }
    for (int g = 0; g < kGroupsPerTopic; ++g) {
      Ref<ConsumerGroup> grp = make<ConsumerGroup>();
      grp->name = cat(t->name, "/g", g);
      grp->topic = t;
      grp->offsets.assign(kPartitions, 0);
      t->groups.push_back(grp);
    }
    b.topics[t->name] = t;
    b.topic_list.push_back(t);
  }
  for (int i = 0; i < kClients; ++i) connect(broker, rng);
  for (int tick = 0; tick < kTicks; ++tick) {
    for (int k = 0; k < kPublish; ++k) {
      Ref<Client> c = b.client_list[pick(rng, b.client_list.size())];
      Ref<Topic> t = b.topic_list[1 + pick(rng, b.topic_list.size() - 1)];
      Ref<Message> m = publish(b, c, *t, rng);
      if (rng.below(5) == 0) {
        m->wants_reply = true;
        c->awaiting[m->id] = m;
      }
      if (rng.below(50) == 0) t->retained = m;
    }
    for (int k = 0; k < kPolls; ++k) {
      Ref<Client> c = b.client_list[pick(rng, b.client_list.size())];
      if (c->subs.empty()) continue;
      Ref<Subscription> s = c->subs[pick(rng, c->subs.size())];
      Ref<ConsumerGroup> g = s->group;
      for (const auto& [pi, member] : g->assignment) {
        if (member != s) continue;
        const auto ip = static_cast<std::size_t>(pi);
        Partition& p = *g->topic->partitions[ip];
        std::uint64_t off = std::max(g->offsets[ip], p.base);
        int n = 0;
        while (off < p.next_offset && n < 4) {
          Ref<Delivery> d = make<Delivery>();
          d->message = p.log[off - p.base];
          d->sub = s;
          d->due = tick + 1 + static_cast<int>(rng.below(40));
          c->inflight[d->message->id] = d;
          b.wheel[static_cast<std::size_t>(d->due) % kWheel].push_back(d);
          ++off;
          ++n;
        }
        g->offsets[ip] = off;
      }
      if (c->inflight.size() > kSlowInflight) b.slow.insert(c);
    }
    for (int k = 0; k < kAcks; ++k) {
      Ref<Client> c = b.client_list[pick(rng, b.client_list.size())];
      const auto n = rng.below(6);
      for (std::uint64_t i = 0; i < n; ++i) {
        if (c->inflight.empty()) break;
        auto first = c->inflight.begin();
        Ref<Delivery> d = first->second;
        c->inflight.erase(first);
        d->sub->delivered += 1;
        Ref<Message> m = d->message;
        if (m->wants_reply && !m->reply) respond(b, c, m, rng);
      }
      if (c->inflight.size() < 4) b.slow.erase(c);
    }
    const std::size_t slot = static_cast<std::size_t>(tick) % kWheel;
    std::vector<Ref<Delivery>> items = std::move(b.wheel[slot]);
    b.wheel[slot].clear();
    for (const Ref<Delivery>& d : items) {
      Ref<Client> c = d->sub->client;
      const Ref<Delivery>* cur = c->inflight.get(d->message->id);
      if (!c->connected || cur == nullptr || *cur != d) continue;
      d->attempts += 1;
      if (d->attempts >= 3) {
        c->inflight.erase(d->message->id);
        b.dead_letters.push_back(d->message);
        if (b.dead_letters.size() > kMaxDead) b.dead_letters.pop_front();
      } else {
        d->due = tick + 1 + static_cast<int>(rng.below(40));
        b.wheel[static_cast<std::size_t>(d->due) % kWheel].push_back(d);
      }
    }
    items.clear();
    if (rng.below(8) == 0) {
      disconnect(b, pick(rng, b.client_list.size()));
      connect(broker, rng);
    }
  }
  return broker;
}

}  // namespace broker

int main(int argc, char** argv) {
  static const unseen::Workload workloads[] = {
      {"scene", scene::build, nullptr},
      {"editor", editor::build, nullptr},
      {"chess", chess::build, nullptr},
      {"broker", broker::build, nullptr},
  };
  return unseen::run(argc, argv, "gc_unseen4", workloads);
}
