#pragma once
// Delayed parameters of a run started from the command line: the run's parameter provider.
// The run records a request in the store. On a terminal (stdin is one) it prompts for the
// value, asking again until it is valid; otherwise it shows that it waits, and waits. Either
// way `prog answer RUN NAME=VALUE` (another process) may give the value; a stop ends the wait.

#include <cerrno>
#include <chrono>
#include <iostream>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>

#include <poll.h>
#include <unistd.h>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::cli_detail {

/// Thrown by the provider when the run is stopped while a value is asked for (the engine
/// then marks the parameter cancelled).
class asking_stopped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One line from the terminal (the process's stdin), or nothing at the end of input. Waits
/// with poll(), calling `idle` every 100 ms without input: it returns true to stop reading
/// (the line is then nothing). A stop (Ctrl-C) is seen within 100 ms: asking_stopped then.
template <class Idle>
std::optional<std::string> read_terminal_line(const std::stop_token& stop, Idle&& idle) {
  std::string line;
  for (;;) {
    if (stop.stop_requested()) throw asking_stopped("the run was stopped at the prompt");
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&fd, 1, 100);
    if (ready < 0 && errno != EINTR) return std::nullopt;
    if (ready <= 0) {
      if (idle()) return std::nullopt;
      continue;
    }
    char c = 0;
    const auto n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (line.empty()) return std::nullopt;
      return line;
    }
    if (c == '\n') return line;
    line += c;
  }
}

/// Waits for the answer to delayed parameter `name` of run `run` given through the store
/// (`prog answer`, or the browser's POST /api/runs/ID/answer). When `stop` is triggered or the
/// run is asked to stop through the store first (`prog stop`), the run stops too and
/// asking_stopped is thrown.
inline std::string await_answer(store& st, const std::string& run, const std::string& name,
                                std::stop_source& stop) {
  auto answer = st.await_param(run, name, stop.get_token());
  if (!answer) {
    stop.request_stop();  // asked through the store (`stop RUN`): the run stops too
    throw asking_stopped("the run was stopped while it waited for parameter '" + name + "'");
  }
  return *answer;
}

/// The parameter provider of one command-line run (shared by the copies std::function makes).
class param_asker {
 public:
  /// `mode`: how the run is shown (a prompt goes to stderr when stdout carries JSON).
  param_asker(const pipeline& p, store& st, cli_io& io, progress_view& view, progress_mode mode,
              std::stop_source stop, std::string run_id)
      : p_(p), st_(st), io_(io), view_(view), live_(mode == progress_mode::live),
        prompt_out_(mode == progress_mode::json ? io.err : io.out), stop_(std::move(stop)),
        run_id_(std::move(run_id)) {}

  std::string operator()(const param_info& info) {
    return io_.stdin_terminal ? prompt(info) : await(info);
  }

 private:
  /// "cutoff (double; a value from 0 to 1)"
  static std::string described(const param_info& info) {
    std::string what = info.type;
    if (!info.constraints.empty()) what += "; " + info.constraints;
    if (!info.choices.empty()) what += "; one of " + join(info.choices);
    return "'" + info.name + "' (" + what + ")";
  }

  /// Asks on the terminal. The request is recorded in the store too, so that `runs` shows
  /// the run waiting and `answer` from another process may give the value meanwhile.
  std::string prompt(const param_info& info) {
    const auto& d = *p_.definition();
    const auto u = d.find(info.name);
    bool recorded = false;
    try {
      st_.request_param(run_id_, info);
      recorded = true;
    } catch (const std::exception&) {  // the terminal still can answer
    }
    std::optional<std::string> from_store;
    auto answered_elsewhere = [&] {
      if (!recorded) return false;
      try {
        from_store = st_.param_answer(run_id_, info.name);
      } catch (const std::exception&) {  // a busy store: asked again in 100 ms
      }
      return from_store.has_value();
    };
    // A value typed here is recorded as the request's answer; one given by `answer` first wins.
    auto typed = [&](std::string text) {
      if (!recorded) return text;
      try {
        (void)st_.answer_param(p_, run_id_, info.name, text);
      } catch (const std::exception&) {
        if (auto first = st_.param_answer(run_id_, info.name)) return *first;
      }
      return text;
    };
    view_.suspend();
    struct resume_view {
      progress_view& v;
      ~resume_view() { v.resume(); }
    } resume{view_};
    auto& out = prompt_out_;
    out << "run " << run_id_ << " needs parameter " << described(info) << '\n';
    if (!info.description.empty()) out << "  " << info.description << '\n';
    for (;;) {
      out << info.name << (info.default_value ? " [" + *info.default_value + "]" : "") << " = "
          << std::flush;
      std::optional<std::string> line;
      if (&io_.in == &std::cin) {
        line = read_terminal_line(stop_.get_token(), answered_elsewhere);
      } else {
        std::string text;
        if (std::getline(io_.in, text)) line = std::move(text);
      }
      if (from_store) {
        out << "\n  answered by '" << io_.prog << " answer': " << *from_store << '\n';
        return *from_store;
      }
      if (!line) {
        out << '\n';
        throw std::runtime_error("no value was given at the prompt (end of input)");
      }
      if (!line->empty() && line->back() == '\r') line->pop_back();
      if (line->empty()) {
        if (info.default_value) return typed(*info.default_value);
        out << "  a value is needed\n";
        continue;
      }
      try {
        (void)detail::parse_param_value(d, u, *line, "the prompt");
        return typed(*line);
      } catch (const run_error& e) {
        std::string message = e.what();
        if (message.starts_with("typeflow: ")) message.erase(0, 10);
        out << "  " << message << '\n';
      }
    }
  }

  std::string await(const param_info& info) {
    st_.request_param(run_id_, info);
    const std::string how =
        "answer with '" + io_.prog + " answer " + run_id_ + " " + info.name + "=VALUE'";
    if (live_) {
      view_.waiting(info.name, how);
    } else {
      io_.err << "typeflow: run " << run_id_ << " waits for parameter " << described(info) << ": "
              << how << std::endl;
    }
    struct done_waiting {
      progress_view& v;
      const std::string& name;
      ~done_waiting() { v.waiting(name, {}); }
    } done{view_, info.name};
    return await_answer(st_, run_id_, info.name, stop_);
  }

  const pipeline& p_;
  store& st_;
  cli_io& io_;
  progress_view& view_;
  bool live_;
  std::ostream& prompt_out_;
  std::stop_source stop_;
  std::string run_id_;
};

/// Gives the run its id and a provider for its delayed parameters.
inline void ask_for_delayed_params(run_options& ro, const pipeline& p, store& st, cli_io& io,
                                   progress_view& view, progress_mode mode, std::stop_source stop) {
  if (ro.run_id().empty()) ro.run_id(make_run_id());
  auto asker = std::make_shared<param_asker>(p, st, io, view, mode, std::move(stop), ro.run_id());
  ro.param_provider([asker](const param_info& info) { return (*asker)(info); });
}

}  // namespace typeflow::cli_detail
