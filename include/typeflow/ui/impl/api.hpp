#pragma once
// The browser run mode's JSON API under /api/ (docs/ui.md, Routes): included by
// ui/impl/server.hpp after the server's state and its security helpers (check_post,
// session_token), whose constructor calls add_api_routes. Every answer is JSON with the shape of
// the command line's --json of the same thing (a step's log: its text); every change is a POST
// that passes check_post and does what the command line's command of the same name does,
// through the same code (cli/detail).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/ask.hpp>
#include <typeflow/cli/detail/commands_store.hpp>
#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/launch.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/run_id.hpp>
#include <typeflow/store/detail/hash.hpp>
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

/// The form field a message of the command line's run checks is about (the message names its
/// flag or parameter): "param:NAME" for a parameter's value or name, "param" for a field that
/// is not NAME=VALUE, "tag", "only", "from", "to", "scene"; "" when none.
inline std::string error_field(const std::string& m) {
  auto quoted = [&](std::string_view prefix) -> std::optional<std::string> {
    if (m.rfind(prefix, 0) != 0) return std::nullopt;
    const auto end = m.find('\'', prefix.size());
    if (end == std::string::npos) return std::nullopt;
    return m.substr(prefix.size(), end - prefix.size());
  };
  for (const char* prefix : {"typeflow: parameter '", "typeflow: unknown parameter '"}) {
    if (auto name = quoted(prefix)) return "param:" + *name;
  }
  if (auto text = quoted("typeflow: --param '")) {
    const auto name = text->substr(0, text->find('='));
    return name.empty() ? "param" : "param:" + name;
  }
  if (m.rfind("typeflow: --tag '", 0) == 0) return "tag";
  for (const char* flag : {"only", "from", "to", "scene"}) {
    if (m.find(" in --" + std::string(flag) + ";") != std::string::npos) return flag;
  }
  return {};
}

/// The run flags of a POST /api/runs or /copy (`selection`: param, scene, only, from, to too)
/// or /retry: the command line's, from the form fields of the same names.
inline cli_detail::run_flags run_fields(const httplib::Request& req, bool selection) {
  cli_detail::run_flags f;
  for (const auto& [name, value] : req.params) {
    // An empty field is one not given (a form posts its empty inputs), once its name is known.
    if (value.empty() &&
        (name == "tag" || name == "experiment" || name == "no_cache" || name == "threads" ||
         (selection && (name == "param" || name == "scene" || name == "only" || name == "from" ||
                        name == "to")))) {
      continue;
    }
    if (selection && name == "param") {
      f.params.push_back(value);
    } else if (name == "tag") {
      f.tags.push_back(value);
    } else if (name == "experiment") {
      f.experiment = value;
    } else if (selection && name == "scene") {
      f.scenes.push_back(value);
    } else if (selection && name == "only") {
      // --only a,b: comma-separated, as the command line's
      for (std::size_t at = 0; at <= value.size();) {
        const auto comma = std::min(value.find(',', at), value.size());
        f.only.push_back(value.substr(at, comma - at));
        at = comma + 1;
      }
    } else if (selection && name == "from") {
      f.from.push_back(value);
    } else if (selection && name == "to") {
      f.to.push_back(value);
    } else if (name == "no_cache") {
      if (value == "1" || value == "true" || value == "on") {
        f.no_cache = true;
      } else if (value == "0" || value == "false") {
        f.no_cache = false;
      } else {
        throw http_error{400, "typeflow: 'no_cache' must be 1 or 0, not '" + value + "'",
                         "no_cache"};
      }
    } else if (name == "threads") {
      unsigned n = 0;
      bool ok = !value.empty() && value.size() <= 4;
      for (char c : value) {
        if (c < '0' || c > '9') ok = false;
        if (ok) n = n * 10 + static_cast<unsigned>(c - '0');
      }
      if (!ok || n < 1 || n > 4096) {
        throw http_error{
            400, "typeflow: 'threads' must be a whole number from 1 to 4096, not '" + value + "'",
            "threads"};
      }
      f.threads = n;
    } else if (name != "csrf") {
      throw http_error{400, "typeflow: unknown field '" + name + "'; fields are: " +
                                (selection ? "param (NAME=VALUE), tag (KEY=VALUE), experiment, "
                                             "scene, only, from, to, no_cache, threads, csrf"
                                           : "tag (KEY=VALUE), experiment, no_cache, threads, "
                                             "csrf")};
    }
  }
  return f;
}

/// The command line's own checks of the run flags (make_options: --param, --tag, --scene,
/// --only, ...), their messages, and the form field each is about.
inline store_options run_options_of(const server::state& s, const cli_detail::run_flags& f,
                                    bool check_params) {
  try {
    auto g = f;  // the server's executor: make_options gives a Slurm run its threads
    g.executor = s.o.executor;
    return cli_detail::make_options(*s.p, g, check_params, s.o.program);
  } catch (const store_error&) {
    throw;
  } catch (const run_error& e) {
    throw http_error{400, e.what(), error_field(e.what())};
  } catch (const cli_detail::usage_error& e) {
    throw http_error{400, e.what(), error_field(e.what())};
  }
}

/// The full id of `run` (an id, a unique prefix, `latest`); 404 for one the store cannot name.
inline std::string resolve_run(const store& st, const std::string& run) {
  try {
    return st.resolve(run);
  } catch (const store_error& e) {
    throw http_error{404, e.what()};
  }
}

/// Starts `o` on a thread of its own, as `kind` says (a new run, a retry or copy of `origin`:
/// cli_detail::start_in_store, as the command line); returns the store's id of the run once it
/// started. A delayed parameter is asked for through the store and waits for its answer (POST
/// /api/runs/ID/answer, `prog answer`), as `prog run` without a terminal does.
inline std::string start_run(server::state& s, store_options o,
                             cli_detail::launch_kind kind = cli_detail::launch_kind::run,
                             const std::string& origin = {}) {
  // As `prog run --executor slurm`: a job each (a retry adopts the jobs of its origin).
  auto jobs = [&] {
    cli_detail::run_flags f;
    f.executor = s.o.executor;
    f.slurm_args = s.o.slurm_args;
    try {
      return cli_detail::slurm_launcher_for(s.st, f, kind, origin);
    } catch (const cli_detail::usage_error& e) {  // $TYPEFLOW_SLURM_ARRAY_MAX
      throw http_error{500, e.what()};
    } catch (const std::runtime_error& e) {  // this program's file not found
      throw http_error{500, e.what()};
    }
  }();
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
    if (base.run_id().empty()) base.run_id(make_run_id());
    if (jobs) base.launcher(jobs);
    base.param_provider([&s, r, run = base.run_id()](const param_info& info) {
      s.st.request_param(run, info);
      return cli_detail::await_answer(s.st, run, info.name, r->stop);
    });
    o.base(std::move(base));
    r->thread = std::thread([&s, r, ids, kind, origin, o = std::move(o)] {
      try {
        (void)cli_detail::start_in_store(*s.p, s.st, kind, origin, o);
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
  if (id.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    // The answer says it failed: the run may not go on to start unseen (the store busy, say),
    // nor run to its end while the user, told so, starts it again.
    r->stop.request_stop();
    throw http_error{500,
                     "typeflow: the run did not start within 30 s (the run store busy?); it was "
                     "stopped: try again"};
  }
  try {
    started = id.get();
  } catch (const unknown_run_error& e) {
    throw http_error{404, e.what()};
  } catch (const store_error& e) {
    // A retry or copy the store refuses (a run still running, one that succeeded, another
    // pipeline's): a conflict with that run. Else about the store: a 500 with its message.
    if (kind == cli_detail::launch_kind::run) throw;
    throw http_error{409, e.what()};
  } catch (const run_error& e) {
    throw http_error{400, e.what(), error_field(e.what())};
  }
  return started;
}

/// True when an If-None-Match header ("\"a\", W/\"b\"", or "*") names `etag`.
inline bool etag_matches(const std::string& header, const std::string& etag) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    auto tag = std::string_view(header).substr(pos, end - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

/// GET /api/compare: the `compare --json` document of `runs`, plus "history": for each metric
/// of its "metrics" ("step.metric"), one array per run (in the order of "runs") of every point
/// the run logged, {"index", "value", "time"}, by index then time.
inline nlohmann::json compare_json(const store& st, const std::vector<std::string>& runs) {
  const auto c = st.compare(runs);
  auto j = cli_detail::comparison_json(c);
  std::map<std::string, std::vector<nlohmann::json>> history;
  for (const auto& m : c.metrics)
    history.emplace(m.name, std::vector<nlohmann::json>(c.runs.size(), nlohmann::json::array()));
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    const auto d = st.show(c.runs[i]);
    std::vector<const metric_record*> points;
    for (const auto& m : d.metrics) points.push_back(&m);
    std::stable_sort(points.begin(), points.end(),
                     [](const metric_record* a, const metric_record* b) {
                       if (a->index != b->index) return a->index < b->index;
                       return a->time < b->time;
                     });
    for (const auto* m : points) {
      auto it = history.find(m->step + "." + m->name);
      if (it == history.end()) continue;
      it->second[i].push_back({{"index", m->index},
                               {"value", cli_detail::json_number(m->value)},
                               {"time", cli_detail::iso_time(m->time)}});
    }
  }
  j["history"] = nlohmann::json::object();
  for (auto& [name, per_run] : history) j["history"][name] = std::move(per_run);
  return j;
}

/// Registers the routes under /api/ on the server of `s` (before its catch-all refusals).
inline void add_api_routes(server::state& s) {
  using cli_detail::launch_kind;
  auto* sp = &s;  // what the handlers use: the state, which never moves
  auto& http = s.http;

  // ------------------------------------------------------------------ reading
  http.Get("/api/pipeline", [sp](const httplib::Request&, httplib::Response& res) {
    res.set_content(sp->manifest, "application/json; charset=utf-8");
  });
  http.Get("/api/runs", [sp](const httplib::Request& req, httplib::Response& res) {
    recover_dead(*sp);
    auto pg = query_runs(sp->st, req, sp->o.page_size);
    nlohmann::json j{{"runs", nlohmann::json::array()},
                     {"offset", pg.offset},
                     {"limit", pg.limit},
                     {"more", pg.more}};
    for (const auto& r : pg.runs) j["runs"].push_back(cli_detail::run_json(r));
    if (!pg.refused.empty()) j["refused"] = pg.refused;
    json_reply(res, 200, j);
  });
  // The `show --json` document, with an ETag (a hash of it): a client polling a run sends
  // If-None-Match and gets a bodiless 304 while nothing changed.
  http.Get(R"(/api/runs/([^/]+))", [sp](const httplib::Request& req, httplib::Response& res) {
    recover_dead(*sp);
    const auto doc = cli_detail::make_run_document(show_run(sp->st, req.matches[1].str()));
    auto text = detail::json_text(cli_detail::details_json(doc), 2) + "\n";
    const auto etag = "\"" + store_detail::hash64(text) + "\"";
    res.set_header("ETag", etag);
    if (etag_matches(req.get_header_value("If-None-Match"), etag)) {
      res.status = 304;
      return;
    }
    res.status = 200;
    res.set_content(std::move(text), "application/json; charset=utf-8");
  });
  // `logs RUN STEP [--attempt N] [--element I]` as text.
  http.Get(R"(/api/runs/([^/]+)/logs/([^/]+))", [sp](const httplib::Request& req,
                                                     httplib::Response& res) {
    const std::string prog(sp->p->name());
    cli_detail::log_request r;
    try {
      r = cli_detail::parse_log_request(
          req.matches[2].str(),
          req.has_param("attempt") ? req.get_param_value("attempt") : std::string{},
          req.has_param("element") ? req.get_param_value("element") : std::string{}, prog);
    } catch (const cli_detail::usage_error& e) {
      throw http_error{400, e.what()};
    }
    cli_detail::log_lookup found;
    try {
      found = cli_detail::find_log(*sp->p, sp->st, resolve_run(sp->st, req.matches[1]), r, prog);
    } catch (const cli_detail::unknown_step_error& e) {
      throw http_error{404, e.what()};
    }
    if (found.path.empty()) throw http_error{404, found.message};
    std::ostringstream text;
    cli_detail::copy_log(found.path, text);
    res.status = 200;
    res.set_content(text.str(), "text/plain; charset=utf-8");
  });
  http.Get("/api/compare", [sp](const httplib::Request& req, httplib::Response& res) {
    std::vector<std::string> runs;
    for (std::size_t i = 0, n = req.get_param_value_count("run"); i < n; ++i)
      runs.push_back(req.get_param_value("run", i));
    if (runs.size() < 2) {
      throw http_error{400, "typeflow: compare needs at least two runs, got " +
                                std::to_string(runs.size()) + " (run=A&run=B)"};
    }
    if (runs.size() > 100) {
      throw http_error{
          400, "typeflow: compare takes at most 100 runs, got " + std::to_string(runs.size())};
    }
    for (auto& r : runs) r = resolve_run(sp->st, r);
    json_reply(res, 200, compare_json(sp->st, runs));
  });

  // ------------------------------------------------------------------ changes (POST)
  http.Get("/api/session", [sp](const httplib::Request& req, httplib::Response& res) {
    json_reply(res, 200, nlohmann::json{{"csrf", session_token(*sp, req, res)}});
  });
  auto started = [](httplib::Response& res, const std::string& id) {
    res.set_header("Location", "/runs/" + id);
    json_reply(res, 202, nlohmann::json{{"id", id}});
  };
  // `run`: the command line's own checks of --param, --tag, --scene, --only: the same messages.
  http.Post("/api/runs", [sp, started](const httplib::Request& req, httplib::Response& res) {
    check_post(*sp, req);
    auto o = run_options_of(*sp, run_fields(req, true), true);
    started(res, start_run(*sp, std::move(o)));
  });
  // `retry RUN`: a new run re-running what did not succeed.
  http.Post(R"(/api/runs/([^/]+)/retry)",
            [sp, started](const httplib::Request& req, httplib::Response& res) {
              check_post(*sp, req);
              const auto f = run_fields(req, false);
              const auto origin = resolve_run(sp->st, req.matches[1]);
              // a retry or copy checks its parameters in the store, as the command line's
              auto o = run_options_of(*sp, f, false);
              started(res, start_run(*sp, std::move(o), launch_kind::retry, origin));
            });
  // `copy RUN --param ...`: a new run with RUN's parameters, the fields' over them.
  http.Post(R"(/api/runs/([^/]+)/copy)",
            [sp, started](const httplib::Request& req, httplib::Response& res) {
              check_post(*sp, req);
              const auto f = run_fields(req, true);
              const auto origin = resolve_run(sp->st, req.matches[1]);
              auto o = run_options_of(*sp, f, false);
              started(res, start_run(*sp, std::move(o), launch_kind::copy, origin));
            });
  // `delete RUN --yes` (the page asks first): the run, then the artifacts nothing references.
  http.Post(
      R"(/api/runs/([^/]+)/delete)", [sp](const httplib::Request& req, httplib::Response& res) {
        check_post(*sp, req);
        for (const auto& field : req.params) {
          if (field.first != "csrf") {
            throw http_error{
                400, "typeflow: unknown field '" + field.first + "'; delete takes none but csrf"};
          }
        }
        const auto id = resolve_run(sp->st, req.matches[1]);
        removal removed;
        try {
          removed = sp->st.remove({id});
        } catch (const unknown_run_error& e) {
          throw http_error{404, e.what()};
        } catch (const store_error& e) {
          throw http_error{409, e.what()};  // a live run: its process and host
        }
        json_reply(res, 200,
                   nlohmann::json{{"deleted", nlohmann::json::array({id})},
                                  {"artifacts", removed.artifacts},
                                  {"bytes", removed.bytes}});
      });
  // `answer RUN NAME=VALUE`: the value of a delayed parameter the run waits for.
  http.Post(R"(/api/runs/([^/]+)/answer)", [sp](const httplib::Request& req,
                                                httplib::Response& res) {
    check_post(*sp, req);
    std::vector<std::string> given;
    for (const auto& [name, value] : req.params) {
      if (name == "param") {
        given.push_back(value);
      } else if (name != "csrf") {
        throw http_error{
            400, "typeflow: unknown field '" + name + "'; fields are: param (NAME=VALUE), csrf"};
      }
    }
    if (given.size() != 1) {
      throw http_error{
          400,
          "typeflow: answer takes one field param=NAME=VALUE, got " + std::to_string(given.size()),
          "param"};
    }
    std::pair<std::string, std::string> kv;
    try {
      kv = cli_detail::split_pair(given.front(), "answer", "NAME=VALUE");
    } catch (const cli_detail::usage_error& e) {
      throw http_error{400, e.what(), "param"};
    }
    const auto& [name, value] = kv;
    const auto id = resolve_run(sp->st, req.matches[1]);
    try {
      (void)sp->st.answer_param(*sp->p, id, name, value);
    } catch (const unknown_run_error& e) {
      throw http_error{404, e.what()};
    } catch (const store_error& e) {
      // not running, not delayed, answered already: the run's state
      throw http_error{409, e.what(), "param:" + name};
    } catch (const run_error& e) {
      throw http_error{400, e.what(), "param:" + name};  // a bad value, no such parameter
    }
    json_reply(res, 200, nlohmann::json{{"id", id}, {"param", name}, {"value", value}});
  });
  http.Post(R"(/api/runs/([^/]+)/stop)", [sp](const httplib::Request& req, httplib::Response& res) {
    check_post(*sp, req);
    recover_dead(*sp);
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
