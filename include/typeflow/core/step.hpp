#pragma once
// How a callable becomes a step: its signature is read at compile time, every input is checked
// against the handle wired to it, and the checked call is type-erased behind step_base.

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/callable_traits/args.hpp>
#include <boost/callable_traits/return_type.hpp>

#include <typeflow/core/context.hpp>
#include <typeflow/core/control.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/diagnostics.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>

namespace typeflow::detail {

/// The value type of a handle produced by a step that failed its compile-time check; edges
/// carrying it are accepted silently so that one mistake gives one error.
struct poisoned {};

/// A callable with one fixed signature: a function (pointer) or a class with one non-template
/// operator().
template <class F>
concept fixed_signature = std::is_function_v<std::remove_pointer_t<F>> || requires {
  &F::operator();
};

template <class P>
inline constexpr bool is_outcome = std::is_same_v<std::remove_cvref_t<P>, run_outcome>;

/// Parameters the executor supplies itself (not inputs): the context, and for finally
/// handlers the run's outcome.
template <class P>
inline constexpr bool is_context = std::is_same_v<std::remove_cvref_t<P>, context> || is_outcome<P>;

template <class Args>
struct input_params;
template <class... P>
struct input_params<std::tuple<P...>> {
  using type = decltype(std::tuple_cat(
      std::declval<std::conditional_t<is_context<P>, std::tuple<>, std::tuple<P>>>()...));
};

template <class F>
struct signature {
  using params = boost::callable_traits::args_t<F, std::tuple>;
  using result = boost::callable_traits::return_type_t<F>;
  using inputs = typename input_params<params>::type;
  static constexpr std::size_t arity = std::tuple_size_v<params>;
  static constexpr std::size_t input_count = std::tuple_size_v<inputs>;

  /// The index among the inputs of the callable's parameter I.
  template <std::size_t I>
  static constexpr std::size_t input_index = [] {
    std::size_t n = 0;
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      ((n += (J < I && !is_context<std::tuple_element_t<J, params>>) ? 1 : 0), ...);
    }
    (std::make_index_sequence<arity>{});
    return n;
  }();
};

/// T converts to D without an arithmetic narrowing (double -> int is rejected).
template <class T, class D>
concept edge_convertible = std::is_same_v<T, D> ||
    (std::is_convertible_v<T, D>&& std::is_convertible_v<const T&, D> &&
     (!(std::is_arithmetic_v<T> && std::is_arithmetic_v<D>) || requires(T t) { D{t}; }));

template <class T>
struct step_output {
  using type = T;
};

/// Where a step is declared: outside any branch, or inside a condition branch (where outputs
/// of the same branch are present whenever the step runs).
enum class scope : bool { pipeline, branch };

template <std::size_t N, class P, class H, scope Where>
constexpr auto check_input() {
  using traits = handle_traits<H>;
  if constexpr (!traits::is_handle) {
    return argument_is_not_a_handle<argument<N>, got<H>>{};
  } else {
    using T = typename traits::value_type;
    using D = std::remove_cvref_t<P>;
    if constexpr (maybe_traits<T>::is_maybe) {
      using X = typename maybe_traits<T>::value_type;
      if constexpr (optional_traits<D>::is_optional) {
        if constexpr (edge_convertible<X, typename optional_traits<D>::value_type>) {
          return ok{};
        } else {
          return edge_type_mismatch<argument<N>, expects<D>, but_the_edge_carries<T>>{};
        }
      } else if constexpr (Where == scope::branch) {
        return check_input<N, P, handle<X>, Where>();
      } else {
        return possibly_skipped_output_needs_optional<argument<N>, expects<D>,
                                                      but_the_edge_carries<T>>{};
      }
    } else if constexpr (std::is_lvalue_reference_v<P> &&
                         !std::is_const_v<std::remove_reference_t<P>>) {
      return parameter_is_a_mutable_reference<argument<N>, expects<P>>{};
    } else if constexpr (std::is_same_v<T, poisoned> || edge_convertible<T, D>) {
      return ok{};
    } else if constexpr (traits::is_param) {
      return parameter_type_mismatch<argument<N>, expects<D>, but_the_parameter_is<T>>{};
    } else {
      return edge_type_mismatch<argument<N>, expects<D>, but_the_edge_carries<T>>{};
    }
  }
}

template <scope Where, class Inputs, std::size_t K, class H, class... Rest>
constexpr auto check_inputs() {
  using verdict = decltype(check_input<K + 1, std::tuple_element_t<K, Inputs>, H, Where>());
  if constexpr (!std::is_same_v<verdict, ok> || sizeof...(Rest) == 0) {
    return verdict{};
  } else {
    return check_inputs<Where, Inputs, K + 1, Rest...>();
  }
}

template <scope Where, class F, class... H>
constexpr auto check_step_in();

/// The first failed check of wiring `H...` into callable `F`, or ok.
template <class F, class... H>
constexpr auto check_step() {
  return check_step_in<scope::pipeline, F, H...>();
}

template <scope Where, class F, class... H>
constexpr auto check_step_in() {
  if constexpr (!fixed_signature<F>) {
    return callable_has_no_fixed_signature<the_callable<F>>{};
  } else {
    using sig = signature<F>;
    using R = typename sig::result;
    if constexpr (std::is_reference_v<R>) {
      return step_returns_a_reference<the_callable<F>, returns<R>>{};
    } else if constexpr (sig::input_count != sizeof...(H)) {
      return wrong_number_of_inputs<step_takes<sig::input_count>, but_was_given<sizeof...(H)>>{};
    } else if constexpr (sizeof...(H) == 0) {
      return ok{};
    } else {
      return check_inputs<Where, typename sig::inputs, 0, H...>();
    }
  }
}

/// The output type of a step built from F, or poisoned when F has no fixed signature.
template <class F>
constexpr auto output_of() {
  if constexpr (fixed_signature<F>) {
    using R = typename signature<F>::result;
    if constexpr (std::is_reference_v<R>) {
      return step_output<poisoned>{};
    } else {
      return step_output<R>{};
    }
  } else {
    return step_output<poisoned>{};
  }
}
template <class F>
using output_t = typename decltype(output_of<F>())::type;

[[noreturn]] inline void throw_shared_move_only(const context& ctx) {
  throw run_error("typeflow: step '" + std::string(ctx.step_name()) +
                  "' takes by value an input that other steps also read, and its type is "
                  "move-only; take it by const& instead");
}

/// Per input of F wired with H...: true when the input may be absent at run time (a
/// maybe<T> edge into a std::optional parameter).
template <class F, class... H>
constexpr std::array<bool, sizeof...(H)> tolerant_inputs() {
  using inputs = typename signature<F>::inputs;
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<bool, sizeof...(H)>{
        (maybe_traits<typename handle_traits<H>::value_type>::is_maybe &&
         optional_traits<std::remove_cvref_t<std::tuple_element_t<K, inputs>>>::is_optional)...};
  }
  (std::index_sequence_for<H...>{});
}

template <class P, class E>
decltype(auto) pass_value(void* p, bool movable, const context& ctx);

/// Passes edge value `E` (stored at `p`) as parameter type `P`: by const& when P is one, moved
/// when this consumer is the value's only reader, copied otherwise. A maybe<X> edge is an X
/// when present; into a std::optional parameter, an absent one (null `p`) is std::nullopt.
template <class P, class E>
decltype(auto) pass(void* p, bool movable, const context& ctx) {
  using D = std::remove_cvref_t<P>;
  if constexpr (maybe_traits<E>::is_maybe) {
    using X = typename maybe_traits<E>::value_type;
    if constexpr (optional_traits<D>::is_optional) {
      if (p == nullptr) return D{};
      X& value = *static_cast<X*>(p);
      if (movable) return D(std::move(value));
      return D(static_cast<const X&>(value));
    } else {
      return pass<P, X>(p, movable, ctx);
    }
  } else {
    return pass_value<P, E>(p, movable, ctx);
  }
}

template <class P, class E>
decltype(auto) pass_value(void* p, bool movable, const context& ctx) {
  using D = std::remove_cvref_t<P>;
  E& value = *static_cast<E*>(p);
  if constexpr (std::is_lvalue_reference_v<P>) {
    if constexpr (std::is_same_v<D, E>) {
      return static_cast<const E&>(value);
    } else {
      return D(static_cast<const E&>(value));
    }
  } else {
    if (movable) return D(std::move(value));
    if constexpr (std::is_copy_constructible_v<E>) {
      return D(static_cast<const E&>(value));
    } else {
      throw_shared_move_only(ctx);
    }
  }
}

template <class F, class... E>
class step_impl final : public step_base {
  using sig = signature<F>;
  using R = typename sig::result;
  using edges = std::tuple<E...>;

 public:
  explicit step_impl(F f) : f_(std::move(f)) {}

  void invoke(invocation& call) override {
    call_with(call, std::make_index_sequence<sig::arity>{});
  }

 private:
  template <std::size_t... I>
  void call_with(invocation& call, std::index_sequence<I...>) {
    if constexpr (std::is_void_v<R>) {
      f_(arg<I>(call)...);
    } else {
      call.output->template emplace_from<R>([&]() -> R { return f_(arg<I>(call)...); });
    }
  }

  template <std::size_t I>
  decltype(auto) arg(invocation& call) {
    using P = std::tuple_element_t<I, typename sig::params>;
    if constexpr (is_outcome<P>) {
      return (*static_cast<const run_outcome*>(call.outcome));
    } else if constexpr (is_context<P>) {
      return (*call.ctx);
    } else {
      constexpr std::size_t k = sig::template input_index<I>;
      return pass<P, std::tuple_element_t<k, edges>>(call.inputs[k], call.movable[k], *call.ctx);
    }
  }

  F f_;
};

}  // namespace typeflow::detail
