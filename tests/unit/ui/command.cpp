// `prog ui` through a real process: a program built with typeflow::ui::main serves its store on
// the port it prints, answers HTTP, and ends with status 0 on Ctrl-C (SIGINT); refused options
// exit 2 with a message; a program built with plain typeflow::main says how to get `ui`.
#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ui_process.hpp"
#include <child_process.hpp>
#include <store_testing.hpp>

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {
/// The port in "typeflow: serving pipeline 'uichild' at http://127.0.0.1:PORT/ ...".
int port_in(const std::string& out) {
  const std::string at = "http://127.0.0.1:";
  const auto pos = out.find(at);
  REQUIRE(pos != std::string::npos);
  return std::stoi(out.substr(pos + at.size()));
}
}  // namespace

TEST_CASE("ui command: prog ui serves the runs prog run recorded, until Ctrl-C") {
  temp_dir dir;
  const auto store = (dir.path() / "store").string();
  {
    tyf::test::process run(dir.path(), TYPEFLOW_UI_CHILD, {"run", "--store", store});
    REQUIRE(run.finish().code == 0);
  }
  tyf::test::process ui(dir.path(), TYPEFLOW_UI_CHILD, {"ui", "--store", store, "--port", "0"});
  REQUIRE(ui.wait_for_out("Ctrl-C ends"));
  httplib::Client c("127.0.0.1", port_in(ui.out()));
  c.set_read_timeout(std::chrono::seconds(10));
  auto r = c.Get("/api/runs");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto j = nlohmann::json::parse(r->body);
  REQUIRE(j["runs"].size() == 1);
  REQUIRE(j["runs"][0]["pipeline"] == "uichild");
  REQUIRE(j["runs"][0]["status"] == "succeeded");
  r = c.Get("/api/pipeline");
  REQUIRE(r);
  REQUIRE(nlohmann::json::parse(r->body)["pipeline"] == "uichild");

#if TYPEFLOW_TEST_SIGNALS  // child_process.hpp: not under ThreadSanitizer
  ui.signal(SIGINT);
  auto end = ui.finish();
  INFO(end.err);
  REQUIRE(end.code == 0);
  REQUIRE(end.out.find("stopped serving") != std::string::npos);
#endif
}

TEST_CASE("ui command: another address without a token is refused, exit 2") {
  temp_dir dir;
  const auto store = (dir.path() / "store").string();
  tyf::test::process ui(dir.path(), TYPEFLOW_UI_CHILD,
                        {"ui", "--store", store, "--host", "0.0.0.0", "--port", "0"});
  auto end = ui.finish();
  REQUIRE(end.code == 2);
  REQUIRE(end.err.find("not a loopback address") != std::string::npos);
  tyf::test::process bad(dir.path(), TYPEFLOW_UI_CHILD, {"ui", "--port", "70000"});
  auto e2 = bad.finish();
  REQUIRE(e2.code == 2);
  REQUIRE(e2.err.find("--port") != std::string::npos);
}

TEST_CASE(
    "ui command: --open opens the page with $BROWSER; a missing browser is said, serving goes on") {
  temp_dir dir;
  const auto store = (dir.path() / "store").string();
  // A "browser" that writes the address it was given, then stays open as a browser does.
  const auto opened = dir.path() / "opened";
  const auto browser = dir.path() / "browser.sh";
  {
    std::ofstream sh(browser);
    sh << "#!/bin/sh\nprintf '%s' \"$1\" > " << opened.string() << ".tmp && mv " << opened.string()
       << ".tmp " << opened.string() << "\nexec sleep 30\n";
  }
  std::filesystem::permissions(browser, std::filesystem::perms::owner_all);
  {
    tyf::test::process ui(dir.path(), TYPEFLOW_UI_CHILD,
                          {"ui", "--store", store, "--port", "0", "--open", "--token", "s3cret"},
                          tyf::test::with_env({"BROWSER=" + browser.string() + ":firefox"}));
    REQUIRE(ui.wait_for_out("Ctrl-C ends"));
    const auto port = port_in(ui.out());
    REQUIRE(tyf::test::wait_until([&] { return std::filesystem::exists(opened); }));
    std::ifstream in(opened);
    const std::string url((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(url == "http://127.0.0.1:" + std::to_string(port) + "/?token=s3cret");
    // The server answers while the "browser" still runs.
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(10));
    c.set_bearer_token_auth("s3cret");
    auto r = c.Get("/api/runs");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  tyf::test::process none(dir.path(), TYPEFLOW_UI_CHILD,
                          {"ui", "--store", store, "--port", "0", "--open"},
                          tyf::test::with_env({"BROWSER=no-such-browser-here"}));
  REQUIRE(none.wait_for_out("Ctrl-C ends"));
  REQUIRE(none.wait_for_err(
      "'no-such-browser-here' is not a command ($BROWSER); open http://127.0.0.1:"));
  httplib::Client c("127.0.0.1", port_in(none.out()));
  c.set_read_timeout(std::chrono::seconds(10));
  auto r = c.Get("/api/runs");
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

TEST_CASE("ui command: a program without the ui layer says how to get it") {
  temp_dir dir;
  tyf::test::process plain(dir.path(), TYPEFLOW_CLI_CHILD, {"ui"});
  auto end = plain.finish();
  REQUIRE(end.code == 2);
  REQUIRE(end.err.find("built without the browser run mode") != std::string::npos);
  REQUIRE(end.err.find("typeflow::ui::main") != std::string::npos);
}
