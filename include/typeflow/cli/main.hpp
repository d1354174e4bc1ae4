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

#include <iosfwd>
#include <optional>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

/// Where the command line reads and writes; the defaults are the process's own streams. Tests
/// inject streams here; programs call typeflow::main(argc, argv, p).
struct cli_options {
  std::istream* in = nullptr;          ///< default std::cin
  std::ostream* out = nullptr;         ///< default std::cout
  std::ostream* err = nullptr;         ///< default std::cerr
  std::optional<bool> terminal;        ///< stdout is a terminal (live view); default isatty(1)
  std::optional<bool> stdin_terminal;  ///< default isatty(0)
  bool handle_sigint = true;           ///< Ctrl-C or SIGTERM stops a run (first), quits (second)
};

/// The command line of a pipeline program: parses argv, does the command, returns the exit
/// code (0 ok, 1 the run failed, 2 bad usage or input, 3 the run was stopped, 4 the run
/// succeeded but some of its records could not be stored).
TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const cli_options& opts = {});

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/cli/impl/main.hpp>
#endif
