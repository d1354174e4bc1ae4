#pragma once
// `schedule`: starts a run at each time a cron expression names, in the foreground, one run
// at a time (a tick that finds the previous run still going skips it or stops that run).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include <typeflow/cli/cron.hpp>
#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/launch.hpp>
#include <typeflow/cli/detail/signals.hpp>
#include <typeflow/cli/detail/text.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/threads.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::cli_detail {

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
                    const std::string& on_running, unsigned max_runs, const run_flags& f,
                    cli_io& io) {
  (void)make_options(p, f, true,
                     io.program);  // bad flags or parameters: refused before the first tick
  std::mutex m;
  std::condition_variable cv;
  bool quit = false;         // Ctrl-C, or a run refused its input
  std::stop_source current;  // the run going on (guarded by m)
  int worst = exit_ok;
  std::string error;
  cli_detail::sigint_watch watch{[&] {
                                   std::lock_guard lock(m);
                                   quit = true;
                                   current.request_stop();
                                   cv.notify_all();
                                 },
                                 io.signals};
  cli_io run_io{io.in, io.out, io.err, io.terminal, io.stdin_terminal, false, io.prog, io.program};
  std::thread worker;
  std::atomic<bool> busy{false};
  unsigned started = 0, immediate = immediate_ticks();
  io.out << "schedule '" << expr.text() << "'"
         << (max_runs != 0 ? ", at most " + std::to_string(max_runs) + " runs" : std::string{})
         << '\n'
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
      io.out << "[" << clock_text(std::chrono::system_clock::now())
             << "] stopping the previous run\n"
             << std::flush;
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
    worker = detail::start_thread("the schedule's run thread", [&, token] {
      int code = exit_failed;
      std::string why;
      try {
        store st{store_dir(store_flag)};
        code = launch(p, st, launch_kind::run, {}, make_options(p, f, true, io.program), f, run_io,
                      token);
      } catch (const std::exception& e) {
        why = e.what();
        code = exit_usage;
      }
      {
        std::lock_guard lock(m);
        worst = std::max(worst,
                         code == exit_stopped ? exit_ok : code);  // a cancelled run is no failure
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

}  // namespace typeflow::cli_detail
