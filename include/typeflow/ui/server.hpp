#pragma once
// The browser run mode (docs/ui.md): an HTTP server, in the pipeline program itself, showing
// the run store's runs as pages and as a JSON API with the shapes of the command line's --json.
//
//     int main(int argc, char** argv) {
//       typeflow::pipeline p{"demo"};
//       ...
//       return typeflow::ui::main(argc, argv, p);   // typeflow::main, plus `prog ui`
//     }
//
// The server reads the store through its public API (store/store.hpp) only. cpp-httplib is
// named in ui/impl/server.hpp only: this header holds the server's state through a pointer.

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <typeflow/cli/main.hpp>
#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/exec/options.hpp>

namespace typeflow::ui {

/// Options a server cannot start with (a non-loopback address without a token, a port in use):
/// the message names the problem.
class ui_error : public run_error {
 public:
  using run_error::run_error;
};

struct server_options {
  std::filesystem::path store = ".typeflow";  ///< the run store (created when missing)
  std::string host = "127.0.0.1";             ///< the address to listen on
  unsigned port = 8321;                       ///< 0: a free port (server::port() tells which)
  /// A secret every request must carry (header `Authorization: Bearer TOKEN`, or the cookie
  /// the page `/?token=TOKEN` sets). Required when `host` is not a loopback address.
  std::string token;
  std::size_t max_body = 64 * 1024;  ///< a larger request body is refused with 413
  std::size_t page_size = 50;        ///< runs per page (GET /api/runs?limit= at most 500)
  /// The POST rate bound per client address (a token bucket): `post_burst` POSTs at once, then
  /// `post_rate` a second; beyond, 429 with Retry-After. post_burst 0: no bound.
  std::size_t post_burst = 60;
  double post_rate = 10;
  /// The program's own run options: runs started from the page begin with them, as with
  /// `prog run` (null: none). Must outlive the server.
  const run_options* program = nullptr;
  /// Where the steps of runs started from the page run: "local" (this process's threads) or
  /// "slurm" (a job each, as `prog run --executor slurm`, docs/slurm.md), with `slurm_args`
  /// given to sbatch for every job.
  std::string executor = "local";
  std::vector<std::string> slurm_args;
};

/// True for an IPv4 address in 127.0.0.0/8, "::1" and "localhost" (not for a name that starts
/// with "127.").
TYPEFLOW_INLINE bool is_loopback(const std::string& host);

/// The HTTP server of one pipeline's runs. Construction checks the options, opens (or
/// creates) the store and binds the port; run() serves until stop().
class server {
 public:
  /// Throws ui_error for options it cannot serve with, store_error for a store it cannot open.
  TYPEFLOW_INLINE server(const pipeline& p, server_options o);
  TYPEFLOW_INLINE ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The port it listens on (the one chosen when server_options::port was 0).
  [[nodiscard]] TYPEFLOW_INLINE unsigned port() const noexcept;
  /// "http://HOST:PORT/".
  [[nodiscard]] TYPEFLOW_INLINE std::string url() const;
  /// Serves requests (on a pool of threads) until stop(); then stops the runs started through
  /// it (POST /api/runs) and returns once they ended.
  TYPEFLOW_INLINE void run();
  /// Ends run() (from any thread); requests in progress finish first.
  TYPEFLOW_INLINE void stop();

  struct state;

 private:
  std::unique_ptr<state> st_;
};

/// The `ui` command (cli_options::ui): serves until Ctrl-C. Exit code 0 after Ctrl-C, 2 for
/// options it cannot serve with (the message on `err`).
TYPEFLOW_INLINE int command(const pipeline& p, const run_options* program, const ui_flags& flags,
                            std::ostream& out, std::ostream& err, bool handle_sigint);

/// typeflow::main with the `ui` command.
TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, cli_options opts = {});
/// typeflow::main with the program's run options and the `ui` command.
TYPEFLOW_INLINE int main(int argc, char** argv, pipeline& p, const run_options& program,
                         cli_options opts = {});

}  // namespace typeflow::ui

#ifndef TYPEFLOW_COMPILED
#include <typeflow/ui/impl/server.hpp>
#endif
