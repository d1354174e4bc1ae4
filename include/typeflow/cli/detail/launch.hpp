#pragma once
// Starting one run from the command line: the run flags checked against the pipeline and
// turned into store options, breakpoints for `debug`, the live view, --notify-cmd, and the
// summary or JSON document printed when the run ends.

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/notify.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::cli_detail {

inline void check_steps(const pipeline& p, const std::vector<std::string>& names,
                        std::string_view flag) {
  const auto& d = *p.definition();
  for (const auto& n : names) {
    auto u = d.find(n);
    if (u == detail::none || d.nodes[u].kind == detail::node_kind::parameter) {
      throw usage_error("typeflow: unknown step '" + n + "' in " + std::string(flag) +
                            "; steps are: " + join(step_names(p)),
                        "");
    }
  }
}

/// Checks a run's flags against the pipeline and builds its store options (observers are
/// added by launch()). Parameters are resolved here, so a bad value is refused before the
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
      throw usage_error(
          "typeflow: unknown scene '" + s + "' in --scene; " +
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

/// Adds the flags a run takes. `selection`: --only/--from/--to/--scene/--inputs-from.
inline void add_run_flags(CLI::App& c, run_flags& f, std::string& store_flag, bool selection,
                          bool params) {
  if (params) {
    c.add_option("--param", f.params, "set a parameter: NAME=VALUE (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--params-file", f.params_file, "a JSON object of parameter values");
  }
  if (selection) {
    c.add_option("--only", f.only, "run only these steps (comma-separated)")->delimiter(',');
    c.add_option("--from", f.from, "run this step and everything downstream")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--to", f.to, "run this step and everything it needs")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--scene", f.scenes, "run a scene declared with pipeline::scene")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--inputs-from", f.inputs_from, "take the inputs of steps not run from this run");
  }
  c.add_flag("--no-cache", f.no_cache,
             "run every selected step, even when the cache has its output");
  c.add_option("--threads", f.threads, "worker threads (default: one per core)")
      ->check(CLI::Range(1u, 4096u));
  c.add_option("--experiment", f.experiment, "the experiment the run belongs to");
  c.add_option("--tag", f.tags, "tag the run: KEY=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.add_flag("--fail-fast", f.fail_fast, "stop everything at the first failure");
  c.add_option("--store", store_flag,
               "the run store's directory (default: $TYPEFLOW_STORE, else ./.typeflow)");
  c.add_flag("--quiet", f.quiet, "print only the summary");
  c.add_flag("--json", f.json, "print one JSON line per event, then the run as one JSON document");
}

/// Pauses a debug run before the steps named by --break.
class breakpoints : public observer {
 public:
  breakpoints(std::set<std::string> steps, std::istream& in, std::ostream& out,
              std::stop_source stop)
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
inline int launch(const pipeline& p, store& st, launch_kind kind, const std::string& origin,
                  store_options o, const run_flags& f, cli_io& io, std::stop_token outer = {}) {
  const auto mode = f.json    ? progress_mode::json
                    : f.quiet ? progress_mode::quiet
                    // debug prompts on stdout: no live view redrawing over them
                    : io.terminal && kind != launch_kind::debug ? progress_mode::live
                                                                : progress_mode::plain;
  progress_view view{io.out, mode, step_names(p).size()};
  std::stop_source stop;
  std::optional<std::stop_callback<std::function<void()>>> link;
  if (outer.stop_possible())
    link.emplace(outer, std::function<void()>([stop]() mutable { stop.request_stop(); }));
  run_options ro;
  ro.threads(f.threads).stop_token(stop.get_token()).observe(view);
  if (f.fail_fast) ro.fail_fast();
  if (!f.params_file.empty()) ro.params_file(f.params_file);
  std::shared_ptr<breakpoints> bp;
  if (kind == launch_kind::debug) {
    ro.threads(1);
    o.sequential();
    if (!f.breaks.empty()) {
      bp = std::make_shared<breakpoints>(std::set<std::string>(f.breaks.begin(), f.breaks.end()),
                                         io.in, io.out, stop);
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
  // Records that could not be stored (a full disk): the store's record of the run is
  // incomplete, or missing. The summary is printed from what the store holds, if anything,
  // and the exit code is not 0.
  const bool lost = r->store_errors() != 0;
  std::optional<run_details> d;
  try {
    d.emplace(st.show(r->run_id()));
  } catch (const std::exception&) {
    if (!lost) throw;
  }
  if (d && f.json) {
    io.out << details_json(make_run_document(std::move(*d))).dump() << '\n';
  } else if (d) {
    io.out << summary_table(*d);
  }
  io.out.flush();
  if (lost) {
    io.err << io.prog << ": error: run " << r->run_id() << " " << to_string(r->status()) << ", but "
           << r->store_errors() << " of its records could not be stored (" << r->lost_records()
           << "); the store's record of it is incomplete. First error: " << r->first_store_error()
           << '\n';
    const int code = exit_for(r->status());
    return code == exit_ok ? exit_unstored : code;
  }
  return exit_for(r->status());
}

}  // namespace typeflow::cli_detail
