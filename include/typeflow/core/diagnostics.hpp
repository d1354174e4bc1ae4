#pragma once
// Compile-time diagnostics of the DSL. Each failed check is a type that names what went wrong
// (the compiler prints it in the instantiation note) plus a static_assert that says how to fix it.
// A check fails once, at the user's call site; the caller then returns a poisoned handle so that
// later uses of it stay silent and the user sees one error, not a cascade.

#include <cstddef>

namespace typeflow {

// Words the diagnostics are written in.
template <std::size_t N>
struct argument {};  ///< the N-th input given to p.step (1-based)
template <class T>
struct expects {};
template <class T>
struct but_the_edge_carries {};
template <class T>
struct but_the_parameter_is {};
template <std::size_t N>
struct step_takes {};
template <std::size_t N>
struct but_was_given {};
template <class T>
struct got {};
template <class T>
struct member_of {};
template <class T>
struct but_the_handle_carries {};
template <std::size_t N>
struct index {};
template <std::size_t N>
struct size {};
template <class T>
struct the_callable {};
template <class T>
struct returns {};

// The diagnostics.
template <class Arg, class Expects, class Carries>
struct edge_type_mismatch {};
template <class Arg, class Expects, class Is>
struct parameter_type_mismatch {};
template <class Takes, class Given>
struct wrong_number_of_inputs {};
template <class Callable>
struct callable_has_no_fixed_signature {};
template <class Arg, class Got>
struct argument_is_not_a_handle {};
template <class Member, class Carries>
struct projection_onto_member_of_another_type {};
template <class Carries>
struct element_projection_on_a_non_tuple {};
template <class Index, class Size>
struct tuple_element_out_of_range {};
template <class Arg, class Expects>
struct parameter_is_a_mutable_reference {};
template <class Callable, class Returns>
struct step_returns_a_reference {};
template <class Arg, class Expects, class Carries>
struct possibly_skipped_output_needs_optional {};
template <class Got>
struct map_input_is_not_a_vector {};
template <class Callable>
struct run_outcome_outside_finally {};
template <class Returns>
struct stored_output_has_no_codec {};
template <class Got>
struct gate_needs_a_description {};

namespace detail {

template <class...>
inline constexpr bool always_false = false;

struct ok {};  ///< the verdict of a check that passed

template <class D, template <class...> class Of>
inline constexpr bool is_instance_of = false;
template <template <class...> class Of, class... A>
inline constexpr bool is_instance_of<Of<A...>, Of> = true;
template <class D, template <class...> class Of>
concept instance_of = is_instance_of<D, Of>;

// The condition names the whole diagnostic type, so that both g++ ("[with D = ...]") and
// clang++ ("requirement 'always_false<...>'") print it.

// One overload per diagnostic, so each gets its own fix-it message.
template <instance_of<edge_type_mismatch> D>
constexpr void diagnose(D) {
  static_assert(
      always_false<D>,
      "typeflow: a step input has the wrong type: the edge carries a type that does not "
      "convert (without narrowing) to the step's parameter. See "
      "edge_type_mismatch<argument<N>, expects<P>, but_the_edge_carries<T>> in the notes.");
}
template <instance_of<parameter_type_mismatch> D>
constexpr void diagnose(D) {
  static_assert(
      always_false<D>,
      "typeflow: a pipeline parameter has the wrong type for this step input. Declare it "
      "with the step's type (p.param<P>(...)) or change the step's parameter. See "
      "parameter_type_mismatch<argument<N>, expects<P>, but_the_parameter_is<T>> in the notes.");
}
template <instance_of<wrong_number_of_inputs> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: wrong number of inputs for this step: pass one handle per parameter "
                "of the callable (a typeflow::context& parameter takes none). See "
                "wrong_number_of_inputs<step_takes<N>, but_was_given<M>> in the notes.");
}
template <instance_of<callable_has_no_fixed_signature> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: a step needs a callable with one fixed signature; a generic lambda "
                "(auto parameters) or an overloaded function object has none. Give the lambda "
                "explicit parameter types, e.g. [](const Dataset& d) { ... }. See "
                "callable_has_no_fixed_signature<Callable> in the notes.");
}
template <instance_of<argument_is_not_a_handle> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: a step input must be a handle (the result of p.step) or a parameter "
                "(the result of p.param); plain values are not edges. Declare the value with "
                "p.param<T>(\"name\", value). See argument_is_not_a_handle<argument<N>, got<T>> "
                "in the notes.");
}
template <instance_of<projection_onto_member_of_another_type> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: handle[&Class::member] selects a member of another type than the one "
                "the handle carries. See projection_onto_member_of_another_type<member_of<C>, "
                "but_the_handle_carries<T>> in the notes.");
}
template <instance_of<element_projection_on_a_non_tuple> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: handle.get<I>() selects an element of a tuple-like output; this "
                "handle's type is not tuple-like. Use handle[&Class::member] for a struct. See "
                "element_projection_on_a_non_tuple<T> in the notes.");
}
template <instance_of<tuple_element_out_of_range> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: handle.get<I>() is out of range for this tuple. See "
                "tuple_element_out_of_range<index<I>, size<N>> in the notes.");
}
template <instance_of<parameter_is_a_mutable_reference> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: a step parameter is a non-const lvalue reference; inputs may be shared "
                "with other steps. Take it by value (it is moved in when this step is its only "
                "consumer) or by const&. See parameter_is_a_mutable_reference<argument<N>, "
                "expects<P>> in the notes.");
}
template <instance_of<step_returns_a_reference> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: a step must return its output by value (or void), not a reference. "
                "See step_returns_a_reference<the_callable<F>, returns<R>> in the notes.");
}
template <instance_of<possibly_skipped_output_needs_optional> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: this input comes from a step inside a condition branch and may be "
                "skipped; the consuming step must take std::optional<T> (or select with "
                "p.first_of). See possibly_skipped_output_needs_optional<argument<N>, expects<P>, "
                "but_the_edge_carries<maybe<T>>> in the notes.");
}

template <instance_of<map_input_is_not_a_vector> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: p.map(name, fn, items, ...) runs fn once per element of `items`, "
                "which must be a handle to a std::vector. See map_input_is_not_a_vector<got<T>> "
                "in the notes.");
}
template <instance_of<run_outcome_outside_finally> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: only p.finally(...) handlers receive a typeflow::run_outcome; a step "
                "runs before the outcome is known. See run_outcome_outside_finally<...> in the "
                "notes.");
}

template <instance_of<stored_output_has_no_codec> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: this step's output type has no codec, so the run store could not save, "
                "cache or resume from it. Give the type one: adapt the struct with "
                "BOOST_HANA_DEFINE_STRUCT or BOOST_HANA_ADAPT_STRUCT (its members need codecs "
                "too), or specialise typeflow::codec<T> (see <typeflow/core/codec.hpp>). Or keep "
                "the output in memory only: p.step(typeflow::in_memory, \"name\", fn, inputs...). "
                "See stored_output_has_no_codec<returns<T>> in the notes.");
}

template <instance_of<gate_needs_a_description> D>
constexpr void diagnose(D) {
  static_assert(always_false<D>,
                "typeflow: p.require(name, h, pred) needs, after the predicate, the text a failed "
                "gate reports, e.g. p.require(\"accuracy-gate\", score, pred, \"accuracy >= "
                "0.8\"); the name is not that text. See gate_needs_a_description<got<T>> in the "
                "notes.");
}

}  // namespace detail
}  // namespace typeflow
