#pragma once
// The browser run mode's JSON API under /api/ (docs/ui.md, Routes): included by
// ui/impl/server.hpp after the server's state and its security helpers (check_post,
// session_token), whose constructor calls add_api_routes. Every answer is JSON with the shape of
// the command line's --json of the same thing; every change is a POST that passes check_post.

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/launch.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::ui::ui_detail {

/// Learns the store's id of a run the server started from its run_started event; the runner
/// thread gives the exception of a run that ended before it started.
class id_observer : public observer {
 public:
  void on_event(const event& e) override {
    if (e.kind == event_kind::run_started) {
      std::call_once(once_, [&] { id_.set_value(std::string(e.run_id)); });
    }
  }
  void fail(std::exception_ptr ep) {
    std::call_once(once_, [&] { id_.set_exception(std::move(ep)); });
  }
  std::future<std::string> id() { return id_.get_future(); }

 private:
  std::once_flag once_;
  std::promise<std::string> id_;
};

/// The run flags of a POST /api/runs: the command line's, from the form fields.
inline cli_detail::run_flags run_fields(const httplib::Request& req) {
  cli_detail::run_flags f;
  for (const auto& [name, value] : req.params) {
    if (name == "param")
      f.params.push_back(value);
    else if (name == "tag")
      f.tags.push_back(value);
    else if (name == "scene")
      f.scenes.push_back(value);
    else if (name == "only")
      f.only.push_back(value);
    else if (name == "experiment")
      f.experiment = value;
    else if (name != "csrf") {
      throw http_error{400, "typeflow: unknown field '" + name +
                                "'; fields are: param (NAME=VALUE), tag (KEY=VALUE), "
                                "experiment, scene, only, csrf"};
    }
  }
  return f;
}

/// Starts `o` on a thread of its own; returns the store's id of the run once it started.
inline std::string start_run(server::state& s, store_options o) {
  auto ids = std::make_shared<id_observer>();
  auto id = ids->id();
  o.observe(ids);
  server::state::own_run* r = nullptr;
  {
    std::lock_guard lock(s.runs_m);
    if (s.closing) throw http_error{503, "typeflow: the server is stopping"};
    for (auto it = s.runs.begin(); it != s.runs.end();) {  // forget the runs that ended
      if (it->done && it->claimed) {
        it->thread.join();
        it = s.runs.erase(it);
      } else {
        ++it;
      }
    }
    r = &s.runs.emplace_back();
    auto base = o.base();
    base.stop_token(r->stop.get_token());
    o.base(std::move(base));
    r->thread = std::thread([&s, r, ids, o = std::move(o)] {
      try {
        (void)s.st.run(*s.p, o);
        ids->fail(std::make_exception_ptr(
            run_error("typeflow: the run ended without starting")));  // no-op once started
      } catch (...) {
        ids->fail(std::current_exception());
      }
      r->done = true;
    });
  }
  std::string started;
  // Until `r` is claimed no other request forgets it, whatever this one ends with.
  struct claim {
    server::state& s;
    server::state::own_run* r;
    std::string& id;
    ~claim() {
      std::lock_guard lock(s.runs_m);
      r->id = id;
      r->claimed = true;
    }
  } guard{s, r, started};
  if (id.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
    throw http_error{500, "typeflow: the run did not start within 30 s"};
  try {
    started = id.get();
  } catch (const store_error&) {
    throw;  // about the store: a 500 with its message
  } catch (const run_error& e) {
    throw http_error{400, e.what()};
  }
  return started;
}

/// Registers the routes under /api/ on the server of `s` (before its catch-all refusals).
inline void add_api_routes(server::state& s) {
  auto* sp = &s;  // what the handlers use: the state, which never moves
  auto& http = s.http;
  http.Get("/api/pipeline", [sp](const httplib::Request&, httplib::Response& res) {
    res.set_content(sp->manifest, "application/json; charset=utf-8");
  });
  http.Get("/api/runs", [sp](const httplib::Request& req, httplib::Response& res) {
    auto pg = query_runs(sp->st, req, sp->o.page_size);
    nlohmann::json j{{"runs", nlohmann::json::array()},
                     {"offset", pg.offset},
                     {"limit", pg.limit},
                     {"more", pg.more}};
    for (const auto& r : pg.runs) j["runs"].push_back(cli_detail::run_json(r));
    if (!pg.refused.empty()) j["refused"] = pg.refused;
    json_reply(res, 200, j);
  });
  http.Get(R"(/api/runs/([^/]+))", [sp](const httplib::Request& req, httplib::Response& res) {
    const auto doc = cli_detail::make_run_document(show_run(sp->st, req.matches[1].str()));
    json_reply(res, 200, cli_detail::details_json(doc));
  });

  // ------------------------------------------------------------------ changes (POST)
  http.Get("/api/session", [sp](const httplib::Request& req, httplib::Response& res) {
    json_reply(res, 200, nlohmann::json{{"csrf", session_token(*sp, req, res)}});
  });
  http.Post("/api/runs", [sp](const httplib::Request& req, httplib::Response& res) {
    check_post(*sp, req);
    store_options o;
    try {
      // The command line's own checks of --param, --tag, --scene, --only: the same messages.
      o = cli_detail::make_options(*sp->p, run_fields(req), true, sp->o.program);
    } catch (const store_error&) {
      throw;
    } catch (const run_error& e) {
      throw http_error{400, e.what()};
    } catch (const cli_detail::usage_error& e) {
      throw http_error{400, e.what()};
    }
    const auto id = start_run(*sp, std::move(o));
    res.set_header("Location", "/runs/" + id);
    json_reply(res, 202, nlohmann::json{{"id", id}});
  });
  http.Post(R"(/api/runs/([^/]+)/stop)", [sp](const httplib::Request& req, httplib::Response& res) {
    check_post(*sp, req);
    const auto run = show_run(sp->st, req.matches[1].str()).run;
    const auto& id = run.id;
    // By the record, which the run ends before its thread here is done.
    if (run.status != run_status::running && run.status != run_status::pending)
      throw http_error{409, "typeflow: run " + id + " is not running"};
    bool own = false;
    {
      std::lock_guard lock(sp->runs_m);
      for (auto& r : sp->runs) {
        if (r.id == id && !r.done) {
          r.stop.request_stop();
          own = true;
        }
      }
    }
    if (!own) {
      try {
        sp->st.stop(id);  // a run of another process: through its record, as `prog stop`
      } catch (const unknown_run_error&) {
        throw;
      } catch (const store_error& e) {
        throw http_error{409, e.what()};
      }
    }
    json_reply(res, 202, nlohmann::json{{"id", id}, {"stopping", true}});
  });
}

}  // namespace typeflow::ui::ui_detail
