// rcgc: weak references (weakref.ref, weakref.proxy).
//
// As in CPython, a weak reference is itself an object (detail::WeakRefObject,
// tracked by the collector); WeakRef<T> is a counted handle to it, so copies
// of a handle share one weak reference and its callback runs at most once.
//
// The target does not know its weak references through a field: objects that
// have any carry the kHasWeakrefs flag, and the heap keeps the head of their
// weakref list in a table consulted only for flagged objects.
#pragma once

#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "rcgc/make.hpp"

namespace rcgc {

// Raised by WeakProxy once its referent is gone (Python's ReferenceError).
class ReferenceError : public std::runtime_error {
 public:
  ReferenceError() : std::runtime_error("weakly-referenced object no longer exists") {}
};

namespace detail {

// weakref.ref and weakref.proxy objects are distinct, as in CPython: the
// callback-less ("basic") one of each kind is shared.
enum class WeakKind : std::uint8_t { ref, proxy };

class WeakRefObject final : public Object {
 public:
  using Callback = std::function<void(WeakRefObject&)>;

  WeakRefObject(Object* target, Callback cb, WeakKind kind) noexcept
      : target_(target), callback_(std::move(cb)), kind_(kind) {}
  ~WeakRefObject() override;

  // Weak references hold no strong references; traverse() exists so the
  // collector tracks them and knows when one is part of the trash.
  void traverse(Visitor&) const override {}
  void clear() override {}

  // The referent, or null once it is gone or dying (count 0: its
  // deallocation may be queued by the trashcan), like PyWeakref_GET_OBJECT.
  Object* target() const noexcept {
    return target_ && target_->refcount() > 0 ? target_ : nullptr;
  }
  bool has_callback() const noexcept { return static_cast<bool>(callback_); }
  WeakKind kind() const noexcept { return kind_; }
  std::string type_name() const override {
    return kind_ == WeakKind::ref ? "weakref.ReferenceType" : "weakref.ProxyType";
  }

  // Detaches from the target; the callback stays (the collector calls it
  // after clearing every weakref to the trash).
  void clear_target() noexcept;
  // Calls and drops the callback. Exceptions go to the unraisable hook.
  void run_callback() noexcept;

 private:
  friend class HeapState;
  friend Ref<WeakRefObject> new_weakref(Object* target, Callback cb, WeakKind kind);
  friend std::size_t weakref_count(const Object* op);
  Object* target_;
  Callback callback_;
  WeakKind kind_;
  WeakRefObject* wr_prev_ = nullptr;
  WeakRefObject* wr_next_ = nullptr;
};

// A weak reference to `target` in the target's heap. Without a callback the
// existing callback-less weakref of that kind is reused (CPython's
// `ref(o) is ref(o)`).
Ref<WeakRefObject> new_weakref(Object* target, WeakRefObject::Callback cb,
                               WeakKind kind = WeakKind::ref);
// Number of weak references to op (weakref.getweakrefcount).
std::size_t weakref_count(const Object* op);

template <class F>
struct IsStdFunction : std::false_type {};
template <class R, class... A>
struct IsStdFunction<std::function<R(A...)>> : std::true_type {};

// An empty std::function or a null function pointer means "no callback"
// (Python's None).
template <class F>
bool is_no_callback(const F& f) noexcept {
  if constexpr (IsStdFunction<F>::value)
    return !f;
  else if constexpr (std::is_pointer_v<F>)
    return f == nullptr;
  else
    return false;
}

}  // namespace detail

// weakref.getweakrefcount(obj).
template <class T>
std::size_t getweakrefcount(const Ref<T>& obj) {
  return detail::weakref_count(obj.get());
}

template <class T>
class WeakRef {
 public:
  WeakRef() noexcept = default;
  // weakref.ref(target).
  WeakRef(const Ref<T>& target) : WeakRef(target, nullptr) {}
  // weakref.ref(target, None).
  WeakRef(const Ref<T>& target, std::nullptr_t)
      : wr_(target ? detail::new_weakref(static_cast<Object*>(target.get()), {}) : nullptr) {}
  // weakref.ref(target, callback): `callback` is called once when the target
  // dies, with this weak reference (or with no argument, if it takes none).
  // An empty std::function or null function pointer means no callback.
  template <class F>
    requires std::is_invocable_v<F&, WeakRef<T>&> || std::is_invocable_v<F&>
  WeakRef(const Ref<T>& target, F callback)
      : WeakRef(target, std::move(callback), detail::WeakKind::ref) {}

  // The target, or null once it is gone (Python: `w()`).
  Ref<T> lock() const noexcept {
    Object* t = wr_ ? wr_->target() : nullptr;
    return t ? Ref<T>(static_cast<T*>(t)) : Ref<T>();
  }
  Ref<T> operator()() const noexcept { return lock(); }
  bool expired() const noexcept { return !wr_ || wr_->target() == nullptr; }
  void reset() noexcept { wr_.reset(); }
  // Whether a callback is still to be called (Python: `w.__callback__`).
  bool has_callback() const noexcept { return wr_ && wr_->has_callback(); }

  // The weak reference object itself (shared by copies of this handle).
  const Ref<detail::WeakRefObject>& object() const noexcept { return wr_; }
  friend bool operator==(const WeakRef& a, const WeakRef& b) noexcept {
    return a.wr_ == b.wr_;
  }

 private:
  friend class Visitor;
  template <class U> friend class WeakRef;
  template <class U> friend class WeakProxy;
  explicit WeakRef(Ref<detail::WeakRefObject> wr) noexcept : wr_(std::move(wr)) {}

  template <class F>
  WeakRef(const Ref<T>& target, F callback, detail::WeakKind kind)
      : wr_(target ? detail::new_weakref(static_cast<Object*>(target.get()),
                                         detail::is_no_callback(callback)
                                             ? detail::WeakRefObject::Callback()
                                             : wrap(std::move(callback)),
                                         kind)
                   : nullptr) {}

  template <class F>
  static detail::WeakRefObject::Callback wrap(F f) {
    return [f = std::move(f)](detail::WeakRefObject& w) mutable {
      if constexpr (std::is_invocable_v<F&, WeakRef<T>&>) {
        WeakRef<T> handle{Ref<detail::WeakRefObject>(&w)};
        f(handle);
      } else {
        f();
      }
    };
  }

  Ref<detail::WeakRefObject> wr_;
};

template <class T>
void Visitor::operator()(const WeakRef<T>& ref) {
  (*this)(ref.wr_);
}

// weakref.proxy: transparent access to the target; every access throws
// ReferenceError once the target is gone. The target is kept alive for the
// duration of each access expression.
template <class T>
class WeakProxy {
 public:
  class Pinned {
   public:
    explicit Pinned(Ref<T> r) noexcept : ref_(std::move(r)) {}
    T* operator->() const noexcept { return ref_.get(); }

   private:
    Ref<T> ref_;
  };

  WeakProxy() noexcept = default;
  WeakProxy(const Ref<T>& target) : WeakProxy(target, nullptr) {}
  WeakProxy(const Ref<T>& target, std::nullptr_t)
      : ref_(target, std::function<void()>(), detail::WeakKind::proxy) {}
  template <class F>
    requires std::is_invocable_v<F&, WeakRef<T>&> || std::is_invocable_v<F&>
  WeakProxy(const Ref<T>& target, F callback)
      : ref_(target, std::move(callback), detail::WeakKind::proxy) {}

  Pinned operator->() const { return Pinned(get()); }
  // A strong reference to the target; throws ReferenceError if it is gone.
  Ref<T> get() const {
    Ref<T> r = ref_.lock();
    if (!r) throw ReferenceError();
    return r;
  }
  T& operator*() const { return *get(); }
  bool expired() const noexcept { return ref_.expired(); }
  // Python's `proxy == obj` compares the referents.
  friend bool operator==(const WeakProxy& p, const Ref<T>& r) { return p.get() == r; }
  const WeakRef<T>& weakref() const noexcept { return ref_; }

 private:
  friend class Visitor;
  WeakRef<T> ref_;
};

}  // namespace rcgc
