// The JSON API's changes and reads beyond start and stop, against `prog ui` as a real child
// process (tests/helpers/ui_child.cpp), the store checked afterwards by the command line in
// another process (`prog runs --json`, `prog show --json`): retry, copy, delete and answer do
// what `prog retry`, `copy`, `delete` and `answer` do, with their messages; a start's errors
// name the form field at fault; from/to/no_cache/threads; compare with each metric's history;
// a run's ETag; a step's log as text.
#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include <child_process.hpp>
#include <store_testing.hpp>

#include "ui_process.hpp"

namespace tyf = typeflow;
using tyf::test::error_of;
using tyf::test::field_of;
using tyf::test::first_line;
using tyf::test::temp_dir;
using tyf::test::ui_process;
using tyf::test::wait_until;
using json = nlohmann::json;

namespace {

bool ended(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "stopped";
}

/// Waits until run `id` has ended; its status.
std::string wait_end(const ui_process& ui, const std::string& id) {
  std::string status;
  REQUIRE(wait_until([&] { return ended(status = ui.status(id)); }));
  return status;
}

/// Waits until the held step `train` of run `id` runs.
void wait_held(const ui_process& ui, const std::string& id) {
  REQUIRE(wait_until([&] {
    auto doc = ui.get("/api/runs/" + id);
    for (const auto& s : doc["steps"])
      if (s["name"] == "train" && s["status"] == "running") return true;
    return false;
  }));
}

std::vector<std::string> ids_of(const json& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("ui api: retry re-runs what failed, as `prog retry`; its refusals carry its messages") {
  temp_dir dir;
  ui_process ui(dir);
  const auto failed = ui.start({{"param", "fail=true"}, {"tag", "who=page"}});
  REQUIRE(wait_end(ui, failed) == "failed");
  auto r = ui.post("/api/runs/" + failed + "/retry", {}, ui.session());
  INFO(r->body);
  REQUIRE(r->status == 202);
  const auto retried = json::parse(r->body)["id"].get<std::string>();
  REQUIRE(r->get_header_value("Location") == "/runs/" + retried);
  REQUIRE(retried != failed);
  REQUIRE(wait_end(ui, retried) == "failed");  // `fail` is still true: report fails again
  const auto shown = ui.show(retried);
  REQUIRE(shown["kind"] == "retry");
  REQUIRE(shown["origin"] == failed);
  REQUIRE(shown["params"]["fail"] == "true");
  REQUIRE(shown["tags"]["who"] == "page");
  for (const auto& s : shown["steps"]) {
    if (s["name"] == "train") REQUIRE(s["status"] != "failed");
  }

  // A succeeded run has nothing to retry: 409 with the message `prog retry` gives (exit 2).
  const auto good = ui.start({{"param", "lr=0.5"}});
  REQUIRE(wait_end(ui, good) == "succeeded");
  r = ui.post("/api/runs/" + good + "/retry", {}, ui.session());
  REQUIRE(r->status == 409);
  auto cli = ui.cli({"retry", good});
  REQUIRE(cli.code == 2);
  REQUIRE(first_line(cli.err) == error_of(r));
  REQUIRE(error_of(r).find("nothing to retry") != std::string::npos);
  // An unknown run, a field retry does not take, no CSRF token: nothing is recorded.
  r = ui.post("/api/runs/nosuchrun/retry", {}, ui.session());
  REQUIRE(r->status == 404);
  REQUIRE(error_of(r).find("no run 'nosuchrun'") != std::string::npos);
  r = ui.post("/api/runs/" + failed + "/retry", {{"param", "fail=false"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("unknown field 'param'") != std::string::npos);
  REQUIRE(ui.post("/api/runs/" + failed + "/retry", {}, {})->status == 403);
  REQUIRE(ui.runs().size() == 3);
}

TEST_CASE("ui api: copy runs again with changes, as `prog copy --param`; a bad value is refused") {
  temp_dir dir;
  ui_process ui(dir);
  const auto first = ui.start({{"param", "lr=0.5"}, {"tag", "who=page"}, {"experiment", "web"}});
  REQUIRE(wait_end(ui, first) == "succeeded");
  auto r = ui.post("/api/runs/" + first + "/copy", {{"param", "lr=0.25"}}, ui.session());
  INFO(r->body);
  REQUIRE(r->status == 202);
  const auto copied = json::parse(r->body)["id"].get<std::string>();
  REQUIRE(wait_end(ui, copied) == "succeeded");
  const auto shown = ui.show(copied);
  REQUIRE(shown["kind"] == "copy");
  REQUIRE(shown["origin"] == first);
  REQUIRE(shown["params"]["lr"] == "0.25");
  REQUIRE(shown["experiment"] == "web");  // kept from the run copied, as `copy` keeps them
  REQUIRE(shown["tags"]["who"] == "page");
  REQUIRE(shown["final_metrics"]["train.loss"].get<double>() == Approx(1.0 / 1.25));

  // A bad value: 400 naming the field, with `prog copy`'s own message; nothing recorded.
  r = ui.post("/api/runs/" + first + "/copy", {{"param", "lr=5"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(field_of(r) == "param:lr");
  auto cli = ui.cli({"copy", first, "--param", "lr=5"});
  REQUIRE(cli.code == 2);
  REQUIRE(first_line(cli.err) == error_of(r));
  r = ui.post("/api/runs/" + first + "/copy", {{"tag", "novalue"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(field_of(r) == "tag");
  r = ui.post("/api/runs/" + first + "/copy", {{"only", "trian"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(field_of(r) == "only");
  REQUIRE(ui.post("/api/runs/nosuchrun/copy", {}, ui.session())->status == 404);
  REQUIRE(ui.post("/api/runs/" + first + "/copy", {}, {})->status == 403);
  REQUIRE(ui.runs().size() == 2);
}

TEST_CASE("ui api: a start's errors name the form field; from, to, no_cache and threads") {
  temp_dir dir;
  ui_process ui(dir);
  const std::vector<std::pair<httplib::Params, std::string>> bad{
      {{{"param", "lr=5"}}, "param:lr"},     {{{"param", "lr=abc"}}, "param:lr"},
      {{{"param", "nope=1"}}, "param:nope"}, {{{"param", "lr"}}, "param:lr"},
      {{{"param", "=1"}}, "param"},          {{{"tag", "novalue"}}, "tag"},
      {{{"only", "trian"}}, "only"},         {{{"from", "trian"}}, "from"},
      {{{"to", "nowhere"}}, "to"},           {{{"scene", "nosuch"}}, "scene"},
      {{{"threads", "0"}}, "threads"},       {{{"threads", "many"}}, "threads"},
      {{{"no_cache", "maybe"}}, "no_cache"},
  };
  for (const auto& [fields, field] : bad) {
    auto r = ui.post("/api/runs", fields, ui.session());
    INFO(r->body);
    REQUIRE(r->status == 400);
    REQUIRE(field_of(r) == field);
  }
  // An unknown field names no form field.
  auto r = ui.post("/api/runs", {{"colour", "red"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(field_of(r).empty());
  REQUIRE(ui.runs().empty());

  // to=train: train only (a partial run); then the cache, and no_cache=1 passing it by.
  const auto partial = ui.start({{"param", "lr=0.3"}, {"to", "train"}, {"threads", "2"}});
  REQUIRE(wait_end(ui, partial) == "succeeded");
  auto doc = ui.show(partial);
  REQUIRE(doc["kind"] == "partial");
  for (const auto& s : doc["steps"]) {
    if (s["name"] == "report") REQUIRE(s["status"] != "succeeded");
  }
  // Empty fields (a form's empty inputs) are fields not given.
  const auto uncached = ui.start({{"param", "lr=0.3"},
                                  {"no_cache", "1"},
                                  {"only", ""},
                                  {"from", ""},
                                  {"to", ""},
                                  {"scene", ""},
                                  {"tag", ""},
                                  {"threads", ""},
                                  {"param", ""},
                                  {"experiment", ""}});
  REQUIRE(wait_end(ui, uncached) == "succeeded");
  REQUIRE(ui.show(uncached)["kind"] == "run");
  const auto cached = ui.start({{"param", "lr=0.3"}, {"from", "train"}});
  REQUIRE(wait_end(ui, cached) == "succeeded");
  auto train_hit = [&](const std::string& id) {
    const auto shown = ui.show(id);
    for (const auto& s : shown["steps"])
      if (s["name"] == "train") return s["cache_hit"].get<bool>();
    FAIL("no step train");
    return false;
  };
  REQUIRE_FALSE(train_hit(uncached));
  REQUIRE(train_hit(cached));
}

TEST_CASE("ui api: delete removes a run as `prog delete` does; a live run is a 409") {
  temp_dir dir;
  ui_process ui(dir);
  const auto done = ui.start({{"param", "lr=0.5"}});
  REQUIRE(wait_end(ui, done) == "succeeded");
  const auto held = ui.start({{"param", "hold=true"}});
  wait_held(ui, held);

  auto r = ui.post("/api/runs/" + held + "/delete", {}, ui.session());
  REQUIRE(r->status == 409);
  auto cli = ui.cli({"delete", held, "--yes"});
  REQUIRE(cli.code == 2);
  REQUIRE(first_line(cli.err) == error_of(r));
  REQUIRE(ui.post("/api/runs/" + done + "/delete", {}, {})->status == 403);
  REQUIRE(ui.post("/api/runs/nosuchrun/delete", {}, ui.session())->status == 404);
  REQUIRE(ui.runs().size() == 2);

  r = ui.post("/api/runs/" + done + "/delete", {}, ui.session());
  INFO(r->body);
  REQUIRE(r->status == 200);
  const auto j = json::parse(r->body);
  REQUIRE(j["deleted"] == json::array({done}));
  REQUIRE(j["artifacts"].get<int>() >= 1);  // its outputs, which no other run references
  REQUIRE(ids_of(ui.runs()) == std::vector<std::string>{held});
  REQUIRE(ui.post("/api/runs/" + done + "/delete", {}, ui.session())->status == 404);

  REQUIRE(ui.post("/api/runs/" + held + "/stop", {}, ui.session())->status == 202);
  REQUIRE(wait_end(ui, held) == "stopped");
  REQUIRE(ui.post("/api/runs/" + held + "/delete", {}, ui.session())->status == 200);
  REQUIRE(ui.runs().empty());
}

TEST_CASE("ui api: answer gives a waiting run its delayed parameter, as `prog answer`") {
  temp_dir dir;
  ui_process ui(dir, {"UICHILD_ASK=1"});
  // A run started from the page waits, through the store, for the value of `cutoff`.
  const auto id = ui.start({{"param", "lr=0.5"}});
  REQUIRE(wait_until([&] {
    return ui.get("/api/runs/" + id)["waiting_for"].dump().find("cutoff") != std::string::npos;
  }));
  REQUIRE(ui.status(id) == "running");
  const std::vector<std::pair<std::string, std::string>> bad{
      {"cutoff=5", "param:cutoff"}, {"cutoff=abc", "param:cutoff"}, {"nope=1", "param:nope"}};
  for (const auto& [assignment, field] : bad) {
    auto r = ui.post("/api/runs/" + id + "/answer", {{"param", assignment}}, ui.session());
    INFO(assignment);
    REQUIRE(r->status == 400);
    REQUIRE(field_of(r) == field);
    auto cli = ui.cli({"answer", id, assignment}, {"UICHILD_ASK=1"});
    REQUIRE(cli.code == 2);
    REQUIRE(first_line(cli.err) == error_of(r));
  }
  auto r = ui.post("/api/runs/" + id + "/answer", {{"param", "cutoff"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("is not NAME=VALUE") != std::string::npos);
  REQUIRE(ui.post("/api/runs/" + id + "/answer", {}, ui.session())->status == 400);
  REQUIRE(ui.post("/api/runs/nosuchrun/answer", {{"param", "cutoff=0.2"}}, ui.session())->status ==
          404);
  REQUIRE(ui.post("/api/runs/" + id + "/answer", {{"param", "cutoff=0.2"}}, {})->status == 403);
  REQUIRE(ui.status(id) == "running");  // still waiting

  r = ui.post("/api/runs/" + id + "/answer", {{"param", "cutoff=0.2"}}, ui.session());
  INFO(r->body);
  REQUIRE(r->status == 200);
  REQUIRE(json::parse(r->body)["id"] == id);
  REQUIRE(wait_end(ui, id) == "succeeded");
  REQUIRE(ui.show(id)["params"]["cutoff"] == "0.2");
  // Answered and ended: the store's refusal, a 409.
  r = ui.post("/api/runs/" + id + "/answer", {{"param", "cutoff=0.3"}}, ui.session());
  REQUIRE(r->status == 409);

  // A run of `prog run` in another process (no terminal: it waits) answered from the API.
  tyf::test::process run(dir.path(), TYPEFLOW_UI_CHILD, {"run", "--store", ui.store},
                         tyf::test::with_env({"UICHILD_ASK=1"}));
  REQUIRE(run.wait_for_err("waits for parameter 'cutoff'"));
  const auto other = ui.get("/api/runs/latest")["id"].get<std::string>();
  REQUIRE(other != id);
  r = ui.post("/api/runs/" + other + "/answer", {{"param", "cutoff=0.05"}}, ui.session());
  REQUIRE(r->status == 200);
  auto end = run.finish();
  INFO(end.err);
  REQUIRE(end.code == 0);
  REQUIRE(ui.show(other)["params"]["cutoff"] == "0.05");
}

TEST_CASE("ui api: compare is `compare --json` plus each metric's history per run") {
  temp_dir dir;
  ui_process ui(dir);
  const auto a = ui.start({{"param", "lr=0.5"}});
  const auto b = ui.start({{"param", "lr=0.25"}});
  REQUIRE(wait_end(ui, a) == "succeeded");
  REQUIRE(wait_end(ui, b) == "succeeded");
  auto j = ui.get("/api/compare?run=" + a + "&run=" + b);
  auto cli = ui.cli({"compare", a, b, "--json"});
  REQUIRE(cli.code == 0);
  auto without_history = j;
  without_history.erase("history");
  REQUIRE(without_history == json::parse(cli.out));
  REQUIRE(j["runs"] == json::array({a, b}));
  const auto& loss = j["history"]["train.loss"];
  REQUIRE(loss.size() == 2);
  REQUIRE(loss[0].size() == 1);
  REQUIRE(loss[0][0]["value"].get<double>() == Approx(1.0 / 1.5));
  REQUIRE(loss[1][0]["value"].get<double>() == Approx(1.0 / 1.25));
  REQUIRE(loss[1][0].contains("index"));
  REQUIRE(loss[1][0].contains("time"));

  auto c = ui.client();
  auto r = c.Get(("/api/compare?run=" + a).c_str());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("at least two runs, got 1") != std::string::npos);
  REQUIRE(c.Get("/api/compare")->status == 400);
  r = c.Get(("/api/compare?run=" + a + "&run=nosuchrun").c_str());
  REQUIRE(r->status == 404);
  REQUIRE(error_of(r).find("nosuchrun") != std::string::npos);
}

TEST_CASE("ui api: a run's ETag; If-None-Match is a 304 until the run changes") {
  temp_dir dir;
  ui_process ui(dir);
  const auto id = ui.start({{"param", "hold=true"}});
  wait_held(ui, id);
  auto c = ui.client();
  auto r = c.Get(("/api/runs/" + id).c_str());
  REQUIRE(r->status == 200);
  const auto etag = r->get_header_value("ETag");
  REQUIRE(etag.size() == 18);
  REQUIRE(etag.front() == '"');
  // Unchanged: 304 without a body, the same ETag, also among others and weak.
  r = c.Get(("/api/runs/" + id).c_str(), httplib::Headers{{"If-None-Match", etag}});
  REQUIRE(r->status == 304);
  REQUIRE(r->body.empty());
  REQUIRE(r->get_header_value("ETag") == etag);
  r = c.Get(("/api/runs/" + id).c_str(),
            httplib::Headers{{"If-None-Match", "\"0000000000000000\", W/" + etag}});
  REQUIRE(r->status == 304);
  r = c.Get(("/api/runs/" + id).c_str(),
            httplib::Headers{{"If-None-Match", "\"0000000000000000\""}});
  REQUIRE(r->status == 200);
  // The run ends: a new document, a new ETag.
  REQUIRE(ui.post("/api/runs/" + id + "/stop", {}, ui.session())->status == 202);
  REQUIRE(wait_end(ui, id) == "stopped");
  r = c.Get(("/api/runs/" + id).c_str(), httplib::Headers{{"If-None-Match", etag}});
  REQUIRE(r->status == 200);
  REQUIRE(r->get_header_value("ETag") != etag);
  REQUIRE(json::parse(r->body)["status"] == "stopped");
}

TEST_CASE("ui api: a step's log is `prog logs` as text; unknown runs, steps and logs are 404") {
  temp_dir dir;
  ui_process ui(dir);
  const auto id = ui.start({{"param", "lr=0.5"}});
  REQUIRE(wait_end(ui, id) == "succeeded");
  auto c = ui.client();
  auto r = c.Get(("/api/runs/" + id + "/logs/train").c_str());
  REQUIRE(r->status == 200);
  REQUIRE(r->get_header_value("Content-Type") == "text/plain; charset=utf-8");
  auto cli = ui.cli({"logs", id, "train"});
  REQUIRE(cli.code == 0);
  REQUIRE(r->body == cli.out);
  REQUIRE(r->body == "lr=0.500000\n");
  r = c.Get(("/api/runs/" + id + "/logs/train?attempt=1").c_str());
  REQUIRE(r->status == 200);
  REQUIRE(r->body == cli.out);

  // No log in attempt 2, none at all for report: 404 with the first line `prog logs` prints.
  r = c.Get(("/api/runs/" + id + "/logs/train?attempt=2").c_str());
  REQUIRE(r->status == 404);
  cli = ui.cli({"logs", id, "train", "--attempt", "2"});
  REQUIRE(cli.code == 1);
  REQUIRE(first_line(cli.err) == error_of(r));
  r = c.Get(("/api/runs/" + id + "/logs/report").c_str());
  REQUIRE(r->status == 404);
  REQUIRE(error_of(r).find("wrote no log") != std::string::npos);
  r = c.Get(("/api/runs/" + id + "/logs/trian").c_str());
  REQUIRE(r->status == 404);
  REQUIRE(error_of(r).find("did you mean 'train'?") != std::string::npos);
  REQUIRE(c.Get("/api/runs/nosuchrun/logs/train")->status == 404);
  r = c.Get(("/api/runs/" + id + "/logs/train?attempt=abc").c_str());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("'abc' is not an attempt") != std::string::npos);
  REQUIRE(c.Get(("/api/runs/" + id + "/logs/train?attempt=0").c_str())->status == 400);
}
