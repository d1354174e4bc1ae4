// Caching: a step whose cache key (name, version, output type and codec version, the content
// of its inputs, the parameters it reads) is known is served from the store without running.
#include <typeflow/store.hpp>

#include <catch2/catch.hpp>

#include <fstream>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {
struct counters {
  std::atomic<int> a{0}, b{0}, c{0}, d{0};
};

/// a(seed) -> b(a, scale) -> c(b);  d(a) reads a too.
struct diamond {
  tyf::pipeline p{"diamond"};
  tyf::handle<int> a, b, c, d;
  explicit diamond(counters& n) {
    auto seed = p.param<int>("seed", 1);
    auto scale = p.param<int>("scale", 10);
    a = p.step(
        "a",
        [&n](int s) {
          ++n.a;
          return s + 1;
        },
        seed);
    b = p.step(
        "b",
        [&n](int x, int k) {
          ++n.b;
          return x * k;
        },
        a, scale);
    c = p.step(
        "c",
        [&n](int x) {
          ++n.c;
          return x - 1;
        },
        b);
    d = p.step(
        "d",
        [&n](int x) {
          ++n.d;
          return x * 100;
        },
        a);
  }
};
}  // namespace

TEST_CASE("a second run of the same pipeline is served from the cache") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counters n;
  diamond g{n};
  auto first = st.run(g.p);
  REQUIRE(first.ok());
  REQUIRE(first.get(g.c) == 19);
  auto second = st.run(g.p);
  REQUIRE(second.ok());
  REQUIRE(n.a == 1);
  REQUIRE(n.b == 1);
  REQUIRE(n.c == 1);
  REQUIRE(n.d == 1);
  REQUIRE(second.get(g.c) == 19);  // sinks come back from the cache
  REQUIRE(second.get(g.d) == 200);
  REQUIRE(second.step("a").status == tyf::step_status::cached);
  auto shown = st.show(second.run_id());
  for (const auto& s : shown.steps) {
    REQUIRE(s.status == tyf::step_status::cached);
    REQUIRE(s.cache_hit);
    REQUIRE(s.artifact.has_value());
  }
  REQUIRE(shown.step("c")->artifact->hash == st.show(first.run_id()).step("c")->artifact->hash);
  // Another store object (another process, say) sees the same cache.
  tyf::store other{dir.path()};
  REQUIRE(other.run(g.p).step("c").status == tyf::step_status::cached);
  REQUIRE(n.c == 1);
}

TEST_CASE("a parameter change re-runs exactly the steps that read it and what follows") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counters n;
  diamond g{n};
  REQUIRE(st.run(g.p).ok());
  auto r = st.run(g.p, tyf::store_options{}.set("scale", "3"));
  REQUIRE(r.get(g.c) == 5);
  REQUIRE(n.a == 1);
  REQUIRE(n.b == 2);
  REQUIRE(n.c == 2);
  REQUIRE(n.d == 1);
  // Back to the first value: everything is cached again.
  REQUIRE(st.run(g.p).get(g.c) == 19);
  REQUIRE(n.b == 2);
}

TEST_CASE("a step's version is part of its key; equal outputs keep downstream cached") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counters n;
  diamond g{n};
  REQUIRE(st.run(g.p).ok());
  g.b.version("2");
  auto r = st.run(g.p);
  REQUIRE(r.ok());
  REQUIRE(n.b == 2);  // its code changed: it runs again
  REQUIRE(n.c == 1);  // its output did not: c's key (the content of its input) is unchanged
  REQUIRE(r.step("c").status == tyf::step_status::cached);
}

TEST_CASE("the step's name and its output type are part of its key") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> runs{0};
  auto make = [&](const char* name, auto value) {
    tyf::pipeline p{"keys"};
    auto seed = p.param<int>("seed", 1);
    p.step(
        name,
        [&runs, value](int s) {
          ++runs;
          return static_cast<decltype(value)>(s) + value;
        },
        seed);
    return p;
  };
  auto as_int = make("make", 6);
  REQUIRE(st.run(as_int).ok());
  REQUIRE(st.run(as_int).step("make").status == tyf::step_status::cached);
  REQUIRE(runs == 1);
  auto as_long = make("make", 6LL);  // the same name, inputs and parameters; another type
  auto r = st.run(as_long);
  REQUIRE(r.step("make").status == tyf::step_status::succeeded);
  REQUIRE(runs == 2);
  auto renamed = make("make2", 6);  // the same code under another name
  REQUIRE(st.run(renamed).step("make2").status == tyf::step_status::succeeded);
  REQUIRE(runs == 3);
  REQUIRE(st.run(as_int).step("make").status == tyf::step_status::cached);
  REQUIRE(runs == 3);
}

TEST_CASE("cache(false) on a step and no_cache() on a run make steps run") {
  temp_dir dir;
  tyf::store st{dir.path()};
  counters n;
  diamond g{n};
  REQUIRE(st.run(g.p).ok());
  g.a.cache(false);
  auto r = st.run(g.p);
  REQUIRE(n.a == 2);
  REQUIRE(n.b == 1);  // a made the same output again
  REQUIRE(r.step("b").status == tyf::step_status::cached);
  g.a.cache(true);
  auto all = st.run(g.p, tyf::store_options{}.no_cache());
  REQUIRE(all.ok());
  REQUIRE(n.a == 3);
  REQUIRE(n.b == 2);
  REQUIRE(n.c == 2);
  REQUIRE(n.d == 2);
}

TEST_CASE("projected inputs are keyed by the part they read") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> firsts{0}, seconds{0};
  tyf::pipeline p{"parts"};
  auto x = p.param<int>("x", 1);
  auto y = p.param<int>("y", 2);
  auto pair = p.step(
      "pair",
      [](int a, int b) {
        return std::pair<int, int>{a, b};
      },
      x, y);
  p.step(
      "first",
      [&](int v) {
        ++firsts;
        return v;
      },
      pair.get<0>());
  p.step(
      "second",
      [&](int v) {
        ++seconds;
        return v;
      },
      pair.get<1>());
  REQUIRE(st.run(p).ok());
  auto d = st.show("latest");
  REQUIRE(d.step("first")->cache_key != d.step("second")->cache_key);
  // pair's content changes, so both parts are read from a new artifact: both run again.
  REQUIRE(st.run(p, tyf::store_options{}.set("y", "5")).ok());
  REQUIRE(firsts == 2);
  REQUIRE(seconds == 2);
  REQUIRE(st.run(p, tyf::store_options{}.set("y", "5")).ok());
  REQUIRE(firsts == 2);
  REQUIRE(seconds == 2);
}

TEST_CASE("outputs kept out of the store still give their consumers a cache key") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> made{0}, used{0};
  tyf::pipeline p{"unstored"};
  auto a = p.step("a", [&] {
    ++made;
    return 5;
  });
  a.persist(false);
  p.step(
      "b",
      [&](int v) {
        ++used;
        return v * 2;
      },
      a);
  REQUIRE(st.run(p).ok());
  auto r = st.run(p);
  REQUIRE(made == 2);  // nothing to restore it from
  REQUIRE(used == 1);  // its key stands for its output
  REQUIRE(r.step("b").status == tyf::step_status::cached);
  // An unstored output of a step that may differ from run to run gives no key at all.
  a.cache(false);
  REQUIRE(st.run(p).ok());
  REQUIRE(used == 2);
  REQUIRE(st.show("latest").step("b")->cache_key.empty());
}

TEST_CASE("a damaged artifact is a cache miss, not a failure") {
  temp_dir dir;
  tyf::store_config cfg;
  cfg.inline_limit = 0;  // every artifact a file
  tyf::store st{dir.path(), cfg};
  std::atomic<int> runs{0};
  tyf::pipeline p{"damaged"};
  p.step("a", [&] {
    ++runs;
    return std::string(100, 'x');
  });
  auto first = st.run(p);
  auto hash = st.show(first.run_id()).step("a")->artifact->hash;
  auto file = dir.path() / "artifacts" / hash.substr(0, 2) / hash.substr(2);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('y');
  }
  auto second = st.run(p);
  REQUIRE(second.ok());
  REQUIRE(runs == 2);
  REQUIRE(second.step("a").status == tyf::step_status::succeeded);
}

TEST_CASE("void steps are cached by key") {
  temp_dir dir;
  tyf::store st{dir.path()};
  std::atomic<int> runs{0};
  tyf::pipeline p{"void"};
  auto a = p.step("a", [] { return 1; });
  p.step(
      "sink", [&](int) { ++runs; }, a);
  REQUIRE(st.run(p).ok());
  auto r = st.run(p);
  REQUIRE(runs == 1);
  REQUIRE(r.step("sink").status == tyf::step_status::cached);
}
