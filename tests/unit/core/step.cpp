#include <typeflow/core/step.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

namespace tyf = typeflow;
namespace d = typeflow::detail;

namespace {
struct A {};
struct B {};
[[maybe_unused]] double f2(int, const std::string&) { return 0; }
}  // namespace

TEST_CASE("a signature is read at compile time; context parameters are not inputs") {
  auto with_ctx = [](int, tyf::context&, const A&) { return B{}; };
  using sig = d::signature<decltype(with_ctx)>;
  STATIC_REQUIRE(sig::arity == 3);
  STATIC_REQUIRE(sig::input_count == 2);
  STATIC_REQUIRE(std::is_same_v<sig::result, B>);
  STATIC_REQUIRE(std::is_same_v<sig::inputs, std::tuple<int, const A&>>);
  STATIC_REQUIRE(sig::input_index<0> == 0);
  STATIC_REQUIRE(sig::input_index<2> == 1);
  STATIC_REQUIRE(d::fixed_signature<decltype(&f2)>);
  STATIC_REQUIRE_FALSE(d::fixed_signature<decltype([](auto x) { return x; })>);
}

TEST_CASE("edges convert like function arguments, but never narrow arithmetic") {
  STATIC_REQUIRE(d::edge_convertible<int, int>);
  STATIC_REQUIRE(d::edge_convertible<float, double>);
  STATIC_REQUIRE(d::edge_convertible<int, long>);
  STATIC_REQUIRE(d::edge_convertible<int, std::optional<int>>);
  STATIC_REQUIRE(d::edge_convertible<const char*, std::string>);
  STATIC_REQUIRE_FALSE(d::edge_convertible<double, int>);
  STATIC_REQUIRE_FALSE(d::edge_convertible<long, int>);
  STATIC_REQUIRE_FALSE(d::edge_convertible<A, B>);
  STATIC_REQUIRE_FALSE(d::edge_convertible<std::string, int>);
}

TEST_CASE("each wiring mistake has its own verdict naming the argument and the types") {
  using H_int = tyf::handle<int>;
  using H_str = tyf::handle<std::string>;
  using P_str = tyf::param<std::string>;
  using F = decltype(&f2);
  STATIC_REQUIRE(std::is_same_v<decltype(d::check_step<F, H_int, H_str>()), d::ok>);
  STATIC_REQUIRE(std::is_same_v<decltype(d::check_step<F, H_int, tyf::handle<A>>()),
                                tyf::edge_type_mismatch<tyf::argument<2>, tyf::expects<std::string>,
                                                        tyf::but_the_edge_carries<A>>>);
  STATIC_REQUIRE(std::is_same_v<decltype(d::check_step<F, tyf::param<double>, P_str>()),
                                tyf::parameter_type_mismatch<tyf::argument<1>, tyf::expects<int>,
                                                             tyf::but_the_parameter_is<double>>>);
  STATIC_REQUIRE(
      std::is_same_v<decltype(d::check_step<F, H_int>()),
                     tyf::wrong_number_of_inputs<tyf::step_takes<2>, tyf::but_was_given<1>>>);
  STATIC_REQUIRE(
      std::is_same_v<decltype(d::check_step<F, H_int, H_str, H_str>()),
                     tyf::wrong_number_of_inputs<tyf::step_takes<2>, tyf::but_was_given<3>>>);
  STATIC_REQUIRE(
      std::is_same_v<decltype(d::check_step<F, H_int, std::string>()),
                     tyf::argument_is_not_a_handle<tyf::argument<2>, tyf::got<std::string>>>);
  auto generic = [](auto x) { return x; };
  STATIC_REQUIRE(
      std::is_same_v<decltype(d::check_step<decltype(generic), H_int>()),
                     tyf::callable_has_no_fixed_signature<tyf::the_callable<decltype(generic)>>>);
  auto mut = [](int&) {};
  STATIC_REQUIRE(
      std::is_same_v<decltype(d::check_step<decltype(mut), H_int>()),
                     tyf::parameter_is_a_mutable_reference<tyf::argument<1>, tyf::expects<int&>>>);
  // An edge from a step that already failed its check is accepted silently (no cascade).
  STATIC_REQUIRE(
      std::is_same_v<decltype(d::check_step<F, tyf::handle<d::poisoned>, H_str>()), d::ok>);
}
