// The structure hash (store/structure_hash.hpp): every node and every dependency of the walk
// is part of it, so pipelines that differ only in a guard, a skip_if or an order edge hash
// apart, and the same declarations hash alike.
#include <typeflow/store/structure_hash.hpp>

#include <catch2/catch.hpp>

#include <string>

#include <graph_pipelines.hpp>

namespace tyf = typeflow;

namespace {
/// score -> two conditions on it; "x" is a step of the branch `which` picks: 1 or 2 (the
/// first or second condition), negated for its otherwise() side.
tyf::pipeline guarded(int which) {
  tyf::pipeline p{"guarded"};
  auto score = p.step("score", [] { return 3; });
  auto high = p.when(score, [](int s) { return s > 2; });
  auto odd = p.when(score, [](int s) { return s % 2 == 1; });
  auto side = which == 1 || which == -1 ? high : odd;
  if (which < 0) side = side.otherwise();
  side.step(
      "x", [](int s) { return s + 1; }, score);
  return p;
}

tyf::pipeline plain(bool skip, bool order) {
  tyf::pipeline p{"plain"};
  auto flag = p.param<bool>("flag", false);
  auto a = p.step("a", [] { return 1; });
  auto b = p.step("b", [] { return 2; });
  auto c = p.step(
      "c", [](int x) { return x; }, a);
  if (skip) c.skip_if([](bool f) { return f; }, flag);
  if (order) c.after(b);
  return p;
}
}  // namespace

TEST_CASE("the same declarations give the same structure hash, 16 hex digits") {
  auto a = tyf::test::every_dependency_pipeline();
  auto b = tyf::test::every_dependency_pipeline();
  const auto h = tyf::structure_hash(a);
  CHECK(h.size() == 16);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(tyf::structure_hash(b) == h);
  CHECK(tyf::structure_hash(*a.definition()) == h);
  CHECK(tyf::structure_hash(guarded(2)) == tyf::structure_hash(guarded(2)));
  CHECK(tyf::structure_hash(tyf::test::random_pipeline(7, 120)) ==
        tyf::structure_hash(tyf::test::random_pipeline(7, 120)));
}

TEST_CASE("the condition that guards a step is part of the structure hash") {
  // Same nodes, names, types and data edges: only the guard of "x" differs.
  CHECK(tyf::structure_hash(guarded(1)) != tyf::structure_hash(guarded(2)));
  // when vs otherwise on the same condition.
  CHECK(tyf::structure_hash(guarded(1)) != tyf::structure_hash(guarded(-1)));
  CHECK(tyf::structure_hash(guarded(2)) != tyf::structure_hash(guarded(-2)));
  CHECK(tyf::structure_hash(guarded(-1)) != tyf::structure_hash(guarded(-2)));
}

TEST_CASE("skip_if reads and order edges are part of the structure hash") {
  const auto none = tyf::structure_hash(plain(false, false));
  CHECK(tyf::structure_hash(plain(true, false)) != none);
  CHECK(tyf::structure_hash(plain(false, true)) != none);
  CHECK(tyf::structure_hash(plain(true, true)) != tyf::structure_hash(plain(true, false)));
}

TEST_CASE("a node's name, version and the pipeline's name are part of the structure hash") {
  auto with = [](const char* pipeline_name, const char* step_name, const char* version) {
    tyf::pipeline p{pipeline_name};
    auto s = p.step(step_name, [] { return 1; });
    if (*version != '\0') s.version(version);
    return tyf::structure_hash(p);
  };
  const auto base = with("p", "s", "");
  CHECK(with("p", "s", "") == base);
  CHECK(with("q", "s", "") != base);
  CHECK(with("p", "t", "") != base);
  CHECK(with("p", "s", "2") != base);
}
