// The SQLite store: where it lives, what a run records (parameters, statuses, metrics,
// artifacts), run ids ("latest", prefixes), listing with filters, and schema versions.
#include <typeflow/store.hpp>
#include <typeflow/store/detail/hash.hpp>    // hash128
#include <typeflow/store/detail/schema.hpp>  // migrations, schema_version

#include <boost/hana/define_struct.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>
#include <sqlite3.h>
#include <unistd.h>
#include <range/v3/range/conversion.hpp>

#include "store_inspection.hpp"
#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {
struct Dataset {
  BOOST_HANA_DEFINE_STRUCT(Dataset, (std::vector<double>, x), (std::string, name));
};
struct Opaque {
  int v = 0;
};

tyf::pipeline train_pipeline() {
  tyf::pipeline p{"train"};
  auto lr = p.param<double>("lr", 0.1);
  auto n = p.param<int>("n", 4);
  auto data = p.step(
      "load",
      [](int k) {
        Dataset d{{}, "rows"};
        for (int i = 0; i < k; ++i) d.x.push_back(i);
        return d;
      },
      n);
  auto model = p.step(
      "fit",
      [](const Dataset& d, double rate, tyf::context& ctx) {
        double w = 0;
        for (std::size_t epoch = 0; epoch < 3; ++epoch) {
          w += rate * static_cast<double>(d.x.size());
          ctx.log_metric("loss", 1.0 / (1.0 + w), static_cast<std::int64_t>(epoch));
        }
        return w;
      },
      data, lr);
  p.step(
      "report", [](double w, tyf::context& ctx) { ctx.log_metric("w", w); }, model);
  return p;
}
}  // namespace

TEST_CASE("a store is a directory with runs.db and artifacts/, made on first use") {
  temp_dir dir;
  auto where = dir.path() / "deep" / "store";
  tyf::store st{where};
  REQUIRE(st.path() == where);
  REQUIRE(std::filesystem::exists(where / "runs.db"));
  REQUIRE(std::filesystem::is_directory(where / "artifacts"));
  REQUIRE(st.runs().empty());
  REQUIRE_THROWS_WITH(st.resolve("latest"), Catch::Contains("has no runs yet"));
}

TEST_CASE("the default store is ./.typeflow, or $TYPEFLOW_STORE") {
  ::unsetenv("TYPEFLOW_STORE");
  REQUIRE(tyf::store::default_path() == ".typeflow");
  ::setenv("TYPEFLOW_STORE", "/tmp/elsewhere", 1);
  REQUIRE(tyf::store::default_path() == "/tmp/elsewhere");
  ::unsetenv("TYPEFLOW_STORE");
}

TEST_CASE("a run records its parameters, step statuses, metrics and artifacts") {
  temp_dir dir;
  tyf::store st{dir.path()};
  auto p = train_pipeline();
  const auto before = std::chrono::system_clock::now();
  auto r = st.run(p, tyf::store_options{}.experiment("e1").tag("data", "v2").set("lr", "0.25"));
  const auto after = std::chrono::system_clock::now();
  REQUIRE(r.ok());
  REQUIRE(r.store_errors() == 0);
  REQUIRE(r.run_id().size() == 12);
  REQUIRE(st.resolve("latest") == r.run_id());
  REQUIRE(st.resolve(r.run_id().substr(0, 10)) == r.run_id());

  auto d = st.show(r.run_id());
  REQUIRE(d.run.pipeline == "train");
  REQUIRE(d.run.status == tyf::run_status::succeeded);
  REQUIRE(d.run.experiment == "e1");
  REQUIRE(d.run.tags.at("data") == "v2");
  REQUIRE(d.run.params.at("lr") == "0.25");
  REQUIRE(d.run.params.at("n") == "4");
  REQUIRE(d.run.kind == "run");
  REQUIRE(d.run.pid == ::getpid());
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  REQUIRE(d.run.host == std::string(host));
  REQUIRE(d.run.structure_hash.size() == 16);
  REQUIRE(d.run.ended.has_value());
  // Times are the run's own (stored to the millisecond): within the call, in order.
  using std::chrono::milliseconds;
  REQUIRE(d.run.started >= before - milliseconds(1));
  REQUIRE(*d.run.ended >= d.run.started);
  REQUIRE(*d.run.ended <= after + milliseconds(1));
  for (const auto& s : d.steps) {
    INFO(s.name);
    REQUIRE(s.started.has_value());
    REQUIRE(s.ended.has_value());
    REQUIRE(*s.started >= d.run.started - milliseconds(1));
    REQUIRE(*s.ended >= *s.started);
    REQUIRE(*s.ended <= *d.run.ended + milliseconds(1));
  }
  REQUIRE(*d.step("fit")->started >= *d.step("load")->ended - milliseconds(1));  // fit reads load
  REQUIRE(d.steps.size() == 3);
  const auto* load = d.step("load");
  REQUIRE(load != nullptr);
  REQUIRE(load->status == tyf::step_status::succeeded);
  REQUIRE(load->attempts == 1);
  REQUIRE(load->artifact.has_value());
  REQUIRE(load->artifact->hash.size() == 32);
  REQUIRE(load->artifact->type == "(anonymous namespace)::Dataset");
  REQUIRE(load->artifact->size > 32);
  REQUIRE(load->artifact->codec_version == tyf::codec<Dataset>::version);
  REQUIRE(d.step("fit")->artifact->type == "double");
  REQUIRE(load->cache_key.size() == 32);
  REQUIRE(d.step("report")->artifact == std::nullopt);  // returns void
  REQUIRE(d.metrics.size() == 4);
  REQUIRE(d.metrics[0].name == "loss");
  REQUIRE(d.metrics[0].step == "fit");
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {  // the full history, with its indices
    REQUIRE(d.metrics[static_cast<std::size_t>(epoch)].name == "loss");
    REQUIRE(d.metrics[static_cast<std::size_t>(epoch)].index == epoch);
  }
  REQUIRE(d.metrics[3].name == "w");
  REQUIRE(d.metrics[3].step == "report");
  REQUIRE(d.final_metric("loss") == Approx(1.0 / (1.0 + 3.0)));
  REQUIRE(d.step("fit")->status == tyf::step_status::succeeded);
}

TEST_CASE("store.load() reads a stored output back, whole or projected") {
  temp_dir dir;
  tyf::store st{dir.path()};
  tyf::pipeline p{"load"};
  auto pair = p.step("pair", [] { return std::pair<int, std::string>{7, "seven"}; });
  p.step(
      "use", [](const std::string& s) { return s.size(); }, pair.get<1>());
  auto r = st.run(p);
  REQUIRE(r.ok());
  REQUIRE(st.load(r.run_id(), pair) == std::pair<int, std::string>{7, "seven"});
  REQUIRE(st.load("latest", pair.get<1>()) == "seven");
  REQUIRE(st.load("latest", pair.get<0>()) == 7);
}

// A stored output whose type has no codec is a compile error (tests/compile_fail/
// stored_output_without_codec.cpp); such a step is declared tyf::in_memory.
TEST_CASE("a step declared in memory runs with a store, and its output is never stored") {
  temp_dir dir;
  tyf::store st{dir.path()};
  tyf::pipeline p{"opaque"};
  std::atomic<int> ran{0};
  auto a = p.step(tyf::in_memory, "make", [&] {
    ++ran;
    return Opaque{3};
  });
  auto b = p.step(
      "use", [](const Opaque& o) { return o.v; }, a);
  REQUIRE_THROWS_MATCHES(
      a.persist(true), tyf::definition_error,
      Catch::Message("typeflow: .persist() on step 'make': its output type (anonymous "
                     "namespace)::Opaque has no codec, so the run store cannot save it (the "
                     "step is declared typeflow::in_memory)"));
  a.persist(false);  // allowed: it says what the declaration said
  auto r = st.run(p);
  REQUIRE(r.ok());
  REQUIRE(ran == 1);
  REQUIRE(r.get(b) == 3);
  auto shown = st.show(r.run_id());
  REQUIRE(shown.step("make")->artifact == std::nullopt);
  REQUIRE(shown.step("use")->artifact.has_value());
  // Not stored, so not served from the cache: a second run makes it again; its cache key
  // still identifies its value, so `use` (stored) comes from the cache.
  auto again = st.run(p);
  REQUIRE(again.ok());
  REQUIRE(ran == 2);
  REQUIRE(again.get(b) == 3);
  auto shown_again = st.show(again.run_id());
  REQUIRE(shown_again.step("make")->status == tyf::step_status::succeeded);
  REQUIRE(shown_again.step("use")->status == tyf::step_status::cached);
}

TEST_CASE("in_memory declares map, constant and branch steps too; first_of follows its inputs") {
  temp_dir dir;
  tyf::store st{dir.path()};
  tyf::pipeline p{"in-memory-forms"};
  auto items = p.constant(tyf::in_memory, "items", std::vector<Opaque>{{1}, {2}, {3}});
  auto doubled = p.map(
      tyf::in_memory, "double", [](Opaque o) { return Opaque{2 * o.v}; }, items);
  auto gate = p.when(doubled, [](const std::vector<Opaque>& v) { return v.size() == 3; });
  auto yes = gate.step(
      tyf::in_memory, "sum",
      [](const std::vector<Opaque>& v) { return Opaque{v[0].v + v[1].v + v[2].v}; }, doubled);
  auto no = gate.otherwise().step(tyf::in_memory, "none", [] { return Opaque{-1}; });
  auto picked = p.first_of(yes, no);  // Opaque has no codec: first_of is in memory as well
  auto total = p.step(
      "total", [](const Opaque& o) { return o.v; }, picked);
  const auto& d = *p.definition();
  const std::string first_of_name(picked.name());
  for (std::string_view name :
       {std::string_view("items"), std::string_view("double"), std::string_view("sum"),
        std::string_view("none"), std::string_view(first_of_name)}) {
    INFO(name);
    const auto& nd = d.nodes[d.find(name)];
    REQUIRE(nd.policy);
    CHECK_FALSE(nd.policy->persist);
  }
  CHECK_FALSE(d.nodes[d.find("total")].policy);  // stored, the default
  auto r = st.run(p);
  REQUIRE(r.ok());
  REQUIRE(r.get(total) == 12);
  auto shown = st.show(r.run_id());
  for (auto name : {"items", "double", "sum"}) {
    INFO(name);
    CHECK(shown.step(name)->status == tyf::step_status::succeeded);
    CHECK(shown.step(name)->artifact == std::nullopt);
  }
  CHECK(shown.step("none")->status == tyf::step_status::skipped);
  CHECK(shown.step("total")->artifact.has_value());
}

TEST_CASE("equal outputs are stored once; large ones as files, small ones in the database") {
  temp_dir dir;
  tyf::store_config cfg;
  cfg.inline_limit = 64;
  tyf::store st{dir.path(), cfg};
  tyf::pipeline p{"dedupe"};
  auto big1 = p.step("big1", [] { return std::vector<int>(1000, 7); });
  auto big2 = p.step("big2", [] { return std::vector<int>(1000, 7); });
  p.step(
      "small", [](const std::vector<int>& a, const std::vector<int>& b) { return a == b; }, big1,
      big2);
  auto r = st.run(p, tyf::store_options{}.no_cache());
  REQUIRE(r.ok());
  auto d = st.show(r.run_id());
  REQUIRE(d.step("big1")->artifact->hash == d.step("big2")->artifact->hash);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() / "artifacts")) {
    if (e.is_regular_file()) ++files;
  }
  REQUIRE(files == 1);  // the two equal vectors; the bool lives in runs.db
  auto path = dir.path() / "artifacts" / d.step("big1")->artifact->hash.substr(0, 2) /
              d.step("big1")->artifact->hash.substr(2);
  REQUIRE(std::filesystem::file_size(path) == d.step("big1")->artifact->size);
}

TEST_CASE("runs are listed newest first, filtered by status, experiment, tag, parameter, time") {
  temp_dir dir;
  tyf::store st{dir.path()};
  auto p = train_pipeline();
  auto before = std::chrono::system_clock::now();
  auto r1 = st.run(p, tyf::store_options{}.experiment("a").tag("k", "1").set("lr", "0.5"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto between = std::chrono::system_clock::now();
  auto r2 = st.run(p, tyf::store_options{}.experiment("b").tag("k", "2").set("lr", "0.5"));
  tyf::pipeline failing{"failing"};
  failing.step("boom", []() -> int { throw std::runtime_error("no"); });
  auto r3 = st.run(failing, tyf::store_options{}.experiment("a"));
  REQUIRE(r3.status() == tyf::run_status::failed);

  auto all = st.runs();
  REQUIRE(all.size() == 3);
  REQUIRE(all[0].id == r3.run_id());
  REQUIRE(all[2].id == r1.run_id());
  REQUIRE(st.runs(tyf::run_query{}.status(tyf::run_status::failed)).size() == 1);
  REQUIRE(st.runs(tyf::run_query{}.experiment("a")).size() == 2);
  REQUIRE(st.runs(tyf::run_query{}.tag("k", "2")).front().id == r2.run_id());
  REQUIRE(st.runs(tyf::run_query{}.param("lr", "0.5")).size() == 2);
  REQUIRE(st.runs(tyf::run_query{}.param("lr", "0.1")).empty());
  REQUIRE(st.runs(tyf::run_query{}.pipeline("failing")).size() == 1);
  REQUIRE(st.runs(tyf::run_query{}.since(before)).size() == 3);
  REQUIRE(st.runs(tyf::run_query{}.since(between)).size() == 2);
  REQUIRE(st.runs(tyf::run_query{}.until(between)).front().id == r1.run_id());
  REQUIRE(st.runs(tyf::run_query{}.until(before - std::chrono::hours(1))).empty());
  REQUIRE(st.runs(tyf::run_query{}.limit(2)).size() == 2);
  // Pages: offset leaves out the newest runs, with or without a limit.
  auto page = st.runs(tyf::run_query{}.limit(2).offset(1));
  REQUIRE(page.size() == 2);
  REQUIRE(page[0].id == r2.run_id());
  REQUIRE(page[1].id == r1.run_id());
  REQUIRE(st.runs(tyf::run_query{}.offset(2)).front().id == r1.run_id());
  REQUIRE(st.runs(tyf::run_query{}.offset(3)).empty());
  REQUIRE(st.runs(tyf::run_query{}.experiment("a").offset(1)).size() == 1);
  auto show = st.show(r3.run_id());
  REQUIRE(show.step("boom")->status == tyf::step_status::failed);
  REQUIRE(show.step("boom")->message == "no");

  // range-v3 adaptors over the listed runs.
  auto listed = st.runs();
  auto failed_ids = listed | tyf::run_views::with_status(tyf::run_status::succeeded) |
                    tyf::run_views::tagged("k", "1") | tyf::run_views::ids() |
                    ranges::to<std::vector<std::string>>();
  REQUIRE(failed_ids == std::vector<std::string>{r1.run_id()});
  auto in_a = listed | tyf::run_views::in_experiment("a") |
              tyf::run_views::with_param("lr", "0.5") | tyf::run_views::ids() |
              ranges::to<std::vector<std::string>>();
  REQUIRE(in_a == std::vector<std::string>{r1.run_id()});
}

TEST_CASE("runs.db is in WAL mode, and names and values go to SQL as bound parameters") {
  temp_dir dir;
  {
    tyf::store st{dir.path()};
    auto p = train_pipeline();
    const std::string odd = "o'brien\"; DROP TABLE runs; --";
    auto r = st.run(p, tyf::store_options{}.experiment(odd).tag("k'%", "v_%;").set("lr", "0.5"));
    REQUIRE(r.ok());
    REQUIRE(st.runs(tyf::run_query{}.experiment(odd)).size() == 1);
    REQUIRE(st.runs(tyf::run_query{}.experiment("o%")).empty());  // no LIKE, no quoting games
    REQUIRE(st.runs(tyf::run_query{}.experiment("o'brien")).empty());
    REQUIRE(st.runs(tyf::run_query{}.tag("k'%", "v_%;")).size() == 1);
    REQUIRE(st.runs(tyf::run_query{}.tag("k'%", "v")).empty());
    REQUIRE(st.runs(tyf::run_query{}.tag("k__", "v_%;")).empty());
    auto d = st.show(r.run_id());
    REQUIRE(d.run.experiment == odd);
    REQUIRE(d.run.tags.at("k'%") == "v_%;");
    REQUIRE(st.runs().size() == 1);  // the table is still there
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "runs.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  std::string mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  REQUIRE(mode == "wal");
}

TEST_CASE("run ids: a unique prefix names a run; an ambiguous or unknown one is an error") {
  temp_dir dir;
  tyf::store st{dir.path()};
  auto p = train_pipeline();
  auto a = st.run(p);
  auto b = st.run(p);
  REQUIRE(st.resolve(a.run_id()) == a.run_id());
  REQUIRE_THROWS_WITH(st.resolve(""), Catch::Contains("is not a run id"));
  REQUIRE_THROWS_WITH(st.resolve("ZZ%"), Catch::Contains("is not a run id"));
  REQUIRE_THROWS_WITH(st.resolve("zzzzzz"), Catch::Contains("no run 'zzzzzz'"));
  // Ids made within a few seconds share their first characters.
  REQUIRE_THROWS_WITH(st.resolve(a.run_id().substr(0, 3)), Catch::Contains("is ambiguous"));
  // The shortest prefix of each that the other does not share names it (a range of the
  // primary key, then the exact test: store::resolve).
  std::size_t common = 0;
  while (a.run_id()[common] == b.run_id()[common]) ++common;
  REQUIRE(st.resolve(a.run_id().substr(0, common + 1)) == a.run_id());
  REQUIRE(st.resolve(b.run_id().substr(0, common + 1)) == b.run_id());
  REQUIRE(st.resolve(b.run_id()) == b.run_id());
  char other = 'z';  // a character neither id has there
  while (other == a.run_id()[common] || other == b.run_id()[common]) --other;
  REQUIRE_THROWS_WITH(st.resolve(a.run_id().substr(0, common) + other), Catch::Contains("no run"));
}

TEST_CASE("the schema has a version; a store from a newer typeflow is refused") {
  temp_dir dir;
  { tyf::store st{dir.path()}; }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "runs.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  REQUIRE_THROWS_WITH(tyf::store{dir.path()}, Catch::Contains("schema version 99, newer than"));
}

TEST_CASE("the free run() opens the store named in the options") {
  temp_dir dir;
  auto p = train_pipeline();
  auto r = tyf::run(p, tyf::store_options{}.store(dir.path() / "s").experiment("free"));
  REQUIRE(r.ok());
  tyf::store st{dir.path() / "s"};
  REQUIRE(st.runs().front().experiment == "free");
}

TEST_CASE("opening a store made with an older schema migrates it, keeping its runs") {
  temp_dir dir;
  tyf::test::old_store(dir.path(), 1,
                       "INSERT INTO runs (id, pipeline, structure_hash, status, started, ended, "
                       "host, pid, heartbeat) VALUES ('000000000old', 'x', 'h', 'succeeded', 1, 2, "
                       "'h', 1, 2)");
  tyf::store st{dir.path()};
  REQUIRE(st.show("000000000old").run.status == tyf::run_status::succeeded);
  REQUIRE(tyf::test::number(dir.path(), "SELECT version FROM schema_version") ==
          tyf::store_detail::schema_version);
}

TEST_CASE("a large output is hashed and written from its own memory: the file is its encoding") {
  temp_dir dir;
  tyf::store st{dir.path()};
  tyf::pipeline p{"large"};
  std::atomic<int> made{0};
  auto big =
      p.step("make", [&made] {
         ++made;
         Dataset d{std::vector<double>(200000), "big"};  // 1.6 MB of doubles: referred, not copied
         for (std::size_t i = 0; i < d.x.size(); ++i) d.x[i] = static_cast<double>(i) * 0.5;
         return d;
       }).keep();
  p.step(
      "sum", [](const Dataset& d) { return d.x.back(); }, big);
  auto r = st.run(p);
  REQUIRE(r.ok());
  REQUIRE(r.store_errors() == 0);
  const auto expected = tyf::encode(r.get(big));
  auto a = *st.show(r.run_id()).step("make")->artifact;
  REQUIRE(a.hash == tyf::store_detail::hash128(expected));
  REQUIRE(a.size == expected.size());
  auto path = dir.path() / "artifacts" / a.hash.substr(0, 2) / a.hash.substr(2);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() == expected.size());
  REQUIRE(std::memcmp(file.data(), expected.data(), file.size()) == 0);
  REQUIRE(st.load(r.run_id(), big).x == r.get(big).x);
  auto again = st.run(p);
  REQUIRE(again.step("make").status == tyf::step_status::cached);
  REQUIRE(made == 1);
}

TEST_CASE("a large output that cannot be written is reported, its step not cached, the run ok") {
  temp_dir dir;
  tyf::store st{dir.path()};
  // The artifacts' temporary directory replaced by a file: every artifact write fails.
  const auto tmp = dir.path() / "artifacts" / "tmp";
  std::filesystem::remove_all(tmp);
  std::ofstream(tmp) << "not a directory";
  tyf::pipeline p{"unwritable"};
  std::atomic<int> made{0};
  p.step("make", [&made] {
    ++made;
    return std::vector<float>(100000, 1.0f);
  });
  auto r = st.run(p);
  REQUIRE(r.ok());
  REQUIRE(r.store_errors() == 1);  // reported once (by the writer, which tried again)
  REQUIRE_THAT(r.first_store_error(), Catch::Contains("cannot create") && Catch::Contains("tmp"));
  REQUIRE_FALSE(st.show(r.run_id()).step("make")->artifact.has_value());
  std::filesystem::remove(tmp);
  std::filesystem::create_directories(tmp);
  auto again = st.run(p);
  REQUIRE(again.step("make").status == tyf::step_status::succeeded);  // not served from a lost file
  REQUIRE(again.store_errors() == 0);
  REQUIRE(made == 2);
  REQUIRE(st.show(again.run_id()).step("make")->artifact.has_value());
}

TEST_CASE("a run the store does not have is an unknown_run_error; other store errors are not") {
  temp_dir dir;
  tyf::store st{dir.path()};
  REQUIRE_THROWS_AS(st.resolve("latest"), tyf::store_error);  // no runs yet: not about a run id
  try {
    (void)st.resolve("latest");
  } catch (const tyf::unknown_run_error&) {
    FAIL("an empty store is not an unknown run");
  } catch (const tyf::store_error&) {
  }
  tyf::pipeline p{"known"};
  p.step("one", [] { return 1; });
  const auto id = st.run(p).run_id();
  REQUIRE_THROWS_AS(st.resolve("zzzzzz"), tyf::unknown_run_error);
  REQUIRE_THROWS_AS(st.resolve("not an id"), tyf::unknown_run_error);
  REQUIRE_THROWS_AS(st.show("zzzzzzzzzzzz"), tyf::unknown_run_error);
  REQUIRE(st.resolve(id.substr(0, 6)) == id);
}
