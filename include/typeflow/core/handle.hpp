#pragma once
// handle<T>: a typed reference to a step output (or a part of one). The value type lives in the
// C++ type; at run time a handle is a node and a port id. Handles are how steps are wired, and
// the place per-step policies are set fluently: p.step(...).retry(2).timeout(1s).

#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <typeflow/core/definition.hpp>
#include <typeflow/core/diagnostics.hpp>
#include <typeflow/detail/type_name.hpp>

namespace typeflow {

template <class T>
class handle;
template <class T>
class param;  // core/param.hpp

namespace detail {

struct handle_access;

template <class T, class C, class M>
void* project_member(void* whole, const projection& self) noexcept {
  M C::*member;
  std::memcpy(&member, self.data, sizeof member);
  return std::addressof(static_cast<C&>(*static_cast<T*>(whole)).*member);
}

template <class T, std::size_t I>
void* project_element(void* whole, const projection& /*self*/) noexcept {
  using std::get;
  return std::addressof(get<I>(*static_cast<T*>(whole)));
}

template <class T>
concept tuple_like = requires {
  typename std::tuple_size<T>::type;
};

}  // namespace detail

template <class T>
class handle {
 public:
  using value_type = T;

  /// An empty handle; wiring it into a step is a definition_error.
  handle() noexcept = default;

  /// Selects a member of a struct output: split[&Split::train] is a handle<Dataset>.
  template <class M, class C>
  requires(!std::is_void_v<T>) [[nodiscard]] auto operator[](M C::*member) const {
    if constexpr (!std::is_base_of_v<C, T> && !std::is_same_v<C, T>) {
      detail::diagnose(
          projection_onto_member_of_another_type<member_of<C>, but_the_handle_carries<T>>{});
      return handle<M>{};
    } else {
      static_assert(std::is_member_object_pointer_v<M C::*>,
                    "typeflow: handle[&Class::member] takes a data member, not a member function");
      static_assert(sizeof(member) <= sizeof(detail::projection{}.data));
      detail::projection proj;
      proj.apply = &detail::project_member<T, C, M>;
      std::memcpy(proj.data, &member, sizeof member);
      return project<M>(proj);
    }
  }

  /// Selects an element of a tuple-like output: pair.get<0>().
  template <std::size_t I>
  requires(!std::is_void_v<T>) [[nodiscard]] auto get() const {
    if constexpr (!detail::tuple_like<T>) {
      detail::diagnose(element_projection_on_a_non_tuple<T>{});
      return handle<void>{};
    } else if constexpr (I >= std::tuple_size_v<T>) {
      detail::diagnose(tuple_element_out_of_range<index<I>, size<std::tuple_size_v<T>>>{});
      return handle<void>{};
    } else {
      using E = std::tuple_element_t<I, T>;
      detail::projection proj;
      proj.apply = &detail::project_element<T, I>;
      // The index in the data too, so that a projection reads the same in every process.
      const std::uint64_t index = I;
      std::memcpy(proj.data, &index, sizeof index);
      return project<E>(proj);
    }
  }

  /// Orders this step after `others` (which must be declared before it) without passing data.
  template <class... U>
  handle& after(const handle<U>&... others) {
    (add_order(others.def_, others.node_), ...);
    return *this;
  }

  /// Orders this step after every handle in `others` (a vector or other range of handles).
  template <class Range>
  requires requires(const Range& r) {
    r.begin();
    r.end();
    (*r.begin()).name();
  }
  handle& after_all(const Range& others) {
    for (const auto& h : others) add_order(h.def_, h.node_);
    return *this;
  }

  /// Skips this step (and so what depends on it) when `pred(values of inputs...)` holds; the
  /// inputs are outputs or parameters declared before this step.
  ///
  ///     p.step("upload", upload, model).skip_if([](bool dry) { return dry; }, dry_run);
  template <class Pred, class... U>
  handle& skip_if(Pred pred, const handle<U>&... inputs) {
    static_assert(sizeof...(U) > 0, "typeflow: skip_if(pred, inputs...) needs at least one input");
    static_assert(std::is_invocable_r_v<bool, Pred&, const U&...>,
                  "typeflow: skip_if(pred, inputs...): pred must take the inputs' values "
                  "(const T&...) and return bool");
    if (def_ == nullptr) throw definition_error("typeflow: .skip_if() on an empty handle");
    std::string reason = "skip_if held on";
    (check_earlier("skip_if", inputs.def_, inputs.node_), ...);
    ((reason += " '" + std::string(inputs.name()) + "'"), ...);
    def_->check_not_running("change the policy of", name());
    if (def_->nodes[node_].kind == detail::node_kind::finally_handler) {
      fail("skip_if", "a finally handler runs after every other step, whatever happened");
    }
    auto& c = def_->control_of(node_);
    if (c.skip_pred) fail("skip_if", "the step already has a skip_if condition");
    c.skip_ports = {inputs.port_...};
    c.skip_pred = [pred = std::move(pred)](void* const* in) mutable {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return static_cast<bool>(pred(*static_cast<const U*>(in[I])...));
      }
      (std::index_sequence_for<U...>{});
    };
    c.skip_reason = std::move(reason);
    return *this;
  }

  /// Re-runs a failed step up to `times` more times, waiting `backoff`, then backoff*factor...
  handle& retry(unsigned times, std::chrono::nanoseconds backoff = {}, double factor = 2.0) {
    auto& p = policy("retry");
    p.has_retry = true;
    p.retries = times;
    p.backoff = backoff;
    p.backoff_factor = factor;
    return *this;
  }
  /// Like retry(), but only for failures whose exception is one of `E...` (or derived).
  template <class... E>
  handle& retry_on(unsigned times, std::chrono::nanoseconds backoff = {}, double factor = 2.0) {
    static_assert(sizeof...(E) > 0, "typeflow: retry_on<E...> needs at least one exception type");
    retry(times, backoff, factor);
    auto& p = policy("retry_on");
    p.retry_if = [](const std::exception_ptr& e) {
      bool match = false;
      ((match = match || matches<E>(e)), ...);
      return match;
    };
    p.retry_if_text.clear();
    ((p.retry_if_text += (p.retry_if_text.empty() ? "" : ", ") + detail::demangle(typeid(E))), ...);
    return *this;
  }
  /// Triggers the step's stop token after `limit`; a step that honours it ends timed_out.
  handle& timeout(std::chrono::nanoseconds limit) {
    if (limit.count() <= 0) fail("timeout", "the timeout must be positive");
    auto& p = policy("timeout");
    p.has_timeout = true;
    p.timeout = limit;
    return *this;
  }
  /// Counted resources the step holds while it runs, e.g. {{"gpu", 1}, {"mem_gb", 8}}.
  handle& resources(std::initializer_list<std::pair<std::string, double>> amounts) {
    auto& p = policy("resources");
    for (const auto& [name, amount] : amounts) {
      if (name.empty()) fail("resources", "a resource name is empty");
      if (!(amount > 0)) fail("resources", "resource '" + name + "' needs a positive amount");
    }
    p.resources.assign(amounts.begin(), amounts.end());
    return *this;
  }
  /// Options for the executor that runs the step elsewhere, added to the run's own: with
  /// `--executor slurm`, sbatch options such as {"--partition=gpu", "--qos=long"}.
  handle& executor_args(std::initializer_list<std::string> args) {
    auto& p = policy("executor_args");
    for (const auto& a : args) {
      if (a.size() < 2 || a[0] != '-') {
        fail("executor_args", "'" + a + "' is not an option (options start with '-')");
      }
    }
    p.executor_args.assign(args.begin(), args.end());
    return *this;
  }
  /// The step's estimated cost (1 by default). Among the steps that one step makes ready, the
  /// scheduler runs the one heading the longest remaining path (by cost) first; when costs
  /// differ, it also takes queued steps in that order (with equal costs, newest first).
  handle& cost(double estimate) {
    if (!(estimate >= 0)) fail("cost", "the cost must be zero or positive");
    policy("cost").cost = estimate;
    return *this;
  }
  /// Keeps the output after its last consumer so that run_result::get can read it.
  handle& keep() {
    policy("keep").keep_output = true;
    return *this;
  }

  /// Whether the run store saves this step's output as an artifact (default: yes). false keeps
  /// it out of the store (it cannot be cached or resumed from). A step whose output type has
  /// no codec is declared p.step(typeflow::in_memory, ...) and cannot be persisted.
  handle& persist(bool yes = true) {
    auto& p = policy("persist");
    const auto& nd = def_->nodes[node_];
    if (yes && nd.codec == nullptr && *nd.output_type != typeid(void)) {
      fail("persist", "its output type " + detail::demangle(*nd.output_type) +
                          " has no codec, so the run store cannot save it (the step is "
                          "declared typeflow::in_memory)");
    }
    p.persist = yes;
    return *this;
  }
  /// Whether the run store may serve this step from its cache (default: yes). Turn it off for
  /// steps whose output is not a function of their inputs and parameters.
  handle& cache(bool yes = true) {
    policy("cache").cache = yes;
    return *this;
  }
  /// The version of the step's code, part of its cache key: change it when the code changes.
  handle& version(std::string v) {
    policy("version").version = std::move(v);
    return *this;
  }

  /// The name of the step (or parameter) this handle reads from.
  [[nodiscard]] std::string_view name() const noexcept {
    return def_ == nullptr ? std::string_view{} : def_->nodes[node_].name;
  }
  [[nodiscard]] bool valid() const noexcept { return def_ != nullptr; }

 private:
  template <class U>
  friend class handle;
  friend struct detail::handle_access;

  template <class E>
  static bool matches(const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  template <class M>
  handle<M> project(const detail::projection& proj) const {
    if (def_ == nullptr) return handle<M>{};
    def_->check_not_running("select a part of", name());
    return handle<M>{def_, node_, def_->child_port(port_, proj, typeid(M))};
  }

  [[noreturn]] void fail(std::string_view what, const std::string& why) const {
    throw definition_error("typeflow: ." + std::string(what) + "() on step '" +
                           std::string(name()) + "': " + why);
  }

  detail::step_policy& policy(std::string_view what) {
    if (def_ == nullptr)
      throw definition_error("typeflow: ." + std::string(what) + "() on an empty handle");
    if (def_->nodes[node_].kind == detail::node_kind::parameter) {
      fail(what, "it is a parameter, not a step");
    }
    def_->check_not_running("change the policy of", name());
    return def_->policy_of(node_);
  }

  void check_earlier(std::string_view what, detail::definition* other_def,
                     detail::node_id other) const {
    if (other_def == nullptr) fail(what, "an input is an empty handle");
    if (other_def != def_) {
      fail(what, "'" + std::string(other_def->nodes[other].name) + "' belongs to pipeline '" +
                     other_def->name + "'");
    }
    if (other >= node_) {
      fail(what, "'" + std::string(def_->nodes[other].name) + "' is not declared before this step");
    }
  }

  void add_order(detail::definition* other_def, detail::node_id other) {
    if (def_ == nullptr || other_def == nullptr) {
      throw definition_error("typeflow: .after() with an empty handle");
    }
    if (other_def != def_) {
      throw definition_error("typeflow: step '" + std::string(name()) + "' cannot run after '" +
                             std::string(other_def->nodes[other].name) +
                             "': it belongs to pipeline '" + other_def->name + "', not '" +
                             def_->name + "'");
    }
    if (other >= node_) {
      throw definition_error("typeflow: step '" + std::string(name()) + "' cannot run after '" +
                             std::string(def_->nodes[other].name) + "': " +
                             (other == node_
                                  ? std::string("a step cannot wait for itself")
                                  : "'" + std::string(def_->nodes[other].name) +
                                        "' is declared later; declare steps in the order they run, "
                                        "so that no cycle can be written"));
    }
    // A finally handler runs once every other step has ended: ordering it, or ordering a step
    // after it, would be a cycle (the step waits for the handler, which waits for the step).
    if (def_->nodes[node_].kind == detail::node_kind::finally_handler) {
      throw definition_error("typeflow: finally handler '" + std::string(name()) +
                             "' cannot be ordered with .after(): it runs after every other "
                             "step anyway");
    }
    if (def_->nodes[other].kind == detail::node_kind::finally_handler) {
      throw definition_error("typeflow: step '" + std::string(name()) + "' cannot run after '" +
                             std::string(def_->nodes[other].name) +
                             "': that is a finally handler, which runs after every other step");
    }
    def_->check_not_running("order", name());
    def_->order.push_back({other, node_});
  }

 protected:
  handle(detail::definition* def, detail::node_id node, detail::port_id port) noexcept
      : def_(def), node_(node), port_(port) {}

  detail::definition* def_ = nullptr;
  detail::node_id node_ = detail::none;
  detail::port_id port_ = detail::none;
};

// param<T>, the parameter handle, is defined in <typeflow/core/param.hpp>.

namespace detail {

/// The library's own door to a handle's ids (users see only the typed surface).
struct handle_access {
  template <class T>
  static handle<T> make(definition* def, node_id node, port_id port) noexcept {
    return handle<T>{def, node, port};
  }
  template <class T>
  static param<T> make_param(definition* def, node_id node, port_id port) noexcept {
    return param<T>{def, node, port};
  }
  template <class T>
  static definition* def(const handle<T>& h) noexcept {
    return h.def_;
  }
  template <class T>
  static node_id node(const handle<T>& h) noexcept {
    return h.node_;
  }
  template <class T>
  static port_id port(const handle<T>& h) noexcept {
    return h.port_;
  }
};

template <class H>
struct handle_traits {
  static constexpr bool is_handle = false;
  static constexpr bool is_param = false;
};
template <class T>
struct handle_traits<handle<T>> {
  static constexpr bool is_handle = true;
  static constexpr bool is_param = false;
  using value_type = T;
};
template <class T>
struct handle_traits<param<T>> {
  static constexpr bool is_handle = true;
  static constexpr bool is_param = true;
  using value_type = T;
};

}  // namespace detail
}  // namespace typeflow
