#include <typeflow/exec/run.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

namespace tyf = typeflow;

namespace {
struct Dataset {
  std::vector<float> x;
  std::vector<int> y;
};
struct Split {
  Dataset train, test;
};
struct Model {
  std::vector<float> w;
};
struct Scores {
  double accuracy;
};
}  // namespace
// Codecs: a step's output is stored by default, so its type needs one.
BOOST_HANA_ADAPT_STRUCT(Dataset, x, y);
BOOST_HANA_ADAPT_STRUCT(Split, train, test);
BOOST_HANA_ADAPT_STRUCT(Model, w);
BOOST_HANA_ADAPT_STRUCT(Scores, accuracy);
namespace {

Dataset load() { return {{0.f, 1.f, 2.f, 3.f}, {0, 1, 0, 1}}; }
Split split(const Dataset& d) {
  Split s;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    auto& part = i % 2 == 0 ? s.train : s.test;
    part.x.push_back(d.x[i]);
    part.y.push_back(d.y[i]);
  }
  return s;
}
Model train(const Dataset& d, double lr) {
  Model m;
  for (float v : d.x) m.w.push_back(v * static_cast<float>(lr));
  return m;
}
Scores evaluate(const Model& m, const Dataset& d) {
  double sum = 0;
  for (std::size_t i = 0; i < d.x.size(); ++i) sum += m.w[i] + d.x[i];
  return {sum};
}

struct demo {
  tyf::pipeline p{"demo"};
  tyf::param<double> lr = p.param<double>("lr", 0.5);
  tyf::handle<Dataset> data = p.step("load", load);
  tyf::handle<Split> parts = p.step("split", split, data);
  tyf::handle<Model> model = p.step("train", train, parts[&Split::train], lr);
  tyf::handle<Scores> score = p.step("evaluate", evaluate, model, parts[&Split::test]);
};
}  // namespace

TEST_CASE("the README pipeline runs on threads and sequentially with the same results") {
  demo d;
  auto parallel = tyf::run(d.p);
  auto sequential = tyf::run(d.p, tyf::sequential);
  // train = {0, 2} * 0.5 = {0, 1}; test.x = {1, 3}: (0 + 1) + (1 + 3) = 5
  REQUIRE(parallel.ok());
  REQUIRE(sequential.ok());
  REQUIRE(parallel.get(d.score).accuracy == 5.0);
  REQUIRE(sequential.get(d.score).accuracy == 5.0);
  REQUIRE(parallel.steps().size() == 4);
  for (const auto* r : parallel.steps()) {
    REQUIRE(r->status == tyf::step_status::succeeded);
    REQUIRE(r->attempts == 1);
    REQUIRE(r->finished >= r->started);
    REQUIRE(r->started >= parallel.started());
    REQUIRE(r->finished <= parallel.finished());
  }
  REQUIRE(parallel.run_id() != sequential.run_id());
  REQUIRE(parallel.run_id().size() == 12);
}

TEST_CASE("parameters take their default or a parsed override") {
  demo d;
  auto r = tyf::run(d.p, tyf::run_options{}.set("lr", "2"));
  // train = {0, 2} * 2 = {0, 4}: (0 + 1) + (4 + 3) = 8
  REQUIRE(r.get(d.score).accuracy == 8.0);
  REQUIRE_THROWS_WITH(
      tyf::run(d.p, tyf::run_options{}.set("lr", "fast")),
      Catch::Contains("parameter 'lr' (double) got 'fast', expected a finite number"));
  REQUIRE_THROWS_WITH(
      tyf::run(d.p, tyf::run_options{}.set("Lr", "1")),
      Catch::Contains("unknown parameter 'Lr'") && Catch::Contains("did you mean 'lr'?"));
}

TEST_CASE("sequential runs steps in declaration order on the calling thread") {
  tyf::pipeline p{"order"};
  std::vector<std::string> seen;
  auto caller = std::this_thread::get_id();
  bool same_thread = true;
  auto log = [&](const char* name) {
    return [&, name](tyf::context&) {
      seen.emplace_back(name);
      same_thread = same_thread && std::this_thread::get_id() == caller;
    };
  };
  auto a = p.step("a", log("a"));
  auto b = p.step("b", log("b"));
  p.step("c", log("c")).after(a, b);
  p.step("d", log("d")).after(a);
  auto r = tyf::run(p, tyf::sequential);
  REQUIRE(r.ok());
  REQUIRE(seen == std::vector<std::string>{"a", "b", "c", "d"});
  REQUIRE(same_thread);
}

TEST_CASE("after() orders void steps") {
  tyf::pipeline p{"after"};
  std::atomic<int> counter{0};
  int seen_by_second = -1;
  auto first = p.step("first", [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    counter = 1;
  });
  p.step("second", [&] { seen_by_second = counter.load(); }).after(first);
  REQUIRE(tyf::run(p, tyf::run_options{}.threads(4)).ok());
  REQUIRE(seen_by_second == 1);
}

TEST_CASE("result.get explains why it has no value") {
  demo d;
  auto r = tyf::run(d.p);
  REQUIRE_THROWS_WITH(r.get(d.model),
                      Catch::Contains("output of 'train' was released after its last consumer") &&
                          Catch::Contains(".keep()"));
  auto kept = tyf::run(d.p, tyf::run_options{}.keep(d.model));
  REQUIRE(kept.get(d.model).w == std::vector<float>{0.f, 1.f});
  tyf::pipeline other{"other"};
  auto o = other.step("o", [] { return 1; });
  REQUIRE_THROWS_WITH(r.get(o), Catch::Contains("belongs to pipeline 'other'"));
  REQUIRE_THROWS_WITH(r.step("nope"), Catch::Contains("has no step 'nope'"));
  REQUIRE(r.step("train").status == tyf::step_status::succeeded);
  REQUIRE(r.step(d.model).attempts == 1);
}

TEST_CASE("keep_all keeps every output; take() moves one out") {
  demo d;
  auto r = tyf::run(d.p, tyf::run_options{}.keep_all());
  REQUIRE(r.get(d.data).x.size() == 4);
  REQUIRE(r.get(d.parts[&Split::train]).x == std::vector<float>{0.f, 2.f});
  REQUIRE(r.get(d.lr) == 0.5);
  Dataset taken = r.take(d.data);
  REQUIRE(taken.x.size() == 4);
}

TEST_CASE("an empty pipeline runs and succeeds") {
  tyf::pipeline p{"empty"};
  REQUIRE(tyf::run(p).ok());
  REQUIRE(tyf::run(p, tyf::sequential).ok());
}

TEST_CASE("a pipeline cannot change while it runs") {
  tyf::pipeline p{"busy"};
  std::atomic<bool> release{false};
  p.step("wait", [&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  auto h = tyf::run_async(p);
  REQUIRE_THROWS_WITH(p.step("more", [] {}), Catch::Contains("while a run of it is in progress"));
  release = true;
  REQUIRE(h.wait().ok());
  REQUIRE_NOTHROW(p.step("more", [] {}));
}
