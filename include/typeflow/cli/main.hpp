#pragma once
// typeflow::main(argc, argv, p): the command line of a pipeline program. `run`, `debug`,
// `runs`, `show`, `compare`, `retry`, `copy`, `stop`, `delete`, `graph`, `describe`,
// `schedule` and `help`, on the run store. Exit codes: 0 ok, 1 the run failed, 2 bad usage or
// input (nothing is recorded), 3 the run was stopped, 4 the run succeeded but some of its
// records could not be stored.
//
//     int main(int argc, char** argv) {
//       typeflow::pipeline p{"demo"};
//       ...
//       return typeflow::main(argc, argv, p);
//     }
//
// A program may give its own run options (capacities, retries, threads, observers): every run
// the command line starts begins with them, and the command line's flags override them.

#include <iosfwd>
#include <optional>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/options.hpp>

namespace typeflow {

/// What `prog ui` was given: the browser run mode's flags (docs/ui.md).
struct ui_flags {
  std::string store;                    ///< --store (default: $TYPEFLOW_STORE, else ./.typeflow)
  std::string host = "127.0.0.1";       ///< --host: the address to listen on
  unsigned port = 8321;                 ///< --port (0: a free port, printed)
  std::string token;                    ///< --token, else $TYPEFLOW_UI_TOKEN: needed off loopback
  bool open = false;                    ///< --open: the page in a browser ($BROWSER, else xdg-open)
  std::string executor = "local";       ///< --executor: where the steps of the page's runs run
  std::vector<std::string> slurm_args;  ///< --slurm-arg (repeatable), with --executor slurm
};

/// The `ui` command, which the ui layer (above cli: <typeflow/ui/server.hpp>, target
/// typeflow::ui) supplies: typeflow::ui::main sets it. Returns the exit code.
using ui_entry = int (*)(const pipeline& p, const run_options* program, const ui_flags& flags,
                         std::ostream& out, std::ostream& err, bool handle_sigint);

/// Where the command line reads and writes; the defaults are the process's own streams. Tests
/// inject streams here; programs call typeflow::main(argc, argv, p).
struct cli_options {
  std::istream* in = nullptr;          ///< default std::cin
  std::ostream* out = nullptr;         ///< default std::cout
  std::ostream* err = nullptr;         ///< default std::cerr
  std::optional<bool> terminal;        ///< stdout is a terminal (live view); default isatty(1)
  std::optional<bool> stdin_terminal;  ///< default isatty(0)
  bool handle_sigint = true;           ///< Ctrl-C or SIGTERM stops a run (first), quits (second)
  /// `prog ui`: the browser run mode, from the ui layer (typeflow::ui::main sets it); null:
  /// `prog ui` says how to get it.
  ui_entry ui = nullptr;
};

/// The command line of a pipeline program: parses argv, does the command, returns the exit
/// code (0 ok, 1 the run failed, 2 bad usage or input, 3 the run was stopped, 4 the run
/// succeeded but some of its records could not be stored).
TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const cli_options& opts = {});

/// The command line of a pipeline program whose runs start from `program`'s run options (for
/// run, debug, retry, copy and schedule). The command line's flags override them: --threads,
/// --fail-fast and --params-file replace the program's setting, --capacity NAME=N the
/// capacity of NAME (the others stay), --param wins over the program's set(); the observers,
/// default retries and timeouts, kept outputs and stop token are kept. The run store gives
/// each run its own id, selection and hooks.
///
///     typeflow::run_options defaults;
///     defaults.capacity("gpu", 2).default_retry(1);
///     return typeflow::main(argc, argv, p, defaults);   // `prog run --capacity gpu=4` overrides
TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const run_options& program,
                         const cli_options& opts = {});

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/cli/impl/main.hpp>
#endif
