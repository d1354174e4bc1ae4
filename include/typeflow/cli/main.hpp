#pragma once
// typeflow::main(argc, argv, p): the command line of a pipeline program. `run`, `debug`,
// `runs`, `show`, `compare`, `retry`, `copy`, `stop`, `delete`, `graph`, `describe`,
// `schedule` and `help`, on the run store. Exit codes: 0 ok, 1 the run failed, 2 bad usage or
// input (nothing is recorded), 3 the run was stopped.
//
//     int main(int argc, char** argv) {
//       typeflow::pipeline p{"demo"};
//       ...
//       return typeflow::main(argc, argv, p);
//     }

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/signals.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dot.hpp>
#include <typeflow/graph/lower.hpp>
#include <typeflow/store/store.hpp>

#include <typeflow/cli/cron.hpp>
#include <typeflow/notify.hpp>
#include <typeflow/report/html.hpp>

namespace typeflow {

/// Where the command line reads and writes; the defaults are the process's own streams. Tests
/// inject streams here; programs call typeflow::main(argc, argv, p).
struct cli_options {
  std::istream* in = nullptr;    ///< default std::cin
  std::ostream* out = nullptr;   ///< default std::cout
  std::ostream* err = nullptr;   ///< default std::cerr
  std::optional<bool> terminal;  ///< stdout is a terminal (live view); default isatty(1)
  std::optional<bool> stdin_terminal;  ///< default isatty(0)
  bool handle_sigint = true;     ///< Ctrl-C stops a run (first), quits (second)
};

namespace cli_detail {

enum exit_code : int { exit_ok = 0, exit_failed = 1, exit_usage = 2, exit_stopped = 3 };

/// Bad usage or input: one message naming the problem, and a hint.
class usage_error : public std::runtime_error {
 public:
  usage_error(const std::string& what, std::string hint) : std::runtime_error(what), hint_(std::move(hint)) {}
  [[nodiscard]] const std::string& hint() const noexcept { return hint_; }

 private:
  std::string hint_;
};

struct cli_io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool terminal;
  bool stdin_terminal;
  bool signals;
  std::string prog;
};

struct run_flags {
  std::vector<std::string> params, only, from, to, scenes, tags, breaks;
  std::string params_file, inputs_from, experiment, notify_cmd;
  bool no_cache = false, fail_fast = false, quiet = false, json = false;
  unsigned threads = 0;
};

inline int exit_for(run_status s) {
  switch (s) {
    case run_status::succeeded: return exit_ok;
    case run_status::stopped: return exit_stopped;
    default: return exit_failed;
  }
}

inline std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

inline std::vector<std::string> step_names(const pipeline& p) {
  std::vector<std::string> out;
  for (const auto& nd : p.definition()->nodes) {
    if (nd.kind != detail::node_kind::parameter) out.emplace_back(nd.name);
  }
  return out;
}

inline void check_steps(const pipeline& p, const std::vector<std::string>& names, std::string_view flag) {
  const auto& d = *p.definition();
  for (const auto& n : names) {
    auto u = d.find(n);
    if (u == detail::none || d.nodes[u].kind == detail::node_kind::parameter) {
      throw usage_error("typeflow: unknown step '" + n + "' in " + std::string(flag) + "; steps are: " +
                            join(step_names(p)),
                        "");
    }
  }
}

inline std::pair<std::string, std::string> split_pair(const std::string& text, std::string_view flag,
                                                      std::string_view shape) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw usage_error("typeflow: " + std::string(flag) + " '" + text + "' is not " + std::string(shape),
                      "write " + std::string(flag) + " " + std::string(shape));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

/// Checks a run's flags against the pipeline and builds its store options (observers are
/// added by the caller). Parameters are resolved here, so a bad value is refused before the
/// store is touched.
inline store_options make_options(const pipeline& p, const run_flags& f, bool check_params = true) {
  store_options o;
  check_steps(p, f.only, "--only");
  check_steps(p, f.from, "--from");
  check_steps(p, f.to, "--to");
  check_steps(p, f.breaks, "--break");
  const auto& d = *p.definition();
  for (const auto& s : f.scenes) {
    bool found = false;
    std::vector<std::string> known;
    for (const auto& sc : d.scenes) {
      found = found || sc.name == s;
      known.push_back(sc.name);
    }
    if (!found) {
      throw usage_error("typeflow: unknown scene '" + s + "' in --scene; " +
                            (known.empty() ? std::string("pipeline '") + std::string(p.name()) + "' has no scenes"
                                           : "scenes are: " + join(known)),
                        "");
    }
    o.scene(s);
  }
  for (const auto& s : f.only) o.only(s);
  for (const auto& s : f.from) o.from(s);
  for (const auto& s : f.to) o.to(s);
  param_sources sources;
  sources.file = f.params_file;
  sources.overrides_origin = "--param";
  for (const auto& kv : f.params) {
    auto [k, v] = split_pair(kv, "--param", "NAME=VALUE");
    o.set(k, v);
    sources.overrides.emplace_back(k, v);
  }
  for (const auto& kv : f.tags) {
    auto [k, v] = split_pair(kv, "--tag", "KEY=VALUE");
    o.tag(k, v);
  }
  if (check_params) (void)resolve_params(p, sources);  // throws run_error naming the parameter
  if (!f.experiment.empty()) o.experiment(f.experiment);
  if (!f.inputs_from.empty()) o.inputs_from(f.inputs_from);
  o.no_cache(f.no_cache);
  return o;
}

/// Pauses a debug run before the steps named by --break.
class breakpoints : public observer {
 public:
  breakpoints(std::set<std::string> steps, std::istream& in, std::ostream& out, std::stop_source stop)
      : steps_(std::move(steps)), in_(in), out_(out), stop_(std::move(stop)) {}
  void on_event(const event& e) override {
    if (e.kind != event_kind::step_started || e.attempt != 1) return;
    if (steps_.count(std::string(e.step)) == 0) return;
    std::lock_guard lock(m_);
    if (stop_.stop_requested()) return;
    out_ << "paused before " << e.step << "; press Enter to continue, q to stop" << std::endl;
    std::string line;
    if (!std::getline(in_, line)) return;  // end of input: continue
    if (!line.empty() && (line[0] == 'q' || line[0] == 'Q')) {
      out_ << "stopping the run" << std::endl;
      stop_.request_stop();
    }
  }

 private:
  std::set<std::string> steps_;
  std::istream& in_;
  std::ostream& out_;
  std::stop_source stop_;
  std::mutex m_;
};

enum class launch_kind : std::uint8_t { run, debug, retry, copy };

/// Starts one run through the store with the live view and --json output; `outer` stops it
/// (the caller's Ctrl-C watch). Returns the exit code. Throws usage_error / run_error for
/// input the run refused.
inline int launch(const pipeline& p, store& st, launch_kind kind, const std::string& origin, store_options o,
                  const run_flags& f, cli_io& io, std::stop_token outer = {}) {
  const auto mode = f.json    ? progress_mode::json
                    : f.quiet ? progress_mode::quiet
                    // debug prompts on stdout: no live view redrawing over them
                    : io.terminal && kind != launch_kind::debug ? progress_mode::live
                                  : progress_mode::plain;
  progress_view view{io.out, mode, step_names(p).size()};
  std::stop_source stop;
  std::optional<std::stop_callback<std::function<void()>>> link;
  if (outer.stop_possible()) link.emplace(outer, std::function<void()>([stop]() mutable { stop.request_stop(); }));
  run_options ro;
  ro.threads(f.threads).stop_token(stop.get_token()).observe(view);
  if (f.fail_fast) ro.fail_fast();
  if (!f.params_file.empty()) ro.params_file(f.params_file);
  std::shared_ptr<breakpoints> bp;
  if (kind == launch_kind::debug) {
    ro.threads(1);
    o.sequential();
    if (!f.breaks.empty()) {
      bp = std::make_shared<breakpoints>(std::set<std::string>(f.breaks.begin(), f.breaks.end()), io.in,
                                         io.out, stop);
      ro.observe(bp);
    }
  }
  o.base(ro);
  if (!f.notify_cmd.empty()) o.observe(std::make_shared<command_notifier>(f.notify_cmd));
  view.start();
  std::optional<stored_run> r;
  try {
    switch (kind) {
      case launch_kind::retry: r.emplace(st.retry(p, origin, o)); break;
      case launch_kind::copy: r.emplace(st.copy(p, origin, o)); break;
      default: r.emplace(st.run(p, o)); break;
    }
  } catch (...) {
    view.stop();
    throw;
  }
  view.stop();
  st.flush();
  auto d = st.show(r->run_id());
  if (f.json) {
    io.out << details_json(d).dump() << '\n';
  } else {
    io.out << summary_table(d);
  }
  io.out.flush();
  if (r->store_errors() != 0) {
    io.err << io.prog << ": warning: " << r->store_errors()
           << " records of the run could not be stored; first: " << r->first_store_error() << '\n';
  }
  return exit_for(r->status());
}

inline std::string show_text(const run_details& d) {
  const auto& r = d.run;
  std::string out = "run " + r.id + " of '" + r.pipeline + "': " + std::string(to_string(r.status)) + "\n";
  out += "  started   " + date_text(r.started) + "  (" + format_duration(r.duration()) + ")\n";
  out += "  kind      " + r.kind + (r.origin.empty() ? "" : " of " + r.origin) + "\n";
  if (!r.experiment.empty()) out += "  experiment " + r.experiment + "\n";
  if (!r.tags.empty()) {
    std::string tags;
    for (const auto& [k, v] : r.tags) tags += (tags.empty() ? "" : ", ") + k + "=" + v;
    out += "  tags      " + tags + "\n";
  }
  if (!r.message.empty()) out += "  message   " + r.message + "\n";
  out += "parameters:\n";
  for (const auto& [k, v] : r.params) out += "  " + k + " = " + v + "\n";
  out += "steps:\n";
  std::vector<std::vector<std::string>> rows{{"  step", "status", "attempts", "duration", "cache", "error"}};
  for (const auto& s : d.steps) {
    rows.push_back({"  " + s.name, std::string(to_string(s.status)), std::to_string(s.attempts),
                    s.started && s.ended ? format_duration(*s.ended - *s.started) : "-", s.cache_hit ? "hit" : "-",
                    s.message});
  }
  out += table(rows);
  auto metrics = details_json(d)["final_metrics"];
  if (!metrics.empty()) {
    out += "metrics (final):\n";
    for (const auto& [k, v] : metrics.items()) out += "  " + k + " = " + format_number(v.get<double>()) + "\n";
  }
  return out;
}

inline std::string graph_text(const pipeline& p) {
  auto g = lower(p);
  std::string out;
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    if (g[v].is_parameter) {
      out += "param " + g[v].name + ": " + g[v].output_type + "\n";
      continue;
    }
    out += "step  " + g[v].name + ": " + g[v].output_type;
    std::string ins;
    for (auto e : boost::make_iterator_range(boost::in_edges(v, g))) {
      ins += (ins.empty() ? "" : ", ") + g[boost::source(e, g)].name +
             (g[e].carries_data ? " (" + g[e].type + ")" : " (after)");
    }
    if (!ins.empty()) out += " <- " + ins;
    out += "\n";
  }
  return out;
}

inline std::string describe_text(const pipeline& p) {
  auto m = manifest_json(p);
  std::string out = "pipeline " + std::string(p.name()) + " (structure " + m["structure_hash"].get<std::string>() +
                    ")\nsteps:\n";
  const auto graph = graph_text(p);
  std::size_t at = 0;
  while (at < graph.size()) {
    auto end = graph.find('\n', at);
    if (end == std::string::npos) end = graph.size();
    auto l = graph.substr(at, end - at);
    if (l.rfind("step  ", 0) == 0) out += "  " + l.substr(6) + "\n";
    at = end + 1;
  }
  out += "parameters:\n";
  for (const auto& i : p.params()) {
    out += "  " + i.name + ": " + i.type;
    out += i.default_value ? " = " + *i.default_value : std::string(" (required)");
    if (!i.constraints.empty()) out += "; " + i.constraints;
    if (!i.choices.empty()) out += "; one of " + join(i.choices);
    if (i.delayed) out += "; delayed";
    if (!i.description.empty()) out += "  -- " + i.description;
    out += "\n";
  }
  if (!m["scenes"].empty()) {
    out += "scenes:\n";
    for (const auto& s : m["scenes"]) {
      out += "  " + s["name"].get<std::string>() + ": " + join(s["steps"].get<std::vector<std::string>>()) + "\n";
    }
  }
  return out;
}

inline std::filesystem::path store_dir(const std::string& flag) {
  return flag.empty() ? store::default_path() : std::filesystem::path(flag);
}

/// Adds the flags a run takes. `selection`: --only/--from/--to/--scene/--inputs-from.
inline void add_run_flags(CLI::App* c, run_flags& f, std::string& store_flag, bool selection, bool params) {
  if (params) {
    c->add_option("--param", f.params, "set a parameter: NAME=VALUE (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c->add_option("--params-file", f.params_file, "a JSON object of parameter values");
  }
  if (selection) {
    c->add_option("--only", f.only, "run only these steps (comma-separated)")->delimiter(',');
    c->add_option("--from", f.from, "run this step and everything downstream")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c->add_option("--to", f.to, "run this step and everything it needs")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c->add_option("--scene", f.scenes, "run a scene declared with pipeline::scene")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c->add_option("--inputs-from", f.inputs_from, "take the inputs of steps not run from this run");
  }
  c->add_flag("--no-cache", f.no_cache, "run every selected step, even when the cache has its output");
  c->add_option("--threads", f.threads, "worker threads (default: one per core)")->check(CLI::Range(1u, 4096u));
  c->add_option("--experiment", f.experiment, "the experiment the run belongs to");
  c->add_option("--tag", f.tags, "tag the run: KEY=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_flag("--fail-fast", f.fail_fast, "stop everything at the first failure");
  c->add_option("--store", store_flag, "the run store's directory (default: $TYPEFLOW_STORE, else ./.typeflow)");
  c->add_flag("--quiet", f.quiet, "print only the summary");
  c->add_flag("--json", f.json, "print one JSON line per event, then the run as one JSON document");
}

/// TYPEFLOW_SCHEDULE_NOW=N (testing): the first N ticks of a schedule fire at once instead of
/// at cron times.
inline unsigned immediate_ticks() {
  const char* v = std::getenv("TYPEFLOW_SCHEDULE_NOW");
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  auto n = std::strtoul(v, &end, 10);
  return end != v && *end == '\0' ? static_cast<unsigned>(n) : 1u;
}

/// Starts a run at each cron time until --max-runs runs have started (and finished) or Ctrl-C.
inline int schedule(const pipeline& p, const std::string& store_flag, const cron_expr& expr,
                    const std::string& on_running, unsigned max_runs, const run_flags& f, cli_io& io) {
  (void)make_options(p, f);  // bad flags or parameters: refused before the first tick
  std::mutex m;
  std::condition_variable cv;
  bool quit = false;          // Ctrl-C, or a run refused its input
  std::stop_source current;   // the run going on (guarded by m)
  int worst = exit_ok;
  std::string error;
  cli_detail::sigint_watch watch{[&] {
                                   std::lock_guard lock(m);
                                   quit = true;
                                   current.request_stop();
                                   cv.notify_all();
                                 },
                                 io.signals};
  cli_io run_io{io.in, io.out, io.err, io.terminal, io.stdin_terminal, false, io.prog};
  std::thread worker;
  std::atomic<bool> busy{false};
  unsigned started = 0, immediate = immediate_ticks();
  io.out << "schedule '" << expr.text() << "'"
         << (max_runs != 0 ? ", at most " + std::to_string(max_runs) + " runs" : std::string{}) << '\n'
         << std::flush;
  while (max_runs == 0 || started < max_runs) {
    const auto now = std::chrono::system_clock::now();
    const auto next = immediate > 0 ? now : expr.next_after(now);
    if (immediate > 0) --immediate;
    {
      std::unique_lock lock(m);
      if (cv.wait_until(lock, next, [&] { return quit; })) break;
    }
    if (busy.load()) {
      if (on_running == "skip") {
        io.out << "[" << clock_text(std::chrono::system_clock::now())
               << "] tick skipped: the previous run is still going\n"
               << std::flush;
        continue;
      }
      io.out << "[" << clock_text(std::chrono::system_clock::now()) << "] stopping the previous run\n" << std::flush;
      std::lock_guard lock(m);
      current.request_stop();
    }
    if (worker.joinable()) worker.join();
    std::stop_token token;
    {
      std::lock_guard lock(m);
      if (quit) break;
      current = std::stop_source{};
      token = current.get_token();
    }
    busy = true;
    ++started;
    worker = std::thread([&, token] {
      int code = exit_failed;
      std::string why;
      try {
        store st{store_dir(store_flag)};
        code = launch(p, st, launch_kind::run, {}, make_options(p, f), f, run_io, token);
      } catch (const std::exception& e) {
        why = e.what();
        code = exit_usage;
      }
      {
        std::lock_guard lock(m);
        worst = std::max(worst, code == exit_stopped ? exit_ok : code);  // a cancelled run is no failure
        if (!why.empty()) {
          error = why;
          quit = true;
          cv.notify_all();
        }
      }
      busy = false;
    });
  }
  if (worker.joinable()) worker.join();  // Ctrl-C stops it through `current`
  std::lock_guard lock(m);
  if (!error.empty()) throw run_error(error);
  if (quit) return exit_stopped;
  return worst;
}

inline int dispatch(int argc, char** argv, const pipeline& p, cli_io& io) {
  const std::vector<std::string> commands{"run",  "debug",  "runs",  "show",  "compare",  "retry",   "copy",
                                          "stop", "delete", "graph", "describe", "schedule", "help"};
  if (argc > 1 && argv[1][0] != '-' &&
      std::find(commands.begin(), commands.end(), std::string_view(argv[1])) == commands.end()) {
    throw usage_error("typeflow: unknown command '" + std::string(argv[1]) + "'; commands are: " + join(commands),
                      "run '" + io.prog + " help' for what each does");
  }
  CLI::App app{"Pipeline '" + std::string(p.name()) + "': run it and manage its runs.", io.prog};
  app.require_subcommand(1);
  std::string store_flag;
  run_flags rf;
  std::string target;
  std::vector<std::string> targets;
  bool json = false, yes = false;

  auto* run = app.add_subcommand("run", "run the pipeline and record the run");
  add_run_flags(run, rf, store_flag, true, true);
  run->add_option("--notify-cmd", rf.notify_cmd,
                   "a command to run (sh -c, the event as JSON on stdin) when the run finishes or waits for a "
                   "delayed parameter");

  auto* debug = app.add_subcommand("debug", "run on one thread, in declaration order, pausing at breakpoints");
  add_run_flags(debug, rf, store_flag, true, true);
  debug->add_option("--break", rf.breaks, "pause before this step (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  std::string status_filter, experiment_filter;
  std::vector<std::string> tag_filter;
  std::size_t limit = 0;
  auto* runs = app.add_subcommand("runs", "the run history, newest first");
  runs->add_option("--status", status_filter, "only runs with this status");
  runs->add_option("--experiment", experiment_filter, "only runs of this experiment");
  runs->add_option("--tag", tag_filter, "only runs with this tag: KEY=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  runs->add_option("--limit", limit, "at most this many runs");
  runs->add_flag("--json", json, "one JSON document");
  runs->add_option("--store", store_flag, "the run store's directory");

  std::string html;
  auto* show = app.add_subcommand("show", "a run: parameters, steps, metrics");
  show->add_option("RUN", target, "a run id, a unique prefix of one, or 'latest'")->required();
  show->add_flag("--json", json, "one JSON document");
  show->add_option("--html", html, "also write the run as a self-contained HTML report to this file");
  show->add_option("--store", store_flag, "the run store's directory");

  auto* compare = app.add_subcommand("compare", "runs side by side: parameters and final metrics");
  compare->add_option("RUN", targets, "two or more runs")->required()->expected(1, 1000);
  compare->add_flag("--json", json, "one JSON document");
  compare->add_option("--store", store_flag, "the run store's directory");

  auto* retry = app.add_subcommand("retry", "re-run what did not succeed in a run, reuse the rest");
  retry->add_option("RUN", target, "the run to retry")->required();
  add_run_flags(retry, rf, store_flag, false, false);

  auto* copy = app.add_subcommand("copy", "a new run with the parameters of RUN, overrides applied");
  copy->add_option("RUN", target, "the run to copy")->required();
  add_run_flags(copy, rf, store_flag, true, true);

  auto* stop = app.add_subcommand("stop", "ask a running run to stop");
  stop->add_option("RUN", target, "the run to stop")->required();
  stop->add_option("--store", store_flag, "the run store's directory");

  auto* del = app.add_subcommand("delete", "remove runs, then the artifacts nothing references");
  del->add_option("RUN", targets, "the runs to delete")->required()->expected(1, 100000);
  del->add_flag("--yes", yes, "do not ask");
  del->add_option("--store", store_flag, "the run store's directory");

  std::string format = "text";
  auto* graph = app.add_subcommand("graph", "the pipeline's graph");
  graph->add_option("--format", format, "dot, json or text")->check(CLI::IsMember({"dot", "json", "text"}));

  auto* describe = app.add_subcommand("describe", "the manifest: steps, edges, parameters, structure hash");
  describe->add_flag("--json", json, "one JSON document");

  std::string cron_text, on_running = "skip";
  unsigned max_runs = 0;
  auto* sched = app.add_subcommand("schedule", "start a run at each cron time, in the foreground");
  sched->add_option("--cron", cron_text, "a cron expression: minute hour day-of-month month day-of-week")->required();
  sched->add_option("--on-running", on_running, "skip (default) or cancel a tick while a run goes on")
      ->check(CLI::IsMember({"skip", "cancel"}));
  sched->add_option("--max-runs", max_runs, "end after this many started runs (default: never)");
  add_run_flags(sched, rf, store_flag, true, true);
  sched->add_option("--notify-cmd", rf.notify_cmd, "a command to run when each run finishes");

  std::string help_on;
  auto* help = app.add_subcommand("help", "help on the commands");
  help->add_option("COMMAND", help_on, "a command");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    io.out << app.help();
    return exit_ok;
  } catch (const CLI::CallForAllHelp&) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return exit_ok;
  } catch (const CLI::ParseError& e) {
    std::string sub;
    for (auto* s : app.get_subcommands()) sub = s->get_name();
    throw usage_error("typeflow: " + std::string(e.what()),
                      "run '" + io.prog + " help" + (sub.empty() ? "" : " " + sub) + "' for its usage");
  }

  if (help->parsed()) {
    if (help_on.empty()) {
      // app.help() would describe the selected subcommand (help itself); format the app.
      io.out << app.get_formatter()->make_help(&app, io.prog, CLI::AppFormatMode::Normal);
      return exit_ok;
    }
    if (std::find(commands.begin(), commands.end(), help_on) == commands.end()) {
      throw usage_error("typeflow: unknown command '" + help_on + "'; commands are: " + join(commands),
                        "run '" + io.prog + " help' for what each does");
    }
    io.out << app.get_subcommand(help_on)->help();
    return exit_ok;
  }
  if (graph->parsed()) {
    if (format == "dot") io.out << to_dot(p);
    else if (format == "json") io.out << graph_json(p).dump(2) << '\n';
    else io.out << graph_text(p);
    return exit_ok;
  }
  if (describe->parsed()) {
    if (json) io.out << manifest_json(p).dump(2) << '\n';
    else io.out << describe_text(p);
    return exit_ok;
  }
  if (sched->parsed()) {
    std::optional<cron_expr> expr;
    try {
      expr.emplace(cron_expr::parse(cron_text));
    } catch (const cron_error& e) {
      throw usage_error(e.what(), "a cron expression has five fields: minute hour day-of-month month day-of-week");
    }
    return schedule(p, store_flag, *expr, on_running, max_runs, rf, io);
  }

  // Everything below touches the store. Flags are checked before the store is opened.
  if (run->parsed() || debug->parsed() || copy->parsed() || retry->parsed()) {
    auto o = make_options(p, rf, run->parsed() || debug->parsed());
    // Ctrl-C is watched before the store (and its writer thread) starts.
    std::stop_source stop;
    cli_detail::sigint_watch watch{[stop]() mutable { stop.request_stop(); }, io.signals};
    store st{store_dir(store_flag)};
    if (run->parsed() || debug->parsed()) {
      return launch(p, st, run->parsed() ? launch_kind::run : launch_kind::debug, {}, std::move(o), rf, io,
                    stop.get_token());
    }
    auto id = st.resolve(target);
    return launch(p, st, copy->parsed() ? launch_kind::copy : launch_kind::retry, id, std::move(o), rf, io,
                  stop.get_token());
  }
  if (runs->parsed()) {
    run_query q;
    if (!status_filter.empty()) {
      auto s = parse_status<run_status>(status_filter);
      if (!s) {
        throw usage_error("typeflow: unknown run status '" + status_filter + "' in --status",
                          "statuses are: pending, running, succeeded, failed, stopped, interrupted");
      }
      q.status(*s);
    }
    if (!experiment_filter.empty()) q.experiment(experiment_filter);
    for (const auto& kv : tag_filter) {
      auto [k, v] = split_pair(kv, "--tag", "KEY=VALUE");
      q.tag(k, v);
    }
    if (limit != 0) q.limit(limit);
    store st{store_dir(store_flag)};
    auto all = st.runs(q);
    if (json) {
      nlohmann::json j{{"runs", nlohmann::json::array()}};
      for (const auto& r : all) j["runs"].push_back(run_json(r));
      io.out << j.dump(2) << '\n';
      return exit_ok;
    }
    std::vector<std::vector<std::string>> rows{{"id", "status", "started", "duration", "kind", "experiment", "tags"}};
    for (const auto& r : all) {
      std::string tags;
      for (const auto& [k, v] : r.tags) tags += (tags.empty() ? "" : ",") + k + "=" + v;
      rows.push_back({r.id, std::string(to_string(r.status)), date_text(r.started),
                      r.ended ? format_duration(r.duration()) : "-", r.kind, r.experiment, tags});
    }
    io.out << table(rows);
    return exit_ok;
  }
  if (show->parsed()) {
    store st{store_dir(store_flag)};
    auto d = st.show(target);
    if (!html.empty()) {
      write_html_report(html, p, d);
      if (!json) io.out << "wrote " << html << '\n';
    }
    if (json) io.out << details_json(d).dump(2) << '\n';
    else io.out << show_text(d);
    return exit_ok;
  }
  if (compare->parsed()) {
    if (targets.size() < 2) {
      throw usage_error("typeflow: compare needs at least two runs, got " + std::to_string(targets.size()),
                        "run '" + io.prog + " runs' to list the runs");
    }
    store st{store_dir(store_flag)};
    auto c = st.compare(targets);
    if (json) io.out << comparison_json(c).dump(2) << '\n';
    else io.out << c.table();
    return exit_ok;
  }
  if (stop->parsed()) {
    store st{store_dir(store_flag)};
    auto id = st.resolve(target);
    st.stop(id);
    io.out << "asked run " << id << " to stop\n";
    return exit_ok;
  }
  if (del->parsed()) {
    store st{store_dir(store_flag)};
    std::vector<std::string> ids;
    for (const auto& t : targets) ids.push_back(st.resolve(t));
    if (!yes) {
      if (!io.stdin_terminal) {
        throw usage_error("typeflow: delete would remove " + std::to_string(ids.size()) + " run(s) (" + join(ids) +
                              ") but stdin is not a terminal to confirm it",
                          "add --yes to delete without asking");
      }
      io.out << "delete " << ids.size() << " run(s): " << join(ids) << "? [y/N] " << std::flush;
      std::string answer;
      if (!std::getline(io.in, answer) || (answer != "y" && answer != "yes" && answer != "Y")) {
        io.out << "nothing deleted\n";
        return exit_ok;
      }
    }
    auto r = st.remove(ids);
    io.out << "deleted " << r.runs << " run(s), " << r.artifacts << " artifact(s), " << r.bytes << " bytes\n";
    return exit_ok;
  }
  throw usage_error("typeflow: no command given", "run '" + io.prog + " help'");
}

}  // namespace cli_detail

/// The command line of a pipeline program: parses argv, does the command, returns the exit
/// code (0 ok, 1 the run failed, 2 bad usage or input, 3 the run was stopped).
inline int main(int argc, char** argv, pipeline& p, const cli_options& opts = {}) {
  std::string prog = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : std::string(p.name());
  cli_detail::cli_io io{opts.in ? *opts.in : std::cin,
                    opts.out ? *opts.out : std::cout,
                    opts.err ? *opts.err : std::cerr,
                    opts.terminal.value_or(opts.out == nullptr && ::isatty(STDOUT_FILENO) != 0),
                    opts.stdin_terminal.value_or(opts.in == nullptr && ::isatty(STDIN_FILENO) != 0),
                    opts.handle_sigint,
                    prog};
  try {
    return cli_detail::dispatch(argc, argv, p, io);
  } catch (const cli_detail::usage_error& e) {
    io.err << e.what() << '\n'
           << "  hint: "
           << (e.hint().empty() ? "run '" + prog + " describe' for the steps, scenes and parameters" : e.hint())
           << '\n';
    return cli_detail::exit_usage;
  } catch (const store_error& e) {
    io.err << e.what() << '\n' << "  hint: run '" << prog << " runs' to list the runs\n";
    return cli_detail::exit_usage;
  } catch (const run_error& e) {
    io.err << e.what() << '\n'
           << "  hint: run '" << prog << " describe' for the steps and parameters, their types and constraints\n";
    return cli_detail::exit_usage;
  } catch (const std::exception& e) {
    io.err << prog << ": " << e.what() << '\n';
    return cli_detail::exit_failed;
  }
}

}  // namespace typeflow
