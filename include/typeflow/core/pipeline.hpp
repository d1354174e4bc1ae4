#pragma once
// pipeline: where steps and parameters are declared and wired. Every p.step(...) call is checked
// at compile time (types, arity, callable shape) and at definition time (names, handles).

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <typeflow/core/definition.hpp>
#include <typeflow/core/diagnostics.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/core/param_text.hpp>
#include <typeflow/core/step.hpp>
#include <typeflow/detail/type_name.hpp>

namespace typeflow {

class pipeline {
 public:
  /// A pipeline named by the naming rule (1-64 characters, a letter first, then letters,
  /// digits, '_' or '-').
  explicit pipeline(std::string_view name) : def_(std::make_shared<detail::definition>()) {
    check_name("pipeline", name);
    def_->name = std::string(name);
  }
  pipeline(pipeline&&) noexcept = default;
  pipeline& operator=(pipeline&&) noexcept = default;
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;
  ~pipeline() = default;

  [[nodiscard]] std::string_view name() const noexcept { return def_->name; }

  /// Declares a parameter with a default value; steps consume it like any output.
  template <class T>
  typeflow::param<T> param(std::string_view name, T default_value) {
    static_assert(std::is_copy_constructible_v<T>, "typeflow: a parameter type must be copyable");
    auto id = add_param<T>(name);
    def_->nodes[id].param->default_value = std::make_shared<const T>(std::move(default_value));
    return detail::handle_access::make_param<T>(def_.get(), id, def_->nodes[id].whole);
  }

  /// Declares a step: `fn` called with the values of `inputs`, one per parameter of `fn`
  /// (a `typeflow::context&` parameter takes no input). Returns a handle to its output.
  ///
  ///     auto model = p.step("train", train, split[&Split::train], lr);
  template <class F, class... H>
  auto step(std::string_view name, F fn, const H&... inputs) {
    using verdict = decltype(detail::check_step<F, H...>());
    using R = detail::output_t<F>;
    if constexpr (!std::is_same_v<verdict, detail::ok>) {
      detail::diagnose(verdict{});
      return handle<R>{};
    } else {
      check_name("step", name);
      std::uint32_t k = 0;
      (check_input(name, ++k, inputs), ...);
      auto id = def_->add_node("step", name, detail::node_kind::step, typeid(R));
      detail::node& n = def_->nodes[id];
      n.first_input = static_cast<std::uint32_t>(def_->inputs.size());
      n.input_count = sizeof...(H);
      (def_->inputs.push_back(detail::handle_access::port(inputs)), ...);
      n.impl = std::make_unique<
          detail::step_impl<F, typename detail::handle_traits<H>::value_type...>>(std::move(fn));
      if constexpr (!std::is_void_v<R>) n.whole = whole_port(id, typeid(R));
      return detail::handle_access::make<R>(def_.get(), id, n.whole);
    }
  }

  /// Number of nodes (steps and parameters).
  [[nodiscard]] std::size_t size() const noexcept { return def_->nodes.size(); }

  /// The recorded definition, for the executor, graph exports and the run store.
  [[nodiscard]] const std::shared_ptr<detail::definition>& definition() const noexcept {
    return def_;
  }

 private:
  template <class T>
  detail::node_id add_param(std::string_view name) {
    auto id = def_->add_node("parameter", name, detail::node_kind::parameter, typeid(T));
    auto spec = std::make_unique<detail::param_spec>();
    spec->type = &typeid(T);
    spec->type_name = detail::demangle(typeid(T));
    spec->store = [](detail::box& out, const void* value) {
      out.emplace<T>(*static_cast<const T*>(value));
    };
    spec->parse = &detail::parse_param_text<T>;
    def_->nodes[id].param = std::move(spec);
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
    auto where = [&] {
      return "typeflow: input " + std::to_string(position) + " of step '" + std::string(step_name) +
             "' in pipeline '" + def_->name + "'";
    };
    if (owner == nullptr) throw definition_error(where() + " is an empty handle");
    if (owner != def_.get()) {
      throw definition_error(where() + " comes from pipeline '" + owner->name +
                             "'; handles can only be wired within their own pipeline");
    }
  }

  std::shared_ptr<detail::definition> def_;
};

}  // namespace typeflow
