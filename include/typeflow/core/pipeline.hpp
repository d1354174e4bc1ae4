#pragma once
// pipeline: where steps and parameters are declared and wired. Every p.step(...) call is checked
// at compile time (types, arity, callable shape) and at definition time (names, handles).

#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/codec.hpp>
#include <typeflow/core/control.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/diagnostics.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/core/param.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/step.hpp>
#include <typeflow/detail/type_name.hpp>

namespace typeflow {

class branch;

/// Declares a step whose output stays in memory: the run store never saves it, so it cannot be
/// cached or resumed from, and its type needs no codec. p.step(typeflow::in_memory, "name",
/// fn, inputs...); likewise p.map, p.constant and branch steps. (A step whose type has a codec
/// can also be kept out of the store at run time with .persist(false).)
struct in_memory_t {
  explicit in_memory_t() = default;
};
inline constexpr in_memory_t in_memory{};

class pipeline {
 public:
  /// A pipeline named by the naming rule (1-64 characters, a letter first, then letters,
  /// digits, '_' or '-').
  TYPEFLOW_INLINE explicit pipeline(std::string_view name);
  pipeline(pipeline&&) noexcept = default;
  pipeline& operator=(pipeline&&) noexcept = default;
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;
  ~pipeline() = default;

  [[nodiscard]] std::string_view name() const noexcept { return def_->name; }

  /// Declares a parameter with a default value; steps consume it like any output. Its value
  /// may come from a params file, the environment or an override (see run_options); the
  /// returned param<T> sets a description, constraints, required() or delayed() fluently.
  ///
  ///     auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  template <class T>
  typeflow::param<T> param(std::string_view name, T default_value) {
    if constexpr (!check_param_type<T>()) {
      return typeflow::param<T>{};
    } else {
      auto id = add_param<T>(name);
      auto& spec = *def_->nodes[id].param;
      spec.default_value = std::make_shared<const T>(std::move(default_value));
      return detail::handle_access::make_param<T>(def_.get(), id, def_->nodes[id].whole);
    }
  }

  /// Declares a required parameter: a run refuses to start without a value for it (from a
  /// params file, the environment or an override), unless it is delayed().
  template <class T>
  typeflow::param<T> param(std::string_view name) {
    if constexpr (!check_param_type<T>()) {
      return typeflow::param<T>{};
    } else {
      auto id = add_param<T>(name);
      return detail::handle_access::make_param<T>(def_.get(), id, def_->nodes[id].whole);
    }
  }

  /// Every parameter in declaration order: name, type, default, description, constraints,
  /// required, delayed; for manifests and the command line's help.
  [[nodiscard]] std::vector<param_info> params() const { return detail::describe_params(*def_); }

  /// Declares a step: `fn` called with the values of `inputs`, one per parameter of `fn`
  /// (a `typeflow::context&` parameter takes no input). Returns a handle to its output.
  ///
  ///     auto model = p.step("train", train, split[&Split::train], lr);
  /// The output is saved by the run store, so its type needs a codec (a compile error says
  /// how to add one); p.step(typeflow::in_memory, ...) declares a step whose output is not.
  template <class F, class... H>
  auto step(std::string_view name, F fn, const H&... inputs) {
    return add_step<detail::scope::pipeline, detail::node_kind::step, true>(name, std::move(fn),
                                                                            inputs...);
  }
  /// A step whose output stays in memory (see typeflow::in_memory); its type needs no codec.
  template <class F, class... H>
  auto step(in_memory_t, std::string_view name, F fn, const H&... inputs) {
    return add_step<detail::scope::pipeline, detail::node_kind::step, false>(name, std::move(fn),
                                                                             inputs...);
  }

  /// A branch: steps declared on it run only when `pred(value of input)` holds (for
  /// `.otherwise()`, when it does not). Their outputs are `maybe<T>`: a consumer outside the
  /// branch must take std::optional<T>.
  ///
  ///     auto good = p.when(score, [](const Scores& s) { return s.accuracy >= 0.83; });
  ///     auto path = good.step("export", export_model, model);   // handle<maybe<std::string>>
  template <class H, class Pred>
  requires detail::handle_traits<H>::is_handle branch when(const H& input, Pred pred);
  /// A branch whose condition step has a name of its own, as steps do (the default is
  /// "when-1", "when-2", ...): it names the condition in run records, skip reasons ("condition
  /// 'good-enough' is false"), summaries, graphs and reports.
  ///
  ///     auto good = p.when("good-enough", score, [](const Scores& s) { return s.accuracy >= 0.83; });
  template <class H, class Pred>
  requires detail::handle_traits<H>::is_handle branch when(std::string_view name, const H& input,
                                                           Pred pred);

  /// The value of whichever of two branch outputs was produced (the first when both were);
  /// a step that fails when neither was.
  /// Its output is stored when T has a codec, and kept in memory otherwise (the branch steps
  /// producing a and b were then declared typeflow::in_memory).
  template <class T>
  handle<T> first_of(const handle<maybe<T>>& a, const handle<maybe<T>>& b) {
    std::string a_name(a.name()), b_name(b.name());
    auto h = add_step<detail::scope::pipeline, detail::node_kind::step, codec_for<T>>(
        def_->auto_name("first-of"),
        [a_name, b_name](std::optional<T> x, std::optional<T> y) -> T {
          if (x) return std::move(*x);
          if (y) return std::move(*y);
          throw std::runtime_error("neither '" + a_name + "' nor '" + b_name +
                                   "' produced a value");
        },
        a, b);
    def_->nodes[detail::handle_access::node(h)].role = detail::node_role::selector;
    return h;
  }

  /// A quality gate: a checkpoint step that fails the run with `what` when `pred(value)` does
  /// not hold, or with gate::skip_downstream, only skips the steps ordered after it. It is
  /// named "require-1", "require-2", ... unless given a name (the overload below).
  template <class H, class Pred>
  requires detail::handle_traits<H>::is_handle handle<void> require(const H& input, Pred pred,
                                                                    std::string what,
                                                                    gate mode = gate::fail_run) {
    return add_gate(std::string{}, input, std::move(pred), std::move(what), mode);
  }
  /// A quality gate with a name of its own, as steps have, checked by the same rule (a
  /// duplicate names what has it): the name shows in run records, summaries, graphs and
  /// reports instead of "require-1".
  ///
  ///     auto gate = p.require("accuracy-gate", score,
  ///                           [](const Scores& s) { return s.accuracy >= 0.8; }, "accuracy >= 0.8");
  template <class H, class Pred>
  requires detail::handle_traits<H>::is_handle handle<void> require(std::string_view name,
                                                                    const H& input, Pred pred,
                                                                    std::string what,
                                                                    gate mode = gate::fail_run) {
    def_->check_free_name("gate", name);
    return add_gate(std::string(name), input, std::move(pred), std::move(what), mode);
  }
  /// A named gate without the text it fails with: a compile error that says what is missing.
  template <class H, class Pred>
  requires detail::handle_traits<H>::is_handle handle<void> require(std::string_view, const H&,
                                                                    Pred) {
    detail::diagnose(
        gate_needs_a_description<got<typename detail::handle_traits<H>::value_type>>{});
    return handle<void>{};
  }

  /// A step that runs after every other step, whatever happened (failure, stop), and
  /// receives how the run ended: fn(const typeflow::run_outcome&) (a context& may follow).
  /// Its own failure is recorded but does not change the run's status.
  template <class F>
  handle<void> finally(std::string_view name, F fn) {
    static_assert(detail::fixed_signature<F>,
                  "typeflow: p.finally needs a callable with a fixed signature, e.g. "
                  "[](const typeflow::run_outcome& o) { ... }");
    static_assert(detail::signature<F>::input_count == 0,
                  "typeflow: a finally handler takes no inputs: only a const "
                  "typeflow::run_outcome& (and a typeflow::context&)");
    static_assert(std::is_void_v<typename detail::signature<F>::result>,
                  "typeflow: a finally handler returns void");
    return add_step<detail::scope::pipeline, detail::node_kind::finally_handler, true>(
        name, std::move(fn));
  }

  /// Fan-out: runs fn once per element of `items` (a handle to a std::vector<C>), in
  /// parallel, each element with its own status, retries and events (`name[0]`, `name[1]`,
  /// ...), plus `shared` inputs given to every element. The output is a std::vector of the
  /// results in input order. A failed element fails the map step unless
  /// `.allow_partial()` is called on the returned handle.
  template <class F, class V, class... H>
  auto map(std::string_view name, F fn, const handle<V>& items, const H&... shared) {
    return add_map<true>(name, std::move(fn), items, shared...);
  }
  /// A map whose output stays in memory (see typeflow::in_memory).
  template <class F, class V, class... H>
  auto map(in_memory_t, std::string_view name, F fn, const handle<V>& items, const H&... shared) {
    return add_map<false>(name, std::move(fn), items, shared...);
  }

  /// A step that returns a copy of `value` (constants, sweep grids: see typeflow::grid).
  template <class T>
  handle<T> constant(std::string_view name, T value) {
    return step(name, [value = std::move(value)]() -> T { return value; });
  }
  /// A constant kept in memory only (see typeflow::in_memory).
  template <class T>
  handle<T> constant(in_memory_t, std::string_view name, T value) {
    return step(in_memory, name, [value = std::move(value)]() -> T { return value; });
  }

  /// Reserves room for `steps` more steps, for programs that generate large pipelines.
  void reserve(std::size_t steps) {
    def_->nodes.reserve(def_->nodes.size() + steps);
    def_->inputs.reserve(def_->inputs.size() + steps);
    def_->input_tolerant.reserve(def_->input_tolerant.size() + steps);
    def_->ports.reserve(def_->ports.size() + steps);
    def_->order.reserve(def_->order.size() + steps);
  }

  /// Declares a scene: a named subset of steps that can be run alone (a partial run), e.g.
  /// p.scene("retrain", {"train", "evaluate"}); the run store runs it with .scene("retrain").
  TYPEFLOW_INLINE pipeline& scene(std::string_view name,
                                  std::initializer_list<std::string_view> steps);

  /// Number of nodes (steps and parameters).
  [[nodiscard]] std::size_t size() const noexcept { return def_->nodes.size(); }

  /// The recorded definition, for the executor, graph exports and the run store.
  [[nodiscard]] const std::shared_ptr<detail::definition>& definition() const noexcept {
    return def_;
  }

 private:
  /// One readable error for a type a parameter cannot have; true when T is fine.
  template <class T>
  static constexpr bool check_param_type() {
    if constexpr (std::is_enum_v<T> && !param_type<T>) {
      static_assert(detail::always_false<T>,
                    "typeflow: this enum parameter type has no fixed underlying type, so typeflow "
                    "cannot name its values: give it one (enum E : int { ... }, or use an enum "
                    "class) or specialise typeflow::enum_names<E>");
      return false;
    } else if constexpr (!param_type<T>) {
      static_assert(detail::always_false<T>,
                    "typeflow: unsupported parameter type: a parameter is bool, an integer, a "
                    "floating-point number, std::string, an enum, a std::vector of those, or "
                    "nlohmann::json (for text, write p.param<std::string>(...))");
      return false;
    } else if constexpr (!detail::complete_type<T>) {
      static_assert(detail::always_false<T>,
                    "typeflow: a parameter of type nlohmann::json needs #include "
                    "<nlohmann/json.hpp> (typeflow's headers include only json_fwd.hpp)");
      return false;
    } else {
      return true;
    }
  }

  template <class T>
  detail::node_id add_param(std::string_view name) {
    auto id = def_->add_node("parameter", name, detail::node_kind::parameter, typeid(T));
    def_->parameters.push_back(id);
    auto spec = std::make_unique<detail::param_spec>();
    spec->type = &typeid(T);
    spec->type_name = detail::param_codec<T>::type_name();
    spec->store = [](detail::box& out, const void* value) {
      out.emplace<T>(*static_cast<const T*>(value));
    };
    spec->parse = &detail::parse_param<T>;
    spec->format = &detail::format_param<T>;
    using element = detail::param_element_t<T>;
    if constexpr (std::is_enum_v<element>) {
      for (const auto& entry : detail::enum_entries<element>()) {
        spec->choices.emplace_back(entry.second);
      }
    }
    def_->nodes[id].param = std::move(spec);
    def_->nodes[id].codec = detail::codec_ops_for<T>();
    def_->nodes[id].whole = whole_port(id, typeid(T));
    return id;
  }

  detail::port_id whole_port(detail::node_id id, const std::type_info& type) {
    detail::port p;
    p.node = id;
    p.type = &type;
    def_->ports.push_back(p);
    return static_cast<detail::port_id>(def_->ports.size() - 1);
  }

  template <class H>
  void check_input(std::string_view step_name, std::uint32_t position, const H& input) const {
    auto* owner = detail::handle_access::def(input);
    if (owner != def_.get()) bad_input(step_name, position, owner);
  }

  // Apart from the template above, so that its messages are compiled once, not per input type.
  [[noreturn]] TYPEFLOW_INLINE void bad_input(std::string_view step_name, std::uint32_t position,
                                              const detail::definition* owner) const;

  /// A stored step (the run store saves its output) whose output type has no codec: the
  /// compile error stored_output_has_no_codec at the user's p.step or p.map call.
  template <bool Stored, class R>
  static constexpr bool lacks_codec = Stored && !std::is_void_v<R> && !codec_for<R>;

  /// Stored: the run store saves the output, so its type must have a codec (checked here, at
  /// the user's p.step call); otherwise the step is declared in memory (persist = false).
  template <detail::scope Where, detail::node_kind Kind, bool Stored, class F, class... H>
  auto add_step(std::string_view name, F fn, const H&... inputs) {
    using verdict = decltype(detail::check_step_in<Where, F, H...>());
    using R = detail::output_t<F>;
    if constexpr (!std::is_same_v<verdict, detail::ok>) {
      detail::diagnose(verdict{});
      return handle<R>{};
    } else if constexpr (uses_outcome<F>() && Kind != detail::node_kind::finally_handler) {
      detail::diagnose(run_outcome_outside_finally<the_callable<F>>{});
      return handle<R>{};
    } else if constexpr (lacks_codec<Stored, R>) {
      detail::diagnose(stored_output_has_no_codec<returns<R>>{});
      return handle<R>{};
    } else {
      std::uint32_t k = 0;
      (check_input(name, ++k, inputs), ...);
      auto id = def_->add_node("step", name, Kind, typeid(R));
      detail::node& n = def_->nodes[id];
      n.first_input = static_cast<std::uint32_t>(def_->inputs.size());
      n.input_count = sizeof...(H);
      (def_->inputs.push_back(detail::handle_access::port(inputs)), ...);
      if constexpr (sizeof...(H) > 0) {
        for (bool t : detail::tolerant_inputs<F, H...>()) def_->input_tolerant.push_back(t ? 1 : 0);
      }
      n.impl =
          def_->arena.make<detail::step_impl<F, typename detail::handle_traits<H>::value_type...>>(
              std::move(fn));
      if constexpr (!std::is_void_v<R>) n.whole = whole_port(id, typeid(R));
      n.codec = detail::codec_ops_for<R>();
      if constexpr (!Stored) def_->policy_of(id).persist = false;
      return detail::handle_access::make<R>(def_.get(), id, n.whole);
    }
  }

  /// p.require: `name` empty gives "require-N".
  template <class H, class Pred>
  handle<void> add_gate(std::string name, const H& input, Pred pred, std::string what, gate mode) {
    using T = typename detail::handle_traits<H>::value_type;
    static_assert(std::is_invocable_r_v<bool, Pred&, const T&>,
                  "typeflow: p.require(h, pred, text): pred must take the handle's value "
                  "(const T&) and return bool");
    if (what.empty()) throw definition_error("typeflow: p.require(): describe the gate's check");
    auto h = step(
        name.empty() ? def_->auto_name("require") : name,
        [pred = std::move(pred), what, mode](const T& value) {
          if (static_cast<bool>(pred(value))) return;
          if (mode == gate::skip_downstream) throw skip_step("quality gate not met: " + what);
          throw std::runtime_error("quality gate failed: " + what);
        },
        input);
    def_->nodes[detail::handle_access::node(h)].role = detail::node_role::gate;
    return h;
  }

  /// p.when: `name` empty gives "when-N".
  template <class H, class Pred>
  branch add_condition(std::string name, const H& input, Pred pred);

  template <bool Stored, class F, class V, class... H>
  auto add_map(std::string_view name, F fn, const handle<V>& items, const H&... shared);

  template <class F>
  static constexpr bool uses_outcome() {
    if constexpr (detail::fixed_signature<F>) {
      using params = typename detail::signature<F>::params;
      return []<std::size_t... I>(std::index_sequence<I...>) {
        return (detail::is_outcome<std::tuple_element_t<I, params>> || ...);
      }
      (std::make_index_sequence<std::tuple_size_v<params>>{});
    } else {
      return false;
    }
  }

  friend class branch;
  std::shared_ptr<detail::definition> def_;
};

/// Steps that run only when a condition holds (or, from otherwise(), when it does not).
class branch {
 public:
  /// Declares a step in the branch; see pipeline::step. Inputs from this branch may be taken
  /// as T; the output is maybe<R> (void stays void).
  template <class F, class... H>
  auto step(std::string_view name, F fn, const H&... inputs) {
    return add<true>(name, std::move(fn), inputs...);
  }
  /// A branch step whose output stays in memory (see typeflow::in_memory).
  template <class F, class... H>
  auto step(in_memory_t, std::string_view name, F fn, const H&... inputs) {
    return add<false>(name, std::move(fn), inputs...);
  }

  /// The other side: steps that run when the condition does not hold.
  [[nodiscard]] branch otherwise() const { return branch{p_, condition_, !value_}; }

  /// The name of the condition step ("when-1", ..., or the name given to p.when), as it
  /// appears in run records.
  [[nodiscard]] std::string_view condition() const { return p_->def_->nodes[condition_].name; }

 private:
  friend class pipeline;
  template <bool Stored, class F, class... H>
  auto add(std::string_view name, F fn, const H&... inputs) {
    auto h = p_->add_step<detail::scope::branch, detail::node_kind::step, Stored>(
        name, std::move(fn), inputs...);
    using R = typename decltype(h)::value_type;
    if constexpr (std::is_same_v<R, detail::poisoned>) {
      return h;
    } else {
      auto& d = *p_->def_;
      auto id = detail::handle_access::node(h);
      auto& c = d.control_of(id);
      c.guard = condition_;
      c.guard_value = value_;
      if constexpr (std::is_void_v<R>) {
        return h;
      } else {
        return detail::handle_access::make<maybe<R>>(&d, id, detail::handle_access::port(h));
      }
    }
  }

  branch(pipeline* p, detail::node_id condition, bool value)
      : p_(p), condition_(condition), value_(value) {}
  pipeline* p_;
  detail::node_id condition_;
  bool value_;
};

template <class H, class Pred>
requires detail::handle_traits<H>::is_handle branch pipeline::when(const H& input, Pred pred) {
  return add_condition(std::string{}, input, std::move(pred));
}

template <class H, class Pred>
requires detail::handle_traits<H>::is_handle branch pipeline::when(std::string_view name,
                                                                   const H& input, Pred pred) {
  def_->check_free_name("condition", name);
  return add_condition(std::string(name), input, std::move(pred));
}

template <class H, class Pred>
branch pipeline::add_condition(std::string name, const H& input, Pred pred) {
  using T = typename detail::handle_traits<H>::value_type;
  static_assert(std::is_invocable_r_v<bool, Pred&, const T&>,
                "typeflow: p.when(h, pred): pred must take the handle's value (const T&) and "
                "return bool");
  auto cond = step(
      name.empty() ? def_->auto_name("when") : name,
      [pred = std::move(pred)](const T& value) -> bool { return static_cast<bool>(pred(value)); },
      input);
  def_->nodes[detail::handle_access::node(cond)].role = detail::node_role::condition;
  return branch{this, detail::handle_access::node(cond), true};
}

namespace detail {
template <class T>
struct vector_traits {
  static constexpr bool is_vector = false;
};
template <class C, class A>
struct vector_traits<std::vector<C, A>> {
  static constexpr bool is_vector = true;
  using element = C;
};

template <class C, class R>
map_ops make_map_ops() {
  map_ops ops;
  ops.size = [](const void* v) { return static_cast<const std::vector<C>*>(v)->size(); };
  ops.element = [](void* v, std::size_t i) -> void* {
    return std::addressof((*static_cast<std::vector<C>*>(v))[i]);
  };
  ops.gather = [](box& out, box* results, const std::vector<std::size_t>& which,
                  bool with_indices) {
    if (with_indices) {
      auto& vec = out.emplace<std::vector<std::pair<std::size_t, R>>>();
      vec.reserve(which.size());
      for (auto i : which) vec.emplace_back(i, std::move(*static_cast<R*>(results[i].get())));
    } else {
      auto& vec = out.emplace<std::vector<R>>();
      vec.reserve(which.size());
      for (auto i : which) vec.push_back(std::move(*static_cast<R*>(results[i].get())));
    }
  };
  ops.element_codec = codec_ops_for<R>();
  return ops;
}
}  // namespace detail

/// The handle of a map step: a std::vector of the results, or with allow_partial(), the
/// successful results with their indices.
template <class R>
class map_handle : public handle<std::vector<R>> {
 public:
  map_handle() = default;
  map_handle(const handle<std::vector<R>>& h) : handle<std::vector<R>>(h) {}  // NOLINT

  /// Lets the map succeed when some elements fail; the output becomes the successful
  /// results with their element indices. Call it before wiring the map's output.
  handle<std::vector<std::pair<std::size_t, R>>> allow_partial() {
    using out_t = std::vector<std::pair<std::size_t, R>>;
    auto* d = this->def_;
    if (d == nullptr) throw definition_error("typeflow: allow_partial() on an empty handle");
    d->check_not_running("change map step", this->name());
    for (auto p : d->inputs) {
      if (d->ports[p].node == this->node_) {
        throw definition_error("typeflow: allow_partial() on map step '" +
                               std::string(this->name()) +
                               "' after its output was wired; call it first");
      }
    }
    auto& n = d->nodes[this->node_];
    n.map->allow_partial = true;
    n.output_type = &typeid(out_t);
    n.codec = detail::codec_ops_for<out_t>();
    d->ports[n.whole].type = &typeid(out_t);
    return detail::handle_access::make<out_t>(d, this->node_, n.whole);
  }
};

namespace detail {
template <class R>
struct handle_traits<map_handle<R>> : handle_traits<handle<std::vector<R>>> {};
}  // namespace detail

template <bool Stored, class F, class V, class... H>
auto pipeline::add_map(std::string_view name, F fn, const handle<V>& items, const H&... shared) {
  if constexpr (!detail::vector_traits<V>::is_vector) {
    detail::diagnose(map_input_is_not_a_vector<got<V>>{});
    return handle<detail::poisoned>{};
  } else {
    using C = typename detail::vector_traits<V>::element;
    // Each element is wired like an edge carrying C.
    using verdict = decltype(detail::check_step<F, handle<C>, H...>());
    if constexpr (!std::is_same_v<verdict, detail::ok>) {
      detail::diagnose(verdict{});
      return handle<detail::poisoned>{};
    } else if constexpr (lacks_codec<Stored, detail::output_t<F>>) {
      detail::diagnose(stored_output_has_no_codec<returns<detail::output_t<F>>>{});
      return handle<detail::poisoned>{};
    } else {
      using R = detail::output_t<F>;
      static_assert(!std::is_void_v<R>, "typeflow: a map step must return a value per element");
      check_name("step", name);
      std::uint32_t k = 0;
      check_input(name, ++k, items);
      (check_input(name, ++k, shared), ...);
      auto id = def_->add_node("step", name, detail::node_kind::map, typeid(std::vector<R>));
      detail::node& n = def_->nodes[id];
      n.first_input = static_cast<std::uint32_t>(def_->inputs.size());
      n.input_count = 1 + sizeof...(H);
      def_->inputs.push_back(detail::handle_access::port(items));
      (def_->inputs.push_back(detail::handle_access::port(shared)), ...);
      for (std::uint32_t i = 0; i < n.input_count; ++i) def_->input_tolerant.push_back(0);
      n.impl = def_->arena
                   .make<detail::step_impl<F, C, typename detail::handle_traits<H>::value_type...>>(
                       std::move(fn));
      n.map = std::make_unique<detail::map_ops>(detail::make_map_ops<C, R>());
      n.codec = detail::codec_ops_for<std::vector<R>>();
      if constexpr (!Stored) def_->policy_of(id).persist = false;
      n.whole = whole_port(id, typeid(std::vector<R>));
      return map_handle<R>{detail::handle_access::make<std::vector<R>>(def_.get(), id, n.whole)};
    }
  }
}

/// The cartesian product of value lists, for hyperparameter sweeps:
/// grid(std::vector{0.01, 0.1}, std::vector{16, 32}) has 4 tuples (0.01, 16), (0.01, 32), ...
template <class... T>
std::vector<std::tuple<T...>> grid(const std::vector<T>&... axes) {
  static_assert(sizeof...(T) > 0, "typeflow: grid() needs at least one axis");
  std::vector<std::tuple<T...>> out;
  std::size_t total = (axes.size() * ...);
  out.reserve(total);
  for (std::size_t flat = 0; flat < total; ++flat) {
    std::size_t rest = flat;
    std::array<std::size_t, sizeof...(T)> at{};
    std::size_t dims[] = {axes.size()...};
    for (std::size_t d = sizeof...(T); d-- > 0;) {
      at[d] = rest % dims[d];
      rest /= dims[d];
    }
    out.push_back([&]<std::size_t... I>(std::index_sequence<I...>) {
      auto all = std::forward_as_tuple(axes...);
      return std::tuple<T...>{std::get<I>(all)[at[I]]...};
    }(std::index_sequence_for<T...>{}));
  }
  return out;
}

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/pipeline.hpp>
#endif
