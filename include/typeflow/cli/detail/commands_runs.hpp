#pragma once
// The commands that start runs: run, debug, retry, copy and schedule. Each is declared by a
// function that adds its options and done by its handler; cli/main.hpp lists them in its
// command table.

#include <optional>
#include <stop_token>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include <typeflow/cli/cron.hpp>
#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/launch.hpp>
#include <typeflow/cli/detail/schedule.hpp>
#include <typeflow/cli/detail/signals.hpp>
#include <typeflow/launch/run_step.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::cli_detail {

/// Checks the flags (before the store is opened), watches Ctrl-C (before the store and its
/// writer thread start), then starts the run: a new one, or a retry or copy of RUN.
inline int start_run(const command_context& ctx, launch_kind kind) {
  auto& a = ctx.args;
  const bool fresh = kind == launch_kind::run || kind == launch_kind::debug;
  // a retry or copy checks its parameters in the store
  auto o = make_options(ctx.p, a.run, fresh, ctx.io.program);
  std::stop_source stop;
  sigint_watch watch{[stop]() mutable { stop.request_stop(); }, ctx.io.signals};
  // A new run creates its store; a retry or copy needs the store holding RUN.
  auto st = fresh ? store{store_dir(a.store)} : open_store(a.store, ctx.io, store_access::write);
  const auto origin = fresh ? std::string{} : st.resolve(a.target);
  return launch(ctx.p, st, kind, origin, std::move(o), a.run, ctx.io, stop.get_token());
}

// ------------------------------------------------------------------------------------ run
inline void declare_run(CLI::App& c, command_args& a) {
  add_run_flags(c, a.run, a.store, true, true);
  c.add_option(
      "--notify-cmd", a.run.notify_cmd,
      "a command to run (sh -c, the event as JSON on stdin) when the run finishes or waits for a "
      "delayed parameter");
}
inline int run_command(const command_context& ctx) { return start_run(ctx, launch_kind::run); }

// ---------------------------------------------------------------------------------- debug
inline void declare_debug(CLI::App& c, command_args& a) {
  add_run_flags(c, a.run, a.store, true, true);
  c.add_option("--break", a.run.breaks, "pause before this step (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}
inline int debug_command(const command_context& ctx) { return start_run(ctx, launch_kind::debug); }

// ------------------------------------------------------------------------------- run-step
inline void declare_run_step(CLI::App& c, command_args& a) {
  c.add_option("STEP", a.step, "the step to run")->required();
  c.add_option("--run", a.run_id, "the run it belongs to")->required();
  c.add_option("--element", a.element, "a map step's element (from 0)");
  c.add_option("--attempt", a.attempt, "the attempt (from 1)")->check(CLI::Range(1u, 1000000u));
  c.add_option("--store", a.store,
               "the run store's directory (default: $TYPEFLOW_STORE, else ./.typeflow)");
}
inline int run_step_command(const command_context& ctx) {
  const auto& a = ctx.args;
  const auto& d = *ctx.p.definition();
  const auto u = d.find(a.step);
  if (u == detail::none || d.nodes[u].kind == detail::node_kind::parameter) {
    throw usage_error(
        "typeflow: unknown step '" + a.step + "'; steps are: " + join(step_names(ctx.p)), "");
  }
  const int code =
      run_step(ctx.p, run_step_request{store_dir(a.store), a.run_id, a.step, a.attempt, a.element},
               ctx.io.out, ctx.io.err);
  return code == 0 ? exit_ok : code == 2 ? exit_usage : exit_failed;
}

// ---------------------------------------------------------------------------------- retry
inline void declare_retry(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.target, "the run to retry")->required();
  add_run_flags(c, a.run, a.store, false, false);
}
inline int retry_command(const command_context& ctx) { return start_run(ctx, launch_kind::retry); }

// ----------------------------------------------------------------------------------- copy
inline void declare_copy(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.target, "the run to copy")->required();
  add_run_flags(c, a.run, a.store, true, true);
}
inline int copy_command(const command_context& ctx) { return start_run(ctx, launch_kind::copy); }

// ------------------------------------------------------------------------------- schedule
inline void declare_schedule(CLI::App& c, command_args& a) {
  c.add_option("--cron", a.cron, "a cron expression: minute hour day-of-month month day-of-week")
      ->required();
  c.add_option("--on-running", a.on_running, "skip (default) or cancel a tick while a run goes on")
      ->check(CLI::IsMember({"skip", "cancel"}));
  c.add_option("--max-runs", a.max_runs, "end after this many started runs (default: never)");
  add_run_flags(c, a.run, a.store, true, true);
  c.add_option("--notify-cmd", a.run.notify_cmd, "a command to run when each run finishes");
}
inline int schedule_command(const command_context& ctx) {
  auto& a = ctx.args;
  std::optional<cron_expr> expr;
  try {
    expr.emplace(cron_expr::parse(a.cron));
  } catch (const cron_error& e) {
    throw usage_error(
        e.what(), "a cron expression has five fields: minute hour day-of-month month day-of-week");
  }
  return schedule(ctx.p, a.store, *expr, a.on_running, a.max_runs, a.run, ctx.io);
}

}  // namespace typeflow::cli_detail
