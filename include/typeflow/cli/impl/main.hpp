#pragma once
// typeflow::main and its table of commands (cli/main.hpp): included by that header in
// header-only mode, compiled once into typeflow::cli (src/cli.cpp) in compiled mode. CLI11 is
// named here and in cli/detail/ only.

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <typeflow/cli/detail/commands_pipeline.hpp>
#include <typeflow/cli/detail/commands_runs.hpp>
#include <typeflow/cli/detail/commands_store.hpp>
#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/main.hpp>
#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/store/errors.hpp>

namespace typeflow {

namespace cli_detail {

/// Refuses a name that is no command, naming the commands (defined after the table).
inline void check_command(std::string_view name, const cli_io& io);

// ------------------------------------------------------------------------------------- ui
inline void declare_ui(CLI::App& c, command_args& a) {
  c.add_option("--store", a.ui.store, "the run store's directory (created when missing)");
  c.add_option("--host", a.ui.host, "the address to listen on (default 127.0.0.1)");
  c.add_option("--port", a.ui.port, "the port (default 8321; 0: a free one)")
      ->check(CLI::Range(0u, 65535u));
  c.add_option("--token", a.ui.token,
               "a secret every request must carry (default $TYPEFLOW_UI_TOKEN); needed for an "
               "address other than loopback");
  c.add_option("--executor", a.ui.executor,
               "where the steps of runs started from the page run: local (this process's "
               "threads) or slurm (a job each, as run --executor slurm; docs/slurm.md)")
      ->check(CLI::IsMember({"local", "slurm"}));
  c.add_option("--slurm-arg", a.ui.slurm_args,
               "an sbatch option for every job, written --slurm-arg=--partition=gpu "
               "(repeatable; with --executor slurm)");
  c.add_flag("--open", a.ui.open,
             "open the page in a browser: the first command of $BROWSER, else xdg-open");
}
inline int ui_command(const command_context& ctx) {
  if (ctx.io.ui == nullptr) {
    throw usage_error("typeflow: this program was built without the browser run mode",
                      "link typeflow::ui and return typeflow::ui::main(argc, argv, p) from main "
                      "(<typeflow/ui/server.hpp>, docs/ui.md)");
  }
  return ctx.io.ui(ctx.p, ctx.io.program, ctx.args.ui, ctx.io.out, ctx.io.err, ctx.io.signals);
}

// ----------------------------------------------------------------------------------- help
inline void declare_help(CLI::App& c, command_args& a) {
  c.add_option("COMMAND", a.help_on, "a command");
}
inline int help_command(const command_context& ctx) {
  auto& io = ctx.io;
  const auto& on = ctx.args.help_on;
  if (on.empty()) {
    // app.help() would describe the selected subcommand (help itself); format the app.
    io.out << ctx.app.get_formatter()->make_help(&ctx.app, io.prog, CLI::AppFormatMode::Normal);
    return exit_ok;
  }
  check_command(on, io);
  io.out << ctx.app.get_subcommand(on)->help();
  return exit_ok;
}

/// The commands, in the order `help` lists them: the one place a command is named.
inline constexpr command commands[] = {
    {"run", "run the pipeline and record the run", declare_run, run_command},
    {"run-step", "run one step of a run in this process, as a job does (--executor slurm)",
     declare_run_step, run_step_command},
    {"debug", "run on one thread, in declaration order, pausing at breakpoints", declare_debug,
     debug_command},
    {"runs", "the run history, newest first", declare_runs, runs_command},
    {"show", "a run: parameters, steps, metrics", declare_show, show_command},
    {"compare", "runs side by side: parameters and final metrics", declare_compare,
     compare_command},
    {"logs", "what a step wrote with context::log in one attempt of a run", declare_logs,
     logs_command},
    {"retry", "re-run what did not succeed in a run, reuse the rest", declare_retry, retry_command},
    {"copy", "a new run with the parameters of RUN, overrides applied", declare_copy, copy_command},
    {"stop", "ask a running run to stop", declare_stop, stop_command},
    {"answer", "give a waiting run the value of a delayed parameter", declare_answer,
     answer_command},
    {"delete", "remove runs, then the artifacts nothing references", declare_delete,
     delete_command},
    {"graph", "the pipeline's graph", declare_graph, graph_command},
    {"describe", "the manifest: steps, edges, parameters, structure hash", declare_describe,
     describe_command},
    {"schedule", "start a run at each cron time, in the foreground", declare_schedule,
     schedule_command},
    {"ui", "serve the run mode in a browser (docs/ui.md), until Ctrl-C", declare_ui, ui_command},
    {"help", "help on the commands", declare_help, help_command},
};

inline void check_command(std::string_view name, const cli_io& io) {
  std::vector<std::string> names;
  for (const auto& c : commands) {
    if (c.name == name) return;
    names.emplace_back(c.name);
  }
  throw usage_error(
      "typeflow: unknown command '" + std::string(name) + "'; commands are: " + join(names),
      "run '" + io.prog + " help' for what each does");
}

inline int dispatch(int argc, char** argv, const pipeline& p, cli_io& io) {
  if (argc > 1 && argv[1][0] != '-') check_command(argv[1], io);
  CLI::App app{"Pipeline '" + std::string(p.name()) + "': run it and manage its runs.", io.prog};
  app.require_subcommand(1);
  command_args args;
  for (const auto& c : commands)
    c.declare(*app.add_subcommand(std::string(c.name), std::string(c.help)), args);

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
    throw usage_error(
        "typeflow: " + std::string(e.what()),
        "run '" + io.prog + " help" + (sub.empty() ? "" : " " + sub) + "' for its usage");
  }
  for (const auto& c : commands) {
    if (app.got_subcommand(std::string(c.name))) return c.handle(command_context{p, args, io, app});
  }
  throw usage_error("typeflow: no command given", "run '" + io.prog + " help'");
}

/// typeflow::main, with the program's run options or none.
inline int run_main(int argc, char** argv, pipeline& p, const run_options* program,
                    const cli_options& opts) {
  std::string prog =
      argc > 0 ? std::filesystem::path(argv[0]).filename().string() : std::string(p.name());
  cli_detail::cli_io io{
      opts.in ? *opts.in : std::cin,
      opts.out ? *opts.out : std::cout,
      opts.err ? *opts.err : std::cerr,
      opts.terminal.value_or(opts.out == nullptr && ::isatty(STDOUT_FILENO) != 0),
      opts.stdin_terminal.value_or(opts.in == nullptr && ::isatty(STDIN_FILENO) != 0),
      opts.handle_sigint,
      prog,
      program,
      opts.ui};
  try {
    return cli_detail::dispatch(argc, argv, p, io);
  } catch (const cli_detail::usage_error& e) {
    io.err << e.what() << '\n'
           << "  hint: "
           << (e.hint().empty() ? "run '" + prog + " describe' for the steps, scenes and parameters"
                                : e.hint())
           << '\n';
    return cli_detail::exit_usage;
  } catch (const unknown_run_error& e) {
    io.err << e.what() << '\n' << "  hint: run '" << prog << " runs' to list the runs\n";
    return cli_detail::exit_usage;
  } catch (const store_error& e) {
    io.err << e.what() << '\n';  // about the store itself: its message says what to do
    return cli_detail::exit_usage;
  } catch (const run_error& e) {
    io.err << e.what() << '\n'
           << "  hint: run '" << prog
           << " describe' for the steps and parameters, their types and constraints\n";
    return cli_detail::exit_usage;
  } catch (const std::exception& e) {
    io.err << prog << ": " << e.what() << '\n';
    return cli_detail::exit_failed;
  }
}

}  // namespace cli_detail

TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const cli_options& opts) {
  return cli_detail::run_main(argc, argv, p, nullptr, opts);
}

TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const run_options& program,
                         const cli_options& opts) {
  return cli_detail::run_main(argc, argv, p, &program, opts);
}

}  // namespace typeflow
