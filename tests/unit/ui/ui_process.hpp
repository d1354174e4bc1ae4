#pragma once
// `prog ui` as a real child process (tests/helpers/ui_child.cpp) on a free port, with a client
// holding a browser session (cookie and CSRF token): shared by the tests of tests/unit/ui that
// change state through the API.
#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <child_process.hpp>
#include <store_testing.hpp>

namespace typeflow::test {

/// Polls `ready` (every 10 ms) until it holds; false after `bound`.
inline bool wait_until(const std::function<bool()>& ready,
                       std::chrono::seconds bound = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready();
}

inline process_options with_env(std::vector<std::string> env) {
  process_options o;
  o.env = std::move(env);
  return o;
}

/// `prog ui` on a free port over `dir`/store, and a client with a session.
struct ui_process {
  temp_dir& dir;
  std::string store = (dir.path() / "store").string();
  process proc;
  int port = 0;
  std::string cookie, csrf;

  /// `env`: added to the child's environment (UICHILD_ASK=1: a delayed parameter).
  explicit ui_process(temp_dir& d, std::vector<std::string> env = {})
      : dir(d), proc(d.path(), TYPEFLOW_UI_CHILD, {"ui", "--store", store, "--port", "0"},
                     with_env(std::move(env))) {
    REQUIRE(proc.wait_for_out("Ctrl-C ends"));
    const std::string at = "http://127.0.0.1:";
    const auto out = proc.out();
    port = std::stoi(out.substr(out.find(at) + at.size()));
    auto c = client();
    auto r = c.Get("/api/session");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const auto set = r->get_header_value("Set-Cookie");
    REQUIRE(set.rfind("typeflow_session=", 0) == 0);
    REQUIRE(set.find("HttpOnly") != std::string::npos);
    REQUIRE(set.find("SameSite=Strict") != std::string::npos);
    cookie = set.substr(0, set.find(';'));
    csrf = nlohmann::json::parse(r->body)["csrf"].get<std::string>();
    REQUIRE(csrf.size() == 32);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(30));
    return c;
  }
  httplib::Headers session() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
  nlohmann::json get(const std::string& path) const {
    auto r = client().Get(path.c_str());
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    return nlohmann::json::parse(r->body);
  }
  httplib::Result post(const std::string& path, const httplib::Params& fields,
                       const httplib::Headers& headers) const {
    return client().Post(path.c_str(), headers, fields);
  }
  std::string start(const httplib::Params& fields) const {
    auto r = post("/api/runs", fields, session());
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 202);
    const auto id = nlohmann::json::parse(r->body)["id"].get<std::string>();
    REQUIRE(r->get_header_value("Location") == "/runs/" + id);
    return id;
  }
  std::string status(const std::string& id) const {
    return get("/api/runs/" + id)["status"].get<std::string>();
  }
  /// `prog ARGS --store STORE` (the same program, another process) to its end.
  outcome cli(std::vector<std::string> args, std::vector<std::string> env = {}) const {
    args.emplace_back("--store");
    args.push_back(store);
    process p(dir.path(), TYPEFLOW_UI_CHILD, args, with_env(std::move(env)));
    return p.finish();
  }
  /// `prog runs --json`'s runs.
  nlohmann::json runs() const {
    auto end = cli({"runs", "--json"});
    INFO(end.err);
    REQUIRE(end.code == 0);
    return nlohmann::json::parse(end.out)["runs"];
  }
  /// `prog show ID --json`.
  nlohmann::json show(const std::string& id) const {
    auto end = cli({"show", id, "--json"});
    INFO(end.err);
    REQUIRE(end.code == 0);
    return nlohmann::json::parse(end.out);
  }
};

/// The first line of `text`.
inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

inline std::string error_of(const httplib::Result& r) {
  REQUIRE(r);
  return nlohmann::json::parse(r->body)["error"].get<std::string>();
}

/// The "field" of an API error ("" when it has none).
inline std::string field_of(const httplib::Result& r) {
  REQUIRE(r);
  const auto j = nlohmann::json::parse(r->body);
  return j.contains("field") ? j["field"].get<std::string>() : std::string{};
}

}  // namespace typeflow::test
