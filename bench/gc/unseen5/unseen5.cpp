// A fifth set of out-of-sample full-collection workloads (../unseen/run_unseen.py
// runs them against their CPython 3.11 twins in unseen5.py, which build the
// same objects with the same references from the same Rng sequence): a build
// system's package and action graph, a filesystem's inodes, dentries and open
// files, a CAD half-edge mesh, and an HTTP server's connections, sessions and
// requests. Each builds its heap, then changes part of it (removes, replaces,
// adds), so that the live objects are not simply in the order they were made.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <rcgc/rcgc.hpp>

#include "../unseen/harness.hpp"

namespace {

using rcgc::make;
using rcgc::Ref;
using rcgc::Visitor;
using rcgc::WeakRef;
using unseen::cat;
using unseen::Rng;

// ---------------------------------------------------------------------------
// build_graph: a build tool's state after loading a workspace. A package
// registry (packages, their versions, each version's requirements with a
// back pointer to it), the lockfile the resolver chose, the targets of the
// locked packages with their dependencies (reverse dependencies held weakly),
// each target's actions with their input and output artifacts (an output
// points back to the action that produces it), and an action cache with a
// FIFO of entries. Then versions are yanked and new ones published, and
// some actions are rebuilt (the old ones stay alive where their outputs are
// still inputs elsewhere).
namespace build_graph {

struct Registry;
struct Package;
struct Version;
struct Target;
struct Action;
struct ActionCache;
struct CacheEntry;

struct Requirement : rcgc::Object {
  Ref<Version> dependent;  // the version that states it
  Ref<Package> target;
  std::string range;
  bool optional = false;
  Ref<Version> resolved;  // the locked version, once resolved
  void traverse(Visitor& visit) const override;
};

struct Version : rcgc::Object {
  Ref<Package> package;
  std::string number;
  std::string checksum;
  std::vector<Ref<Requirement>> deps;
  void traverse(Visitor& visit) const override;
};

struct Package : rcgc::Object {
  Ref<Registry> registry;
  std::string name;
  std::uint64_t index = 0;
  std::vector<Ref<Version>> versions;
  Ref<Version> latest;
  void traverse(Visitor& visit) const override;
};

struct Registry : rcgc::Object {
  rcgc::Dict<std::string, Ref<Package>> packages;
  std::unordered_map<std::string, Ref<Version>> index;  // "name@number"
  void traverse(Visitor& visit) const override;
};

struct Lockfile : rcgc::Object {
  rcgc::Dict<std::string, Ref<Version>> entries;  // package name -> version
  void traverse(Visitor& visit) const override { entries.traverse(visit); }
};

struct Artifact : rcgc::Object {
  std::string path;
  Ref<Action> producer;  // null for a source file
  void traverse(Visitor& visit) const override;
};

struct Action : rcgc::Object {
  Ref<Target> owner;
  std::string mnemonic;
  std::string key;
  rcgc::Dict<std::string, std::string> env;
  std::vector<Ref<Artifact>> inputs;
  std::vector<Ref<Artifact>> outputs;
  void traverse(Visitor& visit) const override;
};

struct Workspace;

struct Target : rcgc::Object {
  Ref<Workspace> workspace;
  std::string label;
  std::uint64_t index = 0;  // its place among its package's targets
  Ref<Version> version;
  std::vector<Ref<Target>> deps;
  std::vector<WeakRef<Target>> rdeps;
  std::vector<Ref<Action>> actions;
  void traverse(Visitor& visit) const override;
};

struct CacheEntry : rcgc::Object {
  std::string key;
  Ref<Action> action;
  std::vector<Ref<Artifact>> outputs;
  int hits = 0;
  void traverse(Visitor& visit) const override;
};

struct ActionCache : rcgc::Object {
  rcgc::Dict<std::string, Ref<CacheEntry>> entries;
  std::deque<Ref<CacheEntry>> fifo;
  std::size_t capacity = 0;
  void traverse(Visitor& visit) const override;
};

struct Workspace : rcgc::Object {
  Ref<Registry> registry;
  Ref<Lockfile> lock;
  Ref<ActionCache> cache;
  std::unordered_map<std::string, Ref<Target>> targets;  // by label
  std::vector<Ref<Target>> order;                        // in load order
  void traverse(Visitor& visit) const override;
};

void Requirement::traverse(Visitor& visit) const {
  visit(dependent);
  visit(target);
  visit(resolved);
}
void Version::traverse(Visitor& visit) const {
  visit(package);
  visit.each(deps);
}
void Package::traverse(Visitor& visit) const {
  visit(registry);
  visit.each(versions);
  visit(latest);
}
void Registry::traverse(Visitor& visit) const {
  packages.traverse(visit);
  for (const auto& kv : index) visit(kv.second);
}
void Artifact::traverse(Visitor& visit) const { visit(producer); }
void Action::traverse(Visitor& visit) const {
  visit(owner);
  visit.each(inputs);
  visit.each(outputs);
}
void Target::traverse(Visitor& visit) const {
  visit(workspace);
  visit(version);
  visit.each(deps);
  visit.each(rdeps);
  visit.each(actions);
}
void CacheEntry::traverse(Visitor& visit) const {
  visit(action);
  visit.each(outputs);
}
void ActionCache::traverse(Visitor& visit) const {
  entries.traverse(visit);
  visit.each(fifo);
}
void Workspace::traverse(Visitor& visit) const {
  visit(registry);
  visit(lock);
  visit(cache);
  for (const auto& kv : targets) visit(kv.second);
  visit.each(order);
}

const char* const kMnemonics[] = {"CppCompile", "CppLink", "Genrule", "Javac", "TestRunner"};

Ref<rcgc::Object> build() {
  Rng rng(0x5EED0501);
  const std::uint64_t kPackages = 6000;
  auto ws = make<Workspace>();
  auto reg = make<Registry>();
  ws->registry = reg;

  auto new_version = [&](const Ref<Package>& pkg, const std::string& number,
                         std::uint64_t max_deps) {
    auto v = make<Version>();
    v->package = pkg;
    v->number = number;
    v->checksum = cat("sha256:", rng.below(1000000007));
    const std::uint64_t n = pkg->index == 0 ? 0 : rng.below(max_deps);
    for (std::uint64_t d = 0; d < n; ++d) {
      auto req = make<Requirement>();
      req->dependent = v;
      req->target = reg->packages.at(cat("pkg", rng.below(pkg->index)));
      req->range = cat("^", rng.below(3), ".0");
      req->optional = rng.below(6) == 0;
      v->deps.push_back(req);
    }
    pkg->versions.push_back(v);
    pkg->latest = v;
    reg->index[cat(pkg->name, "@", number)] = v;
  };

  // The registry: packages publish versions; a version requires packages
  // published before it.
  for (std::uint64_t p = 0; p < kPackages; ++p) {
    auto pkg = make<Package>();
    pkg->registry = reg;
    pkg->name = cat("pkg", p);
    pkg->index = p;
    reg->packages[pkg->name] = pkg;
    const std::uint64_t nv = 1 + rng.below(12);
    for (std::uint64_t k = 0; k < nv; ++k) new_version(pkg, cat(k / 4, ".", k % 4, ".0"), 8);
  }

  // The resolver: from random roots, breadth first over the required
  // (non-optional) packages, one version each.
  auto lock = make<Lockfile>();
  ws->lock = lock;
  std::vector<Ref<Package>> queue;
  for (int r = 0; r < 1500; ++r) {
    Ref<Package> pkg = reg->packages.at(cat("pkg", rng.below(kPackages)));
    if (!lock->entries.contains(pkg->name)) {
      lock->entries[pkg->name] = pkg->versions[rng.below(pkg->versions.size())];
      queue.push_back(pkg);
    }
  }
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const Ref<Version> ver = lock->entries.at(queue[head]->name);
    for (const Ref<Requirement>& req : ver->deps) {
      if (req->optional) continue;
      const Ref<Package>& t = req->target;
      if (!lock->entries.contains(t->name)) {
        lock->entries[t->name] = t->versions[rng.below(t->versions.size())];
        queue.push_back(t);
      }
    }
  }
  queue.clear();
  for (auto& [name, ver] : lock->entries)
    for (const Ref<Requirement>& req : ver->deps)
      if (const Ref<Version>* v = lock->entries.get(req->target->name)) req->resolved = *v;

  // The targets of each locked package, then their dependencies.
  for (auto& [name, ver] : lock->entries) {
    const std::uint64_t nt = 1 + rng.below(5);
    for (std::uint64_t i = 0; i < nt; ++i) {
      auto t = make<Target>();
      t->workspace = ws;
      t->label = cat(name, ":t", i);
      t->index = i;
      t->version = ver;
      ws->targets[t->label] = t;
      ws->order.push_back(t);
    }
  }
  auto add_dep = [](const Ref<Target>& t, const Ref<Target>& d) {
    t->deps.push_back(d);
    d->rdeps.emplace_back(t);
  };
  for (const Ref<Target>& t : ws->order) {
    const std::string& pkg = t->version->package->name;
    if (t->index > 0) add_dep(t, ws->targets.at(cat(pkg, ":t", t->index - 1)));
    for (const Ref<Requirement>& req : t->version->deps)
      if (req->resolved && (t->index == 0 || rng.below(3) == 0))
        add_dep(t, ws->targets.at(cat(req->target->name, ":t0")));
  }

  // Actions and artifacts; then each target's first action takes the last
  // output of each dependency.
  std::uint64_t next_action = 0;
  auto new_action = [&](const Ref<Target>& t, const std::string& mnemonic) {
    auto a = make<Action>();
    a->owner = t;
    a->mnemonic = mnemonic;
    a->key = cat("ak", next_action++);
    a->env["PATH"] = "/usr/bin:/bin";
    a->env["CC"] = "cc";
    a->env["TARGET"] = t->label;
    return a;
  };
  for (const Ref<Target>& t : ws->order) {
    const std::uint64_t na = 1 + rng.below(3);
    for (std::uint64_t j = 0; j < na; ++j) {
      auto a = new_action(t, kMnemonics[rng.below(5)]);
      const std::uint64_t ns = rng.below(5);
      for (std::uint64_t s = 0; s < ns; ++s) {
        auto src = make<Artifact>();
        src->path = cat(t->label, "/src", j, "_", s, ".c");
        a->inputs.push_back(src);
      }
      if (j > 0) a->inputs.push_back(t->actions[j - 1]->outputs[0]);
      const std::uint64_t no = 1 + rng.below(2);
      for (std::uint64_t o = 0; o < no; ++o) {
        auto out = make<Artifact>();
        out->path = cat("out/", t->label, "/", j, "_", o, ".o");
        out->producer = a;
        a->outputs.push_back(out);
      }
      t->actions.push_back(a);
    }
  }
  for (const Ref<Target>& t : ws->order)
    for (const Ref<Target>& d : t->deps) t->actions[0]->inputs.push_back(d->actions.back()->outputs[0]);

  // The action cache: a dict by key, and a FIFO that evicts the oldest.
  auto cache = make<ActionCache>();
  cache->capacity = 30000;
  ws->cache = cache;
  auto cache_put = [&](const Ref<Action>& a) {
    auto e = make<CacheEntry>();
    e->key = a->key;
    e->action = a;
    e->outputs = a->outputs;
    cache->entries[e->key] = e;
    cache->fifo.push_back(e);
    while (cache->fifo.size() > cache->capacity) {
      Ref<CacheEntry> old = std::move(cache->fifo.front());
      cache->fifo.pop_front();
      const Ref<CacheEntry>* cur = cache->entries.get(old->key);
      if (cur != nullptr && *cur == old) cache->entries.erase(old->key);
    }
  };
  for (const Ref<Target>& t : ws->order)
    for (const Ref<Action>& a : t->actions)
      if (rng.below(3) != 0) cache_put(a);

  // Churn: yank versions that are not locked, publish new ones.
  for (std::uint64_t k = 0; k < kPackages / 4; ++k) {
    Ref<Package> pkg = reg->packages.at(cat("pkg", rng.below(kPackages)));
    if (pkg->versions.size() > 1) {
      const std::uint64_t i = rng.below(pkg->versions.size());
      Ref<Version> v = pkg->versions[i];
      const Ref<Version>* locked = lock->entries.get(pkg->name);
      if (locked == nullptr || *locked != v) {
        pkg->versions.erase(pkg->versions.begin() + static_cast<std::ptrdiff_t>(i));
        reg->index.erase(cat(pkg->name, "@", v->number));
        if (pkg->latest == v) pkg->latest = pkg->versions.back();
      }
    }
    new_version(pkg, cat(pkg->versions.size(), ".0.post", k), 4);
  }

  // Churn: rebuild the last action of random targets.
  const std::uint64_t rebuilds = ws->order.size() / 5;
  for (std::uint64_t k = 0; k < rebuilds; ++k) {
    const Ref<Target> t = ws->order[rng.below(ws->order.size())];
    const Ref<Action> old = t->actions.back();
    auto a = new_action(t, old->mnemonic);
    a->inputs = old->inputs;
    const std::uint64_t no = 1 + rng.below(2);
    for (std::uint64_t o = 0; o < no; ++o) {
      auto out = make<Artifact>();
      out->path = cat("out/", t->label, "/r", k, "_", o, ".o");
      out->producer = a;
      a->outputs.push_back(out);
    }
    t->actions.back() = a;
    cache->entries.erase(old->key);
    cache_put(a);
  }
  return ws;
}

}  // namespace build_graph

// ---------------------------------------------------------------------------
// vfs: a filesystem's in-memory state. A superblock with its inode table (a
// dict by inode number), directory, file and symlink inodes, a dentry tree
// (each directory's children in a dict, a parent pointer up, the root its own
// parent), hard links (several dentries for one inode), each file's cached
// pages in a std::map by page index (a page points back to its inode), a
// writeback queue; processes in a tree with their fd tables (open files
// shared across fork, empty slots), record locks, and inotify watches holding
// their directory weakly. Then files are unlinked (an unlinked file still open
// becomes an orphan), created, renamed, the writeback queue flushed, some
// processes exit (their children reparented to init) and new ones are forked.
namespace vfs {

struct SuperBlock;
struct Dentry;
struct Page;
struct Process;
struct OpenFile;
struct FileLock;

struct Inode : rcgc::Object {
  Ref<SuperBlock> sb;
  std::uint64_t ino = 0;
  std::uint32_t mode = 0;
  int nlink = 0;
  int opens = 0;
  std::int64_t size = 0;
  void traverse(Visitor& visit) const override;
};

struct FileInode : Inode {
  std::map<std::uint64_t, Ref<Page>> pages;  // by page index
  std::vector<Ref<FileLock>> locks;
  bool queued = false;  // in the writeback queue
  void traverse(Visitor& visit) const override;
};

struct DirInode : Inode {
  Ref<Dentry> alias;
  void traverse(Visitor& visit) const override;
};

struct SymlinkInode : Inode {
  std::string target;
};

struct Dentry : rcgc::Object {
  std::string name;
  Ref<Dentry> parent;  // null once unlinked
  Ref<Inode> inode;
  rcgc::Dict<std::string, Ref<Dentry>> children;  // directories only
  void traverse(Visitor& visit) const override;
};

struct Page : rcgc::Object {
  Ref<FileInode> mapping;
  std::uint64_t index = 0;
  bool dirty = false;
  void traverse(Visitor& visit) const override;
};

struct SuperBlock : rcgc::Object {
  rcgc::Dict<std::uint64_t, Ref<Inode>> inodes;
  Ref<Dentry> root;
  std::vector<Ref<Inode>> orphans;  // unlinked, still open
  std::deque<Ref<FileInode>> writeback;
  std::uint64_t next_ino = 1;
  void traverse(Visitor& visit) const override;
};

struct OpenFile : rcgc::Object {
  Ref<Dentry> dentry;
  Ref<FileInode> inode;
  std::uint64_t pos = 0;
  std::uint64_t flags = 0;
  int refs = 1;  // fd slots that hold it
  void traverse(Visitor& visit) const override;
};

struct FileLock : rcgc::Object {
  Ref<Process> owner;
  Ref<OpenFile> file;
  std::uint64_t start = 0;
  std::uint64_t len = 0;
  void traverse(Visitor& visit) const override;
};

struct Watch : rcgc::Object {
  Ref<Process> owner;
  WeakRef<Dentry> target;
  std::uint64_t wd = 0;
  void traverse(Visitor& visit) const override;
};

struct Process : rcgc::Object {
  std::uint64_t pid = 0;
  Ref<Process> parent;
  std::vector<Ref<Process>> children;
  Ref<Dentry> cwd;
  std::vector<Ref<OpenFile>> fds;  // null: a closed slot
  std::vector<Ref<Watch>> watches;
  bool alive = true;
  void traverse(Visitor& visit) const override;
};

struct Kernel : rcgc::Object {
  Ref<SuperBlock> sb;
  rcgc::Dict<std::uint64_t, Ref<Process>> procs;
  Ref<Process> init;
  void traverse(Visitor& visit) const override;
};

void Inode::traverse(Visitor& visit) const { visit(sb); }
void FileInode::traverse(Visitor& visit) const {
  Inode::traverse(visit);
  for (const auto& kv : pages) visit(kv.second);
  visit.each(locks);
}
void DirInode::traverse(Visitor& visit) const {
  Inode::traverse(visit);
  visit(alias);
}
void Dentry::traverse(Visitor& visit) const {
  visit(parent);
  visit(inode);
  children.traverse(visit);
}
void Page::traverse(Visitor& visit) const { visit(mapping); }
void SuperBlock::traverse(Visitor& visit) const {
  inodes.traverse(visit);
  visit(root);
  visit.each(orphans);
  visit.each(writeback);
}
void OpenFile::traverse(Visitor& visit) const {
  visit(dentry);
  visit(inode);
}
void FileLock::traverse(Visitor& visit) const {
  visit(owner);
  visit(file);
}
void Watch::traverse(Visitor& visit) const {
  visit(owner);
  visit(target);
}
void Process::traverse(Visitor& visit) const {
  visit(parent);
  visit.each(children);
  visit(cwd);
  visit.each(fds);
  visit.each(watches);
}
void Kernel::traverse(Visitor& visit) const {
  visit(sb);
  procs.traverse(visit);
  visit(init);
}

Ref<rcgc::Object> build() {
  Rng rng(0x5EED0502);
  const std::uint64_t kDirs = 12000, kFiles = 100000, kSymlinks = 8000, kLinks = 15000;
  const std::uint64_t kProcs = 2000, kUnlinks = 20000, kNewFiles = 20000, kRenames = 5000;
  const std::uint64_t kExits = 300, kForks = 300;
  auto kernel = make<Kernel>();
  auto sb = make<SuperBlock>();
  kernel->sb = sb;

  auto add_inode = [&](const Ref<Inode>& i, std::uint32_t mode) {
    i->sb = sb;
    i->ino = sb->next_ino++;
    i->mode = mode;
    sb->inodes[i->ino] = i;
  };
  auto new_dentry = [](const std::string& name, const Ref<Dentry>& parent, const Ref<Inode>& inode) {
    auto de = make<Dentry>();
    de->name = name;
    de->parent = parent;
    de->inode = inode;
    if (parent) parent->children[name] = de;
    return de;
  };

  auto root_inode = make<DirInode>();
  add_inode(root_inode, 040755);
  root_inode->nlink = 2;
  auto root = new_dentry("/", nullptr, root_inode);
  root->parent = root;
  root_inode->alias = root;
  sb->root = root;

  std::vector<Ref<Dentry>> dirs{root};
  for (std::uint64_t d = 0; d < kDirs; ++d) {
    const Ref<Dentry> parent = dirs[rng.below(dirs.size())];
    auto ino = make<DirInode>();
    add_inode(ino, 040755);
    ino->nlink = 2;
    auto de = new_dentry(cat("d", d), parent, ino);
    ino->alias = de;
    parent->inode->nlink += 1;
    dirs.push_back(de);
  }

  std::vector<Ref<Dentry>> files;  // every file dentry, hard links too
  auto mark_dirty = [&](const Ref<FileInode>& ino) {
    if (!ino->queued) {
      ino->queued = true;
      sb->writeback.push_back(ino);
    }
  };
  auto new_file = [&](const std::string& name, const Ref<Dentry>& parent) {
    auto ino = make<FileInode>();
    add_inode(ino, 0100644);
    ino->nlink = 1;
    const std::uint64_t npages = rng.below(5);
    for (std::uint64_t p = 0; p < npages; ++p) {
      auto page = make<Page>();
      page->mapping = ino;
      page->index = p;
      ino->pages[p] = page;
      ino->size = static_cast<std::int64_t>(p + 1) * 4096;
      if (rng.below(4) == 0) {
        page->dirty = true;
        mark_dirty(ino);
      }
    }
    files.push_back(new_dentry(name, parent, ino));
  };
  for (std::uint64_t f = 0; f < kFiles; ++f) new_file(cat("f", f), dirs[rng.below(dirs.size())]);
  for (std::uint64_t s = 0; s < kSymlinks; ++s) {
    const Ref<Dentry> parent = dirs[rng.below(dirs.size())];
    auto ino = make<SymlinkInode>();
    add_inode(ino, 0120777);
    ino->nlink = 1;
    const std::uint64_t d = rng.below(kDirs);
    const std::uint64_t f = rng.below(kFiles);
    ino->target = cat("/d", d, "/f", f);
    new_dentry(cat("s", s), parent, ino);
  }
  for (std::uint64_t h = 0; h < kLinks; ++h) {
    const Ref<Dentry> src = files[rng.below(files.size())];
    const Ref<Dentry> parent = dirs[rng.below(dirs.size())];
    files.push_back(new_dentry(cat("l", h), parent, src->inode));
    src->inode->nlink += 1;
  }

  // Processes: fork from a random earlier one, inheriting some of its open
  // files; open files, take locks, watch directories.
  auto init = make<Process>();
  init->pid = 1;
  init->cwd = root;
  kernel->procs[init->pid] = init;
  kernel->init = init;
  std::vector<Ref<Process>> plist{init};
  auto spawn = [&](Ref<Process> parent) {
    if (!parent->alive) parent = init;
    auto p = make<Process>();
    p->pid = plist.size() + 1;
    p->parent = parent;
    p->cwd = dirs[rng.below(dirs.size())];
    parent->children.push_back(p);
    kernel->procs[p->pid] = p;
    plist.push_back(p);
    const std::uint64_t nfd = 3 + rng.below(20);
    for (std::uint64_t fd = 0; fd < nfd; ++fd) {
      const std::uint64_t r = rng.below(8);
      if (r == 0 && !parent->fds.empty()) {
        Ref<OpenFile> of = parent->fds[rng.below(parent->fds.size())];
        if (of) of->refs += 1;
        p->fds.push_back(of);
      } else if (r == 1) {
        p->fds.emplace_back();
      } else {
        const Ref<Dentry> de = files[rng.below(files.size())];
        if (!de->parent) {  // unlinked: the open fails
          p->fds.emplace_back();
          continue;
        }
        auto of = make<OpenFile>();
        of->dentry = de;
        of->inode = rcgc::ref_cast<FileInode>(de->inode);
        of->flags = rng.below(3);
        of->inode->opens += 1;
        p->fds.push_back(of);
        if (rng.below(8) == 0) {
          auto lock = make<FileLock>();
          lock->owner = p;
          lock->file = of;
          lock->start = rng.below(100) * 4096;
          lock->len = 4096;
          of->inode->locks.push_back(lock);
        }
      }
    }
    if (rng.below(2) == 0) {
      auto w = make<Watch>();
      w->owner = p;
      w->target = WeakRef<Dentry>(dirs[rng.below(dirs.size())]);
      w->wd = p->watches.size() + 1;
      p->watches.push_back(w);
    }
  };
  for (std::uint64_t i = 1; i < kProcs; ++i) spawn(plist[rng.below(plist.size())]);

  // Churn: unlink, create, rename.
  for (std::uint64_t u = 0; u < kUnlinks; ++u) {
    const Ref<Dentry> de = files[rng.below(files.size())];
    if (!de->parent) continue;
    de->parent->children.erase(de->name);
    de->parent = nullptr;
    const Ref<Inode> ino = de->inode;
    ino->nlink -= 1;
    if (ino->nlink == 0) {
      if (ino->opens > 0)
        sb->orphans.push_back(ino);
      else
        sb->inodes.erase(ino->ino);
    }
  }
  for (std::uint64_t n = 0; n < kNewFiles; ++n) new_file(cat("n", n), dirs[rng.below(dirs.size())]);
  for (std::uint64_t r = 0; r < kRenames; ++r) {
    const Ref<Dentry> de = files[rng.below(files.size())];
    if (!de->parent) continue;
    const Ref<Dentry> to = dirs[rng.below(dirs.size())];
    de->parent->children.erase(de->name);
    de->name = cat("r", r);
    de->parent = to;
    to->children[de->name] = de;
  }

  // Writeback: the first half of the queue is written.
  const std::size_t flush = sb->writeback.size() / 2;
  for (std::size_t w = 0; w < flush; ++w) {
    Ref<FileInode> ino = std::move(sb->writeback.front());
    sb->writeback.pop_front();
    ino->queued = false;
    for (auto& kv : ino->pages) kv.second->dirty = false;
  }

  // Exits: close every fd (the last close of an orphan frees it), reparent
  // the children to init. Then new processes.
  auto close_fd = [&](const Ref<Process>& p, std::size_t slot) {
    const Ref<OpenFile> of = std::move(p->fds[slot]);
    p->fds[slot] = nullptr;
    if (!of) return;
    of->refs -= 1;
    if (of->refs > 0) return;
    const Ref<FileInode> ino = of->inode;
    ino->opens -= 1;
    std::erase_if(ino->locks, [&](const Ref<FileLock>& l) { return l->file == of; });
    if (ino->opens == 0 && ino->nlink == 0) {
      sb->orphans.erase(std::find(sb->orphans.begin(), sb->orphans.end(), ino));
      sb->inodes.erase(ino->ino);
    }
  };
  for (std::uint64_t e = 0; e < kExits; ++e) {
    const Ref<Process> p = plist[1 + rng.below(plist.size() - 1)];
    if (!p->alive) continue;
    p->alive = false;
    for (std::size_t slot = 0; slot < p->fds.size(); ++slot) close_fd(p, slot);
    p->fds.clear();
    p->watches.clear();
    kernel->procs.erase(p->pid);
    auto& siblings = p->parent->children;
    siblings.erase(std::find(siblings.begin(), siblings.end(), p));
    for (const Ref<Process>& c : p->children) {
      c->parent = init;
      init->children.push_back(c);
    }
    p->children.clear();
    p->parent = nullptr;
  }
  for (std::uint64_t i = 0; i < kForks; ++i) spawn(plist[rng.below(plist.size())]);
  return kernel;
}

}  // namespace vfs

// ---------------------------------------------------------------------------
// mesh: a CAD document of closed quad meshes in half-edge form. Each body is
// a torus grid: vertices, faces, edges, and four half-edges per face linked
// to their origin, twin, next, previous, face and edge; a map from vertex
// pair to half-edge (std::unordered_map) and a bounding volume hierarchy over
// the faces (children and parent pointers, leaves holding faces). A feature
// history references earlier features and the faces it made. Then random
// quads are split into two triangles (new faces, edges and half-edges spliced
// into the old loops), the hierarchies of the bodies with many new faces are
// rebuilt (the old ones become garbage), and features are deleted and added.
namespace mesh {

struct Body;
struct HalfEdge;
struct Face;
struct Edge;

struct Material : rcgc::Object {
  std::string name;
  std::uint64_t color = 0;
  Ref<Material> base;
  void traverse(Visitor& visit) const override { visit(base); }
};

struct Vertex : rcgc::Object {
  Ref<HalfEdge> out;
  std::uint64_t id = 0;
  double x = 0, y = 0, z = 0;
  void traverse(Visitor& visit) const override;
};

struct HalfEdge : rcgc::Object {
  Ref<Vertex> origin;
  Ref<HalfEdge> twin, next, prev;
  Ref<Face> face;
  Ref<Edge> edge;
  void traverse(Visitor& visit) const override;
};

struct Edge : rcgc::Object {
  Ref<HalfEdge> half;
  bool sharp = false;
  void traverse(Visitor& visit) const override { visit(half); }
};

struct Face : rcgc::Object {
  Ref<Body> body;
  std::uint64_t id = 0;
  Ref<HalfEdge> half;
  Ref<Material> material;
  void traverse(Visitor& visit) const override;
};

struct BVHNode : rcgc::Object {
  Ref<BVHNode> parent, left, right;
  std::size_t lo = 0, hi = 0;
  std::vector<Ref<Face>> faces;  // leaves only
  void traverse(Visitor& visit) const override {
    visit(parent);
    visit(left);
    visit(right);
    visit.each(faces);
  }
};

struct Document;

struct Body : rcgc::Object {
  Ref<Document> doc;
  std::string name;
  std::vector<Ref<Vertex>> vertices;
  std::vector<Ref<Face>> faces;
  std::vector<Ref<Edge>> edges;
  std::unordered_map<std::uint64_t, Ref<HalfEdge>> halfedges;  // (from << 32 | to)
  Ref<BVHNode> bvh;
  std::vector<Ref<Face>> dirty;  // faces made since the hierarchy was built
  void traverse(Visitor& visit) const override;
};

struct Feature : rcgc::Object {
  std::string kind;
  Ref<Body> body;
  std::vector<Ref<Feature>> inputs;
  std::vector<Ref<Face>> faces;
  rcgc::Dict<std::string, double> params;
  void traverse(Visitor& visit) const override {
    visit(body);
    visit.each(inputs);
    visit.each(faces);
  }
};

struct Document : rcgc::Object {
  std::vector<Ref<Body>> bodies;
  rcgc::Dict<std::string, Ref<Material>> materials;
  std::vector<Ref<Feature>> history;
  void traverse(Visitor& visit) const override {
    visit.each(bodies);
    materials.traverse(visit);
    visit.each(history);
  }
};

void Vertex::traverse(Visitor& visit) const { visit(out); }
void HalfEdge::traverse(Visitor& visit) const {
  visit(origin);
  visit(twin);
  visit(next);
  visit(prev);
  visit(face);
  visit(edge);
}
void Face::traverse(Visitor& visit) const {
  visit(body);
  visit(half);
  visit(material);
}
void Body::traverse(Visitor& visit) const {
  visit(doc);
  visit.each(vertices);
  visit.each(faces);
  visit.each(edges);
  for (const auto& kv : halfedges) visit(kv.second);
  visit(bvh);
  visit.each(dirty);
}

Ref<BVHNode> build_bvh(const std::vector<Ref<Face>>& faces, std::size_t lo, std::size_t hi,
                       const Ref<BVHNode>& parent) {
  auto node = make<BVHNode>();
  node->parent = parent;
  node->lo = lo;
  node->hi = hi;
  if (hi - lo <= 8) {
    node->faces.assign(faces.begin() + static_cast<std::ptrdiff_t>(lo),
                       faces.begin() + static_cast<std::ptrdiff_t>(hi));
  } else {
    const std::size_t mid = (lo + hi) / 2;
    node->left = build_bvh(faces, lo, mid, node);
    node->right = build_bvh(faces, mid, hi, node);
  }
  return node;
}

std::uint64_t pair_key(std::uint64_t from, std::uint64_t to) { return from << 32 | to; }

const char* const kKinds[] = {"extrude", "revolve", "fillet", "chamfer", "shell", "boolean"};

Ref<rcgc::Object> build() {
  Rng rng(0x5EED0503);
  const std::uint64_t kMaterials = 24, kBodies = 20, kFeatures = 800, kSplits = 10000;
  auto doc = make<Document>();
  std::vector<Ref<Material>> mats;
  for (std::uint64_t m = 0; m < kMaterials; ++m) {
    auto mat = make<Material>();
    mat->name = cat("mat", m);
    mat->color = rng.below(1 << 24);
    if (m > 0) mat->base = mats[rng.below(m)];
    doc->materials[mat->name] = mat;
    mats.push_back(mat);
  }

  // A face from its vertex ids: its half-edges in a loop, each matched with
  // its twin through the body's map (the edge made by the first of the two).
  auto add_face = [&](const Ref<Body>& body, const std::uint64_t (&ids)[4], const Ref<Material>& mat) {
    auto f = make<Face>();
    f->body = body;
    f->id = body->faces.size();
    f->material = mat;
    body->faces.push_back(f);
    Ref<HalfEdge> hes[4];
    for (int k = 0; k < 4; ++k) {
      hes[k] = make<HalfEdge>();
      hes[k]->origin = body->vertices[ids[k]];
      hes[k]->face = f;
    }
    for (int k = 0; k < 4; ++k) {
      hes[k]->next = hes[(k + 1) % 4];
      hes[k]->prev = hes[(k + 3) % 4];
    }
    for (int k = 0; k < 4; ++k) {
      const Ref<HalfEdge>& he = hes[k];
      const std::uint64_t u = ids[k], v = ids[(k + 1) % 4];
      auto it = body->halfedges.find(pair_key(v, u));
      if (it != body->halfedges.end()) {
        he->twin = it->second;
        it->second->twin = he;
        he->edge = it->second->edge;
      } else {
        auto e = make<Edge>();
        e->half = he;
        body->edges.push_back(e);
        he->edge = e;
      }
      body->halfedges[pair_key(u, v)] = he;
      if (!he->origin->out) he->origin->out = he;
    }
    f->half = hes[0];
  };

  for (std::uint64_t b = 0; b < kBodies; ++b) {
    auto body = make<Body>();
    body->doc = doc;
    body->name = cat("body", b);
    doc->bodies.push_back(body);
    const std::uint64_t w = 50 + rng.below(30);
    const std::uint64_t h = 40 + rng.below(30);
    for (std::uint64_t i = 0; i < w; ++i) {
      for (std::uint64_t j = 0; j < h; ++j) {
        auto v = make<Vertex>();
        v->id = i * h + j;
        v->x = static_cast<double>(i) + static_cast<double>(rng.below(1000)) / 1000.0;
        v->y = static_cast<double>(j);
        body->vertices.push_back(v);
      }
    }
    for (std::uint64_t i = 0; i < w; ++i) {
      for (std::uint64_t j = 0; j < h; ++j) {
        const std::uint64_t i1 = (i + 1) % w, j1 = (j + 1) % h;
        const std::uint64_t ids[4] = {i * h + j, i1 * h + j, i1 * h + j1, i * h + j1};
        add_face(body, ids, mats[rng.below(kMaterials)]);
      }
    }
    body->bvh = build_bvh(body->faces, 0, body->faces.size(), nullptr);
  }

  auto new_feature = [&](bool first) {
    const Ref<Body> body = doc->bodies[rng.below(doc->bodies.size())];
    auto feat = make<Feature>();
    feat->kind = kKinds[rng.below(6)];
    feat->body = body;
    if (!first) {
      const std::uint64_t ni = 1 + rng.below(3);
      for (std::uint64_t k = 0; k < ni; ++k) feat->inputs.push_back(doc->history[rng.below(doc->history.size())]);
    }
    const std::uint64_t nf = 1 + rng.below(60);
    for (std::uint64_t k = 0; k < nf; ++k) feat->faces.push_back(body->faces[rng.below(body->faces.size())]);
    feat->params["depth"] = static_cast<double>(rng.below(100));
    feat->params["angle"] = static_cast<double>(rng.below(360));
    doc->history.push_back(feat);
  };
  for (std::uint64_t k = 0; k < kFeatures; ++k) new_feature(k == 0);

  // Churn: split quads along a diagonal.
  for (std::uint64_t s = 0; s < kSplits; ++s) {
    const Ref<Body> body = doc->bodies[rng.below(doc->bodies.size())];
    const Ref<Face> f = body->faces[rng.below(body->faces.size())];
    const Ref<HalfEdge> h0 = f->half, h1 = h0->next, h2 = h1->next, h3 = h2->next;
    if (h3->next != h0) continue;  // a triangle already
    const Ref<Vertex> a = h0->origin, c = h2->origin;
    auto g = make<Face>();
    g->body = body;
    g->id = body->faces.size();
    g->material = f->material;
    body->faces.push_back(g);
    auto n1 = make<HalfEdge>();  // c -> a, closes f = (h0, h1, n1)
    n1->origin = c;
    n1->face = f;
    auto n2 = make<HalfEdge>();  // a -> c, opens g = (n2, h2, h3)
    n2->origin = a;
    n2->face = g;
    h1->next = n1;
    n1->next = h0;
    n1->prev = h1;
    h0->prev = n1;
    n2->next = h2;
    h3->next = n2;
    n2->prev = h3;
    h2->prev = n2;
    h2->face = g;
    h3->face = g;
    auto e = make<Edge>();
    e->half = n1;
    body->edges.push_back(e);
    n1->edge = e;
    n2->edge = e;
    n1->twin = n2;
    n2->twin = n1;
    g->half = n2;
    body->halfedges[pair_key(c->id, a->id)] = n1;
    body->halfedges[pair_key(a->id, c->id)] = n2;
    body->dirty.push_back(g);
  }
  for (const Ref<Body>& body : doc->bodies) {
    if (body->dirty.size() >= 500) {
      body->bvh = build_bvh(body->faces, 0, body->faces.size(), nullptr);
      body->dirty.clear();
    }
  }

  // Churn: features deleted from the history (alive while still inputs of
  // others), new ones added.
  for (int k = 0; k < 200; ++k) {
    const std::uint64_t i = rng.below(doc->history.size());
    doc->history.erase(doc->history.begin() + static_cast<std::ptrdiff_t>(i));
    new_feature(false);
  }
  return doc;
}

}  // namespace mesh

// ---------------------------------------------------------------------------
// http_server: a web server in the middle of its day. An app with a
// middleware chain, a router (a trie of route nodes with parent pointers,
// routes naming their middleware), a product catalog, users with roles and
// weak references to their sessions; a session store (a dict, an expiry
// FIFO, sessions by user) whose sessions hold carts and the last few
// requests; open connections (by fd, with pipelined requests pending, the
// last request served); requests with header dicts, pointing to their
// connection, route, session and response; responses with cookies; an
// access log ring and workers holding their current request. Built by
// serving a stream of requests while sessions expire and are created and
// connections close and open.
namespace http_server {

struct Server;
struct App;
struct Route;
struct Session;
struct SessionStore;
struct Connection;
struct Response;

struct Role : rcgc::Object {
  std::string name;
  std::vector<std::string> perms;
  Ref<Role> parent;
  void traverse(Visitor& visit) const override { visit(parent); }
};

struct User : rcgc::Object {
  std::uint64_t uid = 0;
  std::string name;
  std::vector<Ref<Role>> roles;
  std::vector<WeakRef<Session>> sessions;
  void traverse(Visitor& visit) const override {
    visit.each(roles);
    visit.each(sessions);
  }
};

struct Product : rcgc::Object {
  std::uint64_t pid = 0;
  std::string name;
  std::uint64_t price = 0;
  std::vector<Ref<Product>> related;
  void traverse(Visitor& visit) const override { visit.each(related); }
};

struct CartItem : rcgc::Object {
  Ref<Product> product;
  std::uint64_t qty = 0;
  Ref<Session> session;
  void traverse(Visitor& visit) const override;
};

struct Request : rcgc::Object {
  std::uint64_t id = 0;
  std::string method;
  std::string path;
  rcgc::Dict<std::string, std::string> headers;
  rcgc::Dict<std::string, std::string> params;
  Ref<Connection> conn;
  Ref<Route> route;
  Ref<Session> session;
  Ref<Response> response;
  void traverse(Visitor& visit) const override;
};

struct Session : rcgc::Object {
  std::string sid;
  Ref<SessionStore> store;
  Ref<User> user;
  std::string csrf;
  std::vector<Ref<CartItem>> cart;
  std::deque<Ref<Request>> history;  // the last few requests
  void traverse(Visitor& visit) const override {
    visit(store);
    visit(user);
    visit.each(cart);
    visit.each(history);
  }
};

void CartItem::traverse(Visitor& visit) const {
  visit(product);
  visit(session);
}

struct SessionStore : rcgc::Object {
  rcgc::Dict<std::string, Ref<Session>> sessions;
  std::deque<Ref<Session>> expiry;
  std::unordered_map<std::uint64_t, std::vector<Ref<Session>>> by_user;
  void traverse(Visitor& visit) const override {
    sessions.traverse(visit);
    visit.each(expiry);
    for (const auto& kv : by_user) visit.each(kv.second);
  }
};

struct Middleware : rcgc::Object {
  std::string name;
  Ref<App> app;
  Ref<Middleware> next;
  rcgc::Dict<std::string, std::string> config;
  void traverse(Visitor& visit) const override;
};

struct RouteNode : rcgc::Object {
  Ref<RouteNode> parent;
  rcgc::Dict<std::string, Ref<RouteNode>> children;
  Ref<RouteNode> param;
  Ref<Route> route;
  void traverse(Visitor& visit) const override;
};

struct Route : rcgc::Object {
  std::string pattern;
  std::string handler;
  std::vector<std::string> methods;
  Ref<RouteNode> node;
  std::vector<Ref<Middleware>> chain;
  std::uint64_t hits = 0;
  void traverse(Visitor& visit) const override {
    visit(node);
    visit.each(chain);
  }
};

void RouteNode::traverse(Visitor& visit) const {
  visit(parent);
  children.traverse(visit);
  visit(param);
  visit(route);
}

struct Router : rcgc::Object {
  Ref<RouteNode> root;
  std::vector<Ref<Route>> routes;
  void traverse(Visitor& visit) const override {
    visit(root);
    visit.each(routes);
  }
};

struct App : rcgc::Object {
  Ref<Server> server;
  Ref<Router> router;
  std::vector<Ref<Middleware>> middleware;
  rcgc::Dict<std::uint64_t, Ref<Product>> catalog;
  void traverse(Visitor& visit) const override;
};

void Middleware::traverse(Visitor& visit) const {
  visit(app);
  visit(next);
}

struct Connection : rcgc::Object {
  std::uint64_t fd = 0;
  std::string peer;
  Ref<Server> server;
  std::deque<Ref<Request>> pending;
  Ref<Request> last;
  bool open = true;
  void traverse(Visitor& visit) const override;
};

struct Cookie : rcgc::Object {
  std::string name;
  std::string value;
  Ref<Session> session;
  void traverse(Visitor& visit) const override { visit(session); }
};

struct Response : rcgc::Object {
  std::uint64_t status = 0;
  rcgc::Dict<std::string, std::string> headers;
  std::string body;
  Ref<Request> request;
  std::vector<Ref<Cookie>> cookies;
  void traverse(Visitor& visit) const override {
    visit(request);
    visit.each(cookies);
  }
};

void Request::traverse(Visitor& visit) const {
  visit(conn);
  visit(route);
  visit(session);
  visit(response);
}

struct LogRecord : rcgc::Object {
  Ref<Request> request;
  std::uint64_t status = 0;
  std::uint64_t micros = 0;
  void traverse(Visitor& visit) const override { visit(request); }
};

struct Worker : rcgc::Object {
  std::uint64_t id = 0;
  Ref<Server> server;
  Ref<Request> current;
  void traverse(Visitor& visit) const override;
};

struct Server : rcgc::Object {
  Ref<App> app;
  std::unordered_map<std::uint64_t, Ref<Connection>> conns;  // by fd
  Ref<SessionStore> store;
  rcgc::Dict<std::uint64_t, Ref<User>> users;
  std::vector<Ref<Role>> roles;
  std::deque<Ref<LogRecord>> access_log;
  std::vector<Ref<Worker>> workers;
  std::uint64_t next_fd = 3;
  void traverse(Visitor& visit) const override {
    visit(app);
    for (const auto& kv : conns) visit(kv.second);
    visit(store);
    users.traverse(visit);
    visit.each(roles);
    visit.each(access_log);
    visit.each(workers);
  }
};

void App::traverse(Visitor& visit) const {
  visit(server);
  visit(router);
  visit.each(middleware);
  catalog.traverse(visit);
}
void Connection::traverse(Visitor& visit) const {
  visit(server);
  visit.each(pending);
  visit(last);
}
void Worker::traverse(Visitor& visit) const {
  visit(server);
  visit(current);
}

const char* const kSegments[] = {"api",    "v1",    "v2",   "users", "orders", "items",
                                 "search", "admin", "static", "auth", "cart",  "products"};
const std::uint64_t kStatuses[] = {200, 200, 200, 302, 404, 500};

Ref<rcgc::Object> build() {
  Rng rng(0x5EED0504);
  const std::uint64_t kRoles = 12, kMiddleware = 10, kProducts = 5000, kUsers = 20000;
  const std::uint64_t kRoutes = 400, kSessions = 50000, kConns = 3000, kWorkers = 16;
  const std::uint64_t kRequests = 120000, kLogCap = 60000;
  auto server = make<Server>();
  auto app = make<App>();
  app->server = server;
  server->app = app;

  for (std::uint64_t r = 0; r < kRoles; ++r) {
    auto role = make<Role>();
    role->name = cat("role", r);
    for (int k = 0; k < 3; ++k) role->perms.push_back(cat("perm", rng.below(50)));
    if (r > 0) role->parent = server->roles[rng.below(r)];
    server->roles.push_back(role);
  }
  for (std::uint64_t m = 0; m < kMiddleware; ++m) {
    auto mw = make<Middleware>();
    mw->name = cat("mw", m);
    mw->app = app;
    mw->config["level"] = cat(rng.below(5));
    if (m > 0) app->middleware.back()->next = mw;
    app->middleware.push_back(mw);
  }
  for (std::uint64_t p = 0; p < kProducts; ++p) {
    auto prod = make<Product>();
    prod->pid = p;
    prod->name = cat("prod", p);
    prod->price = rng.below(10000);
    if (p > 0) {
      const std::uint64_t nr = rng.below(5);
      for (std::uint64_t k = 0; k < nr; ++k) prod->related.push_back(app->catalog.at(rng.below(p)));
    }
    app->catalog[p] = prod;
  }
  for (std::uint64_t u = 0; u < kUsers; ++u) {
    auto user = make<User>();
    user->uid = u;
    user->name = cat("user", u);
    const std::uint64_t nr = 1 + rng.below(2);
    for (std::uint64_t k = 0; k < nr; ++k) user->roles.push_back(server->roles[rng.below(kRoles)]);
    server->users[u] = user;
  }

  // The router: a trie of literal segments and parameters.
  auto router = make<Router>();
  router->root = make<RouteNode>();
  app->router = router;
  for (std::uint64_t r = 0; r < kRoutes; ++r) {
    const std::uint64_t depth = 2 + rng.below(3);
    Ref<RouteNode> node = router->root;
    std::string pattern;
    for (std::uint64_t d = 0; d < depth; ++d) {
      if (rng.below(4) == 0) {
        if (!node->param) {
          node->param = make<RouteNode>();
          node->param->parent = node;
        }
        node = node->param;
        pattern += cat("/{p", d, "}");
      } else {
        const std::string seg = kSegments[rng.below(12)];
        Ref<RouteNode>* child = node->children.get(seg);
        if (child == nullptr) {
          auto fresh = make<RouteNode>();
          fresh->parent = node;
          child = &(node->children[seg] = fresh);
        }
        node = *child;
        pattern += cat("/", seg);
      }
    }
    if (node->route) continue;
    auto route = make<Route>();
    route->pattern = pattern;
    route->handler = cat("h", r);
    route->node = node;
    route->methods.push_back("GET");
    if (rng.below(2) == 0) route->methods.push_back("POST");
    const std::uint64_t nm = rng.below(4);
    for (std::uint64_t k = 0; k < nm; ++k) route->chain.push_back(app->middleware[rng.below(kMiddleware)]);
    node->route = route;
    router->routes.push_back(route);
  }

  auto store = make<SessionStore>();
  server->store = store;
  std::uint64_t next_sid = 0;
  auto new_session = [&] {
    auto s = make<Session>();
    s->sid = cat("sid", next_sid++);
    s->store = store;
    if (rng.below(5) != 0) {
      const Ref<User> user = server->users.at(rng.below(kUsers));
      s->user = user;
      user->sessions.emplace_back(s);
      store->by_user[user->uid].push_back(s);
    }
    s->csrf = cat("csrf", rng.below(1 << 30));
    const std::uint64_t nc = rng.below(5);
    for (std::uint64_t k = 0; k < nc; ++k) {
      auto item = make<CartItem>();
      item->product = app->catalog.at(rng.below(kProducts));
      item->qty = 1 + rng.below(3);
      item->session = s;
      s->cart.push_back(item);
    }
    store->sessions[s->sid] = s;
    store->expiry.push_back(s);
  };
  auto expire = [&] {
    Ref<Session> s = std::move(store->expiry.front());
    store->expiry.pop_front();
    const Ref<Session>* cur = store->sessions.get(s->sid);
    if (cur != nullptr && *cur == s) store->sessions.erase(s->sid);
    if (s->user) {
      auto it = store->by_user.find(s->user->uid);
      auto& list = it->second;
      list.erase(std::find(list.begin(), list.end(), s));
      if (list.empty()) store->by_user.erase(it);
    }
  };

  std::vector<Ref<Connection>> open_conns;
  auto open_conn = [&] {
    auto c = make<Connection>();
    c->fd = server->next_fd++;
    c->server = server;
    const std::uint64_t a = rng.below(256);
    const std::uint64_t b = rng.below(256);
    c->peer = cat("10.0.", a, ".", b);
    server->conns[c->fd] = c;
    open_conns.push_back(c);
  };
  auto close_conn = [&] {
    const std::uint64_t i = rng.below(open_conns.size());
    const Ref<Connection> c = open_conns[i];
    open_conns[i] = open_conns.back();
    open_conns.pop_back();
    c->open = false;
    server->conns.erase(c->fd);
    c->pending.clear();
  };

  for (std::uint64_t s = 0; s < kSessions; ++s) new_session();
  for (std::uint64_t c = 0; c < kConns; ++c) open_conn();
  for (std::uint64_t w = 0; w < kWorkers; ++w) {
    auto worker = make<Worker>();
    worker->id = w;
    worker->server = server;
    server->workers.push_back(worker);
  }

  auto complete = [&](const Ref<Request>& req) {
    auto resp = make<Response>();
    resp->status = kStatuses[rng.below(6)];
    resp->request = req;
    req->response = resp;
    resp->headers["Content-Type"] = "text/html";
    resp->headers["Content-Length"] = cat(rng.below(5000));
    resp->body = cat("<html>", req->id, "</html>");
    if (req->session && rng.below(4) == 0) {
      auto cookie = make<Cookie>();
      cookie->name = "sid";
      cookie->value = req->session->sid;
      cookie->session = req->session;
      resp->cookies.push_back(cookie);
    }
    req->conn->last = req;
    req->route->hits += 1;
    auto log = make<LogRecord>();
    log->request = req;
    log->status = resp->status;
    log->micros = rng.below(100000);
    server->access_log.push_back(log);
    if (server->access_log.size() > kLogCap) server->access_log.pop_front();
  };

  // The request stream.
  for (std::uint64_t r = 0; r < kRequests; ++r) {
    if (r % 1000 == 999) {
      for (int k = 0; k < 150; ++k) {
        expire();
        new_session();
      }
      for (int k = 0; k < 30; ++k) {
        close_conn();
        open_conn();
      }
    }
    const Ref<Connection> c = open_conns[rng.below(open_conns.size())];
    const Ref<Route> route = router->routes[rng.below(router->routes.size())];
    auto req = make<Request>();
    req->id = r;
    req->method = route->methods[rng.below(route->methods.size())];
    req->path = route->pattern;
    req->conn = c;
    req->route = route;
    req->headers["Host"] = "example.com";
    req->headers["User-Agent"] = cat("agent", rng.below(20));
    req->headers["Accept"] = "*/*";
    if (rng.below(3) != 0) {
      const std::string sid = cat("sid", rng.below(next_sid));
      if (const Ref<Session>* s = store->sessions.get(sid)) {
        req->session = *s;
        req->headers["Cookie"] = cat("sid=", sid);
        (*s)->history.push_back(req);
        if ((*s)->history.size() > 4) (*s)->history.pop_front();
      }
    }
    if (route->pattern.find('{') != std::string::npos) req->params["id"] = cat(rng.below(100000));
    c->pending.push_back(req);
    const std::uint64_t keep = rng.below(3);
    while (c->pending.size() > keep) {
      Ref<Request> done = std::move(c->pending.front());
      c->pending.pop_front();
      complete(done);
    }
    server->workers[r % kWorkers]->current = req;
  }
  return server;
}

}  // namespace http_server

const unseen::Workload workloads[] = {
    {"build_graph", build_graph::build},
    {"vfs", vfs::build},
    {"mesh", mesh::build},
    {"http_server", http_server::build},
};

}  // namespace

int main(int argc, char** argv) { return unseen::run(argc, argv, "gc_unseen5", workloads); }
