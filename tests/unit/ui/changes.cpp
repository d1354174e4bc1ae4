// Changing state through the browser run mode, against `prog ui` as a real child process
// (tests/helpers/ui_child.cpp): a session and its CSRF token, POSTs refused without them or
// from another origin, a bad parameter refused with the command line's own message and nothing
// recorded, a run started from the API seen by `prog runs` in another process, a held run
// stopped from the API, and Ctrl-C on `prog ui` stopping the run it started.
#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include <child_process.hpp>
#include <store_testing.hpp>

#include "ui_process.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;
using tyf::test::ui_process;
using tyf::test::wait_until;
using json = nlohmann::json;
using tyf::test::error_of;

TEST_CASE("ui changes: a session's CSRF token and the own origin are required to POST") {
  temp_dir dir;
  ui_process ui(dir);
  // The same session keeps its token and gets no new cookie.
  auto again = ui.client().Get("/api/session", httplib::Headers{{"Cookie", ui.cookie}});
  REQUIRE(json::parse(again->body)["csrf"] == ui.csrf);
  REQUIRE(again->get_header_value("Set-Cookie").empty());

  const httplib::Params fields{{"param", "lr=0.5"}};
  auto r = ui.post("/api/runs", fields, {});
  REQUIRE(r->status == 403);
  REQUIRE(error_of(r).find("no session") != std::string::npos);
  r = ui.post("/api/runs", fields, {{"Cookie", ui.cookie}});
  REQUIRE(r->status == 403);
  REQUIRE(error_of(r).find("CSRF token") != std::string::npos);
  r = ui.post("/api/runs", fields, {{"Cookie", ui.cookie}, {"X-CSRF-Token", "0" + ui.csrf}});
  REQUIRE(r->status == 403);
  r = ui.post("/api/runs", fields,
              {{"Cookie", "typeflow_session=forged"}, {"X-CSRF-Token", ui.csrf}});
  REQUIRE(r->status == 403);
  auto other = ui.session();
  other.emplace("Origin", "http://evil.example");
  r = ui.post("/api/runs", fields, other);
  REQUIRE(r->status == 403);
  REQUIRE(error_of(r).find("another origin ('http://evil.example')") != std::string::npos);
  auto referred = ui.session();
  referred.emplace("Referer", "http://evil.example/page");
  REQUIRE(ui.post("/api/runs", fields, referred)->status == 403);
  // The token as a form field does as well as the header, from the page's own origin.
  auto own = httplib::Headers{{"Cookie", ui.cookie},
                              {"Origin", "http://127.0.0.1:" + std::to_string(ui.port)}};
  r = ui.post("/api/runs", {{"param", "lr=0.5"}, {"csrf", ui.csrf}}, own);
  INFO(r->body);
  REQUIRE(r->status == 202);
  // Only that one run was recorded.
  REQUIRE(ui.get("/api/runs")["runs"].size() == 1);
}

TEST_CASE("ui changes: a bad parameter is a 400 with --param's message, and nothing is recorded") {
  temp_dir dir;
  ui_process ui(dir);
  for (const std::string bad : {"lr=5", "lr=abc", "nope=1", "lr"}) {
    auto r = ui.post("/api/runs", {{"param", bad}}, ui.session());
    REQUIRE(r->status == 400);
    const auto message = error_of(r);
    // The command line refuses the same value with the same first line (exit 2).
    tyf::test::process cli(dir.path(), TYPEFLOW_UI_CHILD,
                           {"run", "--store", (dir.path() / "other").string(), "--param", bad});
    auto end = cli.finish();
    REQUIRE(end.code == 2);
    INFO(bad);
    REQUIRE(end.err.substr(0, end.err.find('\n')) == message);
  }
  auto r = ui.post("/api/runs", {{"tag", "novalue"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("KEY=VALUE") != std::string::npos);
  r = ui.post("/api/runs", {{"colour", "red"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("unknown field 'colour'") != std::string::npos);
  r = ui.post("/api/runs", {{"only", "trian"}}, ui.session());
  REQUIRE(r->status == 400);
  REQUIRE(error_of(r).find("unknown step 'trian'") != std::string::npos);
  REQUIRE(ui.get("/api/runs")["runs"].empty());
}

TEST_CASE("ui changes: a run started from the API is in the store `prog runs` reads") {
  temp_dir dir;
  ui_process ui(dir);
  const auto id = ui.start({{"param", "lr=0.5"}, {"tag", "who=page"}, {"experiment", "web"}});
  REQUIRE(wait_until([&] { return ui.status(id) == "succeeded"; }));
  auto doc = ui.get("/api/runs/" + id);
  REQUIRE(doc["params"]["lr"] == "0.5");
  REQUIRE(doc["tags"]["who"] == "page");
  REQUIRE(doc["experiment"] == "web");
  REQUIRE(doc["final_metrics"]["train.loss"].get<double>() == Approx(1.0 / 1.5));

  tyf::test::process runs(dir.path(), TYPEFLOW_UI_CHILD, {"runs", "--store", ui.store, "--json"});
  auto end = runs.finish();
  REQUIRE(end.code == 0);
  auto listed = json::parse(end.out);
  REQUIRE(listed["runs"].size() == 1);
  REQUIRE(listed["runs"][0]["id"] == id);
}

TEST_CASE("ui changes: stop a held run from the API; stopping it again is a 409") {
  temp_dir dir;
  ui_process ui(dir);
  const auto id = ui.start({{"param", "hold=true"}});
  REQUIRE(wait_until([&] {
    auto doc = ui.get("/api/runs/" + id);
    for (const auto& s : doc["steps"])
      if (s["name"] == "train" && s["status"] == "running") return true;
    return false;
  }));
  REQUIRE(ui.status(id) == "running");
  auto r = ui.post("/api/runs/" + id + "/stop", {}, ui.session());
  INFO(r->body);
  REQUIRE(r->status == 202);
  REQUIRE(wait_until([&] { return ui.status(id) == "stopped"; }));
  r = ui.post("/api/runs/" + id + "/stop", {}, ui.session());
  REQUIRE(r->status == 409);
  REQUIRE(error_of(r).find("not running") != std::string::npos);
  r = ui.post("/api/runs/nosuchrun/stop", {}, ui.session());
  REQUIRE(r->status == 404);
  REQUIRE(ui.post("/api/runs/" + id + "/stop", {}, {})->status == 403);
}

#if TYPEFLOW_TEST_SIGNALS  // child_process.hpp: not under ThreadSanitizer
TEST_CASE("ui changes: Ctrl-C on prog ui stops the run it started, then it exits 0") {
  temp_dir dir;
  ui_process ui(dir);
  const auto id = ui.start({{"param", "hold=true"}});
  REQUIRE(wait_until([&] { return ui.status(id) == "running"; }));
  ui.proc.signal(SIGINT);
  auto end = ui.proc.finish();
  INFO(end.err);
  REQUIRE(end.code == 0);
  REQUIRE(
      end.err.find("typeflow: stopping the server and its runs (Ctrl-C again to quit at once)") !=
      std::string::npos);
  tyf::test::process show(dir.path(), TYPEFLOW_UI_CHILD,
                          {"show", id, "--store", ui.store, "--json"});
  auto shown = show.finish();
  REQUIRE(shown.code == 0);
  REQUIRE(json::parse(shown.out)["status"] == "stopped");
}
#endif

TEST_CASE("ui changes: a POST body that is not a form is refused (415), never ignored") {
  // httplib reads fields only from an application/x-www-form-urlencoded body: a JSON or
  // multipart body's fields were dropped, and the run started with the defaults (202).
  temp_dir dir;
  ui_process ui(dir);
  auto c = ui.client();
  auto r = c.Post("/api/runs", ui.session(), R"({"param": "lr=0.5"})", "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 415);
  REQUIRE(error_of(r).find("application/json") != std::string::npos);
  REQUIRE(error_of(r).find("application/x-www-form-urlencoded") != std::string::npos);
  httplib::MultipartFormDataItems items{{"param", "lr=0.5", "", ""}};
  r = c.Post("/api/runs", ui.session(), items);
  REQUIRE(r);
  REQUIRE(r->status == 415);
  REQUIRE(error_of(r).find("multipart/form-data") != std::string::npos);
  r = c.Post("/api/runs", ui.session(), "param=lr%3D0.5", "text/plain");
  REQUIRE(r->status == 415);
  REQUIRE(ui.get("/api/runs")["runs"].empty());
  // A form (the page's), a form with its charset, and no body at all are fine.
  r = c.Post("/api/runs", ui.session(), "param=lr%3D0.5",
             "application/x-www-form-urlencoded;charset=UTF-8");
  REQUIRE(r->status == 202);
  const auto id = json::parse(r->body)["id"].get<std::string>();
  REQUIRE(ui.get("/api/runs/" + id)["params"]["lr"] == "0.5");
  REQUIRE(wait_until([&] { return ui.status(id) == "succeeded"; }));
  REQUIRE(c.Post("/api/runs", ui.session())->status == 202);
}

TEST_CASE("ui changes: a run whose process died while the server serves shows interrupted") {
  // The store marks dead runs interrupted when it is opened (recover()): `prog runs` in a new
  // process does; the server's store, opened once, showed such a run running for ever (its
  // page polling, its stop answered 202 and nothing done).
  temp_dir dir;
  ui_process ui(dir);
  tyf::test::process run(dir.path(), TYPEFLOW_UI_CHILD,
                         {"run", "--store", ui.store, "--param", "hold=true"});
  std::string id;
  REQUIRE(wait_until([&] {
    auto runs = ui.get("/api/runs")["runs"];
    if (runs.size() != 1 || runs[0]["status"] != "running") return false;
    id = runs[0]["id"].get<std::string>();
    return true;
  }));
  run.signal(SIGKILL);
  REQUIRE(run.wait() == 128 + SIGKILL);
  REQUIRE(wait_until([&] { return ui.status(id) == "interrupted"; }));
  REQUIRE(ui.get("/api/runs")["runs"][0]["status"] == "interrupted");
  auto r = ui.post("/api/runs/" + id + "/stop", {}, ui.session());
  REQUIRE(r->status == 409);
  REQUIRE(error_of(r).find("not running") != std::string::npos);
}

TEST_CASE(
    "ui changes: a page served over https by a reverse proxy may POST (Origin https://HOST)") {
  // docs/ui.md puts the server behind a TLS reverse proxy off one machine: the browser then
  // sends Origin https://HOST, which was refused as another origin (every button failed).
  temp_dir dir;
  ui_process ui(dir);
  const auto host = "127.0.0.1:" + std::to_string(ui.port);
  auto h = ui.session();
  h.emplace("Origin", "https://" + host);
  auto r = ui.post("/api/runs", {{"param", "lr=0.5"}}, h);
  INFO(r->body);
  REQUIRE(r->status == 202);
  const auto id = json::parse(r->body)["id"].get<std::string>();
  REQUIRE(wait_until([&] { return ui.status(id) == "succeeded"; }));
  auto referred = ui.session();
  referred.emplace("Referer", "https://" + host + "/runs/new");
  REQUIRE(ui.post("/api/runs", {{"param", "lr=0.5"}}, referred)->status == 202);
  // Another host, or another scheme than http and https, is still another origin.
  for (const auto& other : {std::string("https://evil.example"),
                            "https://" + host + ".evil.example", "ftp://" + host}) {
    auto o = ui.session();
    o.emplace("Origin", other);
    INFO(other);
    REQUIRE(ui.post("/api/runs", {{"param", "lr=0.5"}}, o)->status == 403);
  }
}
