#pragma once
// What every command of the command line shares: exit codes, the usage error, the streams,
// the flags a command's options are parsed into, and the shape of an entry of the command
// table (cli/main.hpp).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/cli/main.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/status.hpp>
#include <typeflow/store/store.hpp>

namespace CLI {
class App;
}  // namespace CLI

namespace typeflow::cli_detail {

enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,
  exit_usage = 2,
  exit_stopped = 3,
  exit_unstored = 4  ///< the run succeeded, but records of it could not be stored
};

inline int exit_for(run_status s) {
  switch (s) {
    case run_status::succeeded: return exit_ok;
    case run_status::stopped: return exit_stopped;
    default: return exit_failed;
  }
}

/// Bad usage or input: one message naming the problem, and a hint.
class usage_error : public std::runtime_error {
 public:
  usage_error(const std::string& what, std::string hint)
      : std::runtime_error(what), hint_(std::move(hint)) {}
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
  /// The program's own run options (typeflow::main's run_options); null: none. A run starts
  /// from them, and the command line's flags override them (make_options).
  const run_options* program = nullptr;
  /// The `ui` command's server (cli_options::ui); null: not linked in.
  ui_entry ui = nullptr;
};

/// The flags of the commands that start runs (run, debug, retry, copy, schedule).
struct run_flags {
  std::vector<std::string> params, only, from, to, scenes, tags, breaks, capacities;
  std::string params_file, inputs_from, experiment, notify_cmd;
  bool no_cache = false, fail_fast = false, quiet = false, json = false;
  unsigned threads = 0;
  std::string executor = "local";       ///< --executor: local or slurm
  std::vector<std::string> slurm_args;  ///< --slurm-arg (repeatable)
};

/// Everything a command line's options are parsed into. One command is parsed per process,
/// so the commands share the fields they have in common (--store, --json, RUN).
struct command_args {
  std::string store;                 ///< --store
  bool json = false;                 ///< --json (runs, show, compare, describe)
  std::string target;                ///< RUN (show, retry, copy, stop)
  std::vector<std::string> targets;  ///< RUN... (compare, delete)
  run_flags run;                     ///< run, debug, retry, copy, schedule
  // runs
  std::string status_filter, experiment_filter;
  std::vector<std::string> tag_filter;
  std::size_t limit = 0;
  // show
  std::string html;
  // delete
  bool yes = false;
  // graph
  std::string format = "text";
  // schedule
  std::string cron, on_running = "skip";
  unsigned max_runs = 0;
  // help
  std::string help_on;
  // answer
  std::string assignment;  ///< NAME=VALUE
  // run-step, logs
  std::string step;  ///< STEP (run-step); STEP or STEP[I] (logs)
  std::string run_id;
  std::optional<std::size_t> element;      ///< run-step --element
  unsigned attempt = 1;                    ///< run-step --attempt
  std::string attempt_text, element_text;  ///< logs: --attempt N, --element I (checked by it)
  // ui
  ui_flags ui;
};

/// What a command's handler works with.
struct command_context {
  const pipeline& p;
  command_args& args;
  cli_io& io;
  CLI::App& app;  ///< the parsed command line (help prints from it)
};

/// One entry of the command table: its name and one-line help (what `help` lists), how its
/// options are declared on its CLI11 subcommand, and what it does.
struct command {
  std::string_view name;
  std::string_view help;
  void (*declare)(CLI::App& sub, command_args& args);
  int (*handle)(const command_context& ctx);  ///< returns the exit code
};

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

inline std::pair<std::string, std::string> split_pair(const std::string& text,
                                                      std::string_view flag,
                                                      std::string_view shape) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw usage_error(
        "typeflow: " + std::string(flag) + " '" + text + "' is not " + std::string(shape),
        "write " + std::string(flag) + " " + std::string(shape));
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

inline std::filesystem::path store_dir(const std::string& flag) {
  return flag.empty() ? store::default_path() : std::filesystem::path(flag);
}

enum class store_access { read, write };

/// Opens the store of a command that does not start a run: never created (only a run creates
/// a store; a missing one is a usage error saying so), and for `read` (runs, show, compare)
/// opened read-only, so that nothing is written and a store the user cannot write is read.
inline store open_store(const std::string& flag, const cli_io& io, store_access access) {
  auto dir = store_dir(flag);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "runs.db", ec)) {
    throw usage_error("typeflow: no run store in '" + dir.string() + "'",
                      "a run creates it: run '" + io.prog +
                          " run'; or name another store with --store or $TYPEFLOW_STORE");
  }
  store_config cfg;
  cfg.read_only = access == store_access::read;
  return store{std::move(dir), cfg};
}

}  // namespace typeflow::cli_detail
