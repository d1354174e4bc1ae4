#pragma once
// param<T>: a pipeline parameter, a handle whose value comes from the run's configuration
// (default, params file, environment, overrides, or asked for when needed). Its description,
// constraints and delayed flag are set fluently and kept in the definition as plain data.

#include <algorithm>
#include <concepts>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/param_value.hpp>

namespace typeflow {
namespace detail {

/// The environment variable a parameter is read from: TYPEFLOW_PARAM_<NAME>, the name in
/// upper case with '-' as '_'.
TYPEFLOW_INLINE std::string param_environment_variable(std::string_view name);

/// What `value` was expected to be by the first check it fails; empty when it passes all.
TYPEFLOW_INLINE std::string failed_expectation(const param_spec& spec, const void* value);

/// Parameter `u` of `d` as the command line and reports describe it.
TYPEFLOW_INLINE param_info describe_param(const definition& d, node_id u);

/// Every parameter of `d`, in declaration order.
TYPEFLOW_INLINE std::vector<param_info> describe_params(const definition& d);

}  // namespace detail

/// A pipeline parameter: a handle whose value comes from the run's configuration. Declared
/// with pipeline::param; constraints are checked on the default at once (a default outside
/// them is a definition_error) and on every value a run is given, before anything runs:
///
///     auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
///     auto opt = p.param<std::string>("optimizer", "adam").choices({"adam", "sgd"});
///     auto batch = p.param<int>("batch", 32).validate(is_power_of_two, "a power of two");
template <class T>
class param : public handle<T> {
  using element = detail::param_element_t<T>;
  static constexpr bool is_list = detail::param_vector<T>::value;

 public:
  param() noexcept = default;

  /// A sentence for the manifest and the command line's help.
  param& describe(std::string text) {
    spec("describe").description = std::move(text);
    return *this;
  }

  /// Drops the default: a run refuses to start unless a params file, the environment or an
  /// override gives a value (p.param<T>("name") declares a required parameter directly).
  param& required() {
    spec("required").default_value.reset();
    return *this;
  }

  /// Asks for the value (through run_options::param_provider) only when the first step that
  /// needs it is about to run, unless a params file, the environment or an override gave one.
  param& delayed(bool yes = true) {
    spec("delayed").delayed = yes;
    return *this;
  }

  /// Values (for a vector: each element) must lie in [lo, hi]. Replaces an earlier range.
  param& range(element lo, element hi) requires(std::is_arithmetic_v<element> &&
                                                !std::is_same_v<element, bool>) {
    auto& s = spec("range");
    if (!(lo <= hi)) {
      fail("range", "the low end " + text(lo) + " is above the high end " + text(hi));
    }
    detail::param_check check;
    check.what = detail::param_check::kind::range;
    check.expected =
        std::string(is_list ? "each element" : "a value") + " from " + text(lo) + " to " + text(hi);
    check.holds = [lo, hi](const void* value) {
      return all_elements(value, [&](const element& e) { return lo <= e && e <= hi; });
    };
    add(s, std::move(check));
    return *this;
  }

  /// Values (for a vector: each element) must be one of `allowed`. Replaces earlier choices.
  param& choices(std::vector<element> allowed) requires(!std::is_same_v<T, nlohmann::json>) {
    auto& s = spec("choices");
    if (allowed.empty()) fail("choices", "give at least one allowed value");
    std::vector<std::string> texts;
    std::string list;
    for (const auto& a : allowed) {
      texts.push_back(text(a));
      list += (list.empty() ? "" : ", ") + texts.back();
    }
    detail::param_check check;
    check.what = detail::param_check::kind::choices;
    check.expected = std::string(is_list ? "each element one of: " : "one of: ") + list;
    check.holds = [allowed = std::move(allowed)](const void* value) {
      return all_elements(value, [&](const element& e) {
        return std::find(allowed.begin(), allowed.end(), e) != allowed.end();
      });
    };
    add(s, std::move(check));
    s.choices = std::move(texts);
    return *this;
  }

  /// Values must satisfy `check` (called with const T&; a throw counts as a failure).
  /// `what` says what it checks, as errors print it after "expected": "a power of two".
  template <class F>
  requires std::predicate<const F&, const T&> param& validate(F check, std::string what) {
    auto& s = spec("validate");
    if (what.empty()) fail("validate", "say what the check checks, e.g. \"a power of two\"");
    detail::param_check c;
    c.what = detail::param_check::kind::validate;
    c.expected = std::move(what);
    c.holds = [check = std::move(check)](const void* value) {
      return static_cast<bool>(check(*static_cast<const T*>(value)));
    };
    add(s, std::move(c));
    return *this;
  }

 private:
  friend struct detail::handle_access;
  param(detail::definition* def, detail::node_id node, detail::port_id port) noexcept
      : handle<T>(def, node, port) {}

  template <class F>
  static bool all_elements(const void* value, F&& f) {
    const T& v = *static_cast<const T*>(value);
    if constexpr (is_list) {
      return std::all_of(v.begin(), v.end(), [&](const element& e) { return f(e); });
    } else {
      return f(v);
    }
  }

  static std::string text(const element& e) { return detail::param_codec<element>::format(e); }

  detail::param_spec& spec(std::string_view what) {
    if (this->def_ == nullptr) {
      throw definition_error("typeflow: ." + std::string(what) + "() on an empty parameter");
    }
    this->def_->check_not_running("change parameter", this->name());
    return *this->def_->nodes[this->node_].param;
  }

  [[noreturn]] void fail(std::string_view what, const std::string& why) const {
    const auto& s = *this->def_->nodes[this->node_].param;
    throw definition_error("typeflow: ." + std::string(what) + "() on parameter '" +
                           std::string(this->name()) + "' (" + s.type_name + "): " + why);
  }

  /// Adds a check after trying it on the default; range and choices replace their kind.
  void add(detail::param_spec& s, detail::param_check check) {
    if (s.default_value) {
      detail::param_spec probe;
      probe.checks.push_back(check);
      std::string expected = detail::failed_expectation(probe, s.default_value.get());
      if (!expected.empty()) {
        throw definition_error("typeflow: parameter '" + std::string(this->name()) + "' (" +
                               s.type_name + ") has default '" + s.format(s.default_value.get()) +
                               "', expected " + expected);
      }
    }
    if (check.what != detail::param_check::kind::validate) {
      std::erase_if(s.checks, [&](const detail::param_check& c) { return c.what == check.what; });
    }
    s.checks.push_back(std::move(check));
  }
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/param.hpp>
#endif
