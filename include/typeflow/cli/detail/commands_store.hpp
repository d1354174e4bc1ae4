#pragma once
// The commands that read or change the run store without starting a run: runs, show, compare,
// logs, stop, answer and delete. None creates a store; runs, show, compare and logs open it
// read-only.
// Each is declared by a function that adds its options and done by its
// handler; cli/main.hpp lists them in its command table.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/cli/detail/text.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/report/html.hpp>
#include <typeflow/store/logs.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::cli_detail {

inline void add_store_flag(CLI::App& c, command_args& a) {
  c.add_option("--store", a.store, "the run store's directory");
}

// ----------------------------------------------------------------------------------- runs
inline void declare_runs(CLI::App& c, command_args& a) {
  c.add_option("--status", a.status_filter, "only runs with this status");
  c.add_option("--experiment", a.experiment_filter, "only runs of this experiment");
  c.add_option("--tag", a.tag_filter, "only runs with this tag: KEY=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.add_option("--limit", a.limit, "at most this many runs");
  c.add_flag("--json", a.json, "one JSON document");
  add_store_flag(c, a);
}
inline int runs_command(const command_context& ctx) {
  const auto& a = ctx.args;
  run_query q;
  if (!a.status_filter.empty()) {
    auto s = parse_status<run_status>(a.status_filter);
    if (!s) {
      throw usage_error("typeflow: unknown run status '" + a.status_filter + "' in --status",
                        "statuses are: pending, running, succeeded, failed, stopped, interrupted");
    }
    q.status(*s);
  }
  if (!a.experiment_filter.empty()) q.experiment(a.experiment_filter);
  for (const auto& kv : a.tag_filter) {
    auto [k, v] = split_pair(kv, "--tag", "KEY=VALUE");
    q.tag(k, v);
  }
  if (a.limit != 0) q.limit(a.limit);
  auto st = open_store(a.store, ctx.io, store_access::read);
  // A damaged row does not hide the others: they are listed, it is named on stderr (exit 2).
  std::vector<std::string> refused;
  const auto all = st.runs(q, refused);
  auto done = [&] {
    for (const auto& r : refused) ctx.io.err << r << '\n';
    if (refused.empty()) return exit_ok;
    ctx.io.err << "  hint: " << refused.size()
               << " damaged run row(s) left out; the runs listed can be shown and deleted\n";
    return exit_usage;
  };
  if (a.json) {
    nlohmann::json j{{"runs", nlohmann::json::array()}};
    for (const auto& r : all) j["runs"].push_back(run_json(r));
    ctx.io.out << detail::json_text(j, 2) << '\n';
    return done();
  }
  std::vector<std::vector<std::string>> rows{
      {"id", "status", "started", "duration", "kind", "experiment", "tags"}};
  for (const auto& r : all) {
    std::string tags;
    for (const auto& [k, v] : r.tags) tags += (tags.empty() ? "" : ",") + k + "=" + v;
    rows.push_back({r.id, status_text(r), date_text(r.started),
                    r.ended ? format_duration(r.duration()) : "-", r.kind, r.experiment, tags});
  }
  ctx.io.out << table(rows);
  return done();
}

// ----------------------------------------------------------------------------------- show
inline void declare_show(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.target, "a run id, a unique prefix of one, or 'latest'")->required();
  c.add_flag("--json", a.json, "one JSON document");
  c.add_option("--html", a.html, "also write the run as a self-contained HTML report to this file");
  add_store_flag(c, a);
}
inline int show_command(const command_context& ctx) {
  const auto& a = ctx.args;
  auto st = open_store(a.store, ctx.io, store_access::read);
  const auto doc = make_run_document(st.show(a.target));
  if (!a.html.empty()) {
    write_html_report(a.html, ctx.p, doc.details);
    if (!a.json) ctx.io.out << "wrote " << a.html << '\n';
  }
  if (a.json)
    ctx.io.out << detail::json_text(details_json(doc), 2) << '\n';
  else
    ctx.io.out << show_text(doc);
  return exit_ok;
}

// -------------------------------------------------------------------------------- compare
inline void declare_compare(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.targets, "two or more runs")->required()->expected(1, 1000);
  c.add_flag("--json", a.json, "one JSON document");
  add_store_flag(c, a);
}
inline int compare_command(const command_context& ctx) {
  const auto& a = ctx.args;
  if (a.targets.size() < 2) {
    throw usage_error(
        "typeflow: compare needs at least two runs, got " + std::to_string(a.targets.size()),
        "run '" + ctx.io.prog + " runs' to list the runs");
  }
  auto st = open_store(a.store, ctx.io, store_access::read);
  const auto c = st.compare(a.targets);
  if (a.json)
    ctx.io.out << detail::json_text(comparison_json(c), 2) << '\n';
  else
    ctx.io.out << c.table();
  return exit_ok;
}

// ----------------------------------------------------------------------------------- logs
inline void declare_logs(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.target, "a run id, a unique prefix of one, or 'latest'")->required();
  c.add_option("STEP", a.step, "a step, or STEP[I] for element I of a map step")->required();
  c.add_option("--attempt", a.attempt_text,
               "this attempt (1, 2, ...); default: the last attempt that logged");
  c.add_option("--element", a.element_text, "element I of a map step (the same as STEP[I])");
  add_store_flag(c, a);
}

/// `text` as a whole number for `flag`, or a usage error saying what it expects.
template <class T>
T whole_number_flag(const std::string& text, std::string_view flag, std::string_view expects) {
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!digits || ec != std::errc{} || end != text.data() + text.size()) {
    throw usage_error(
        "typeflow: " + std::string(flag) + " '" + text + "' is not " + std::string(expects),
        "write " + std::string(flag) + " N with N a whole number");
  }
  return v;
}

/// The step names `logs` knows: the pipeline's steps, and those the run logged under (a step
/// of an earlier version of the program).
inline std::vector<std::string> loggable_steps(const pipeline& p, const std::filesystem::path& dir,
                                               const std::string& run) {
  std::set<std::string> names;
  for (auto& n : step_names(p)) names.insert(std::move(n));
  std::error_code ec;
  for (std::filesystem::directory_iterator it(run_log_dir(dir, run), ec), end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    name = name.substr(0, name.find('.'));  // train.3: element 3 of train
    if (is_valid_name(name)) names.insert(std::move(name));
  }
  return {names.begin(), names.end()};
}

/// A step named with no log directory and no step of that name in the pipeline (`logs`).
class unknown_step_error : public usage_error {
 public:
  using usage_error::usage_error;
};

/// What `logs` was asked for: a step, maybe one element of it, maybe one attempt.
struct log_request {
  std::string step;
  std::optional<std::size_t> element;
  std::optional<unsigned> attempt;
};

/// Checks `logs`' STEP (or STEP[I]), --attempt and --element texts before the store is opened:
/// a usage_error naming the one at fault.
inline log_request parse_log_request(const std::string& step_text, const std::string& attempt_text,
                                     const std::string& element_text, const std::string& prog) {
  const auto ref = parse_step_ref(step_text);
  if (!ref) {
    throw usage_error("typeflow: '" + step_text +
                          "' names no step: write STEP, or STEP[I] for element I of a map step",
                      "run '" + prog + " describe' for the steps");
  }
  log_request r{std::string(ref->step), ref->element, std::nullopt};
  if (!element_text.empty()) {
    const auto i = whole_number_flag<std::size_t>(element_text, "--element",
                                                  "an element index (0, 1, 2, ...)");
    if (r.element && *r.element != i) {
      throw usage_error(
          "typeflow: two elements given: '" + step_text + "' and --element " + element_text,
          "give the element once: STEP[I] or --element I");
    }
    r.element = i;
  }
  if (!attempt_text.empty()) {
    r.attempt = whole_number_flag<unsigned>(attempt_text, "--attempt", "an attempt (1, 2, ...)");
    if (*r.attempt == 0) {
      throw usage_error("typeflow: --attempt 0: attempts count from 1",
                        "write --attempt 1 for the first attempt");
    }
  }
  return r;
}

/// Where `logs` finds its text, or why there is none.
struct log_lookup {
  std::string id;              ///< the run's full id
  std::filesystem::path path;  ///< the attempt's log file; empty when there is none
  std::string message, hint;   ///< when there is none: why ("typeflow: step ..."), a hint or ""
};

/// The log of `r` in run `target` (an id, a prefix, `latest`): an unknown run is an
/// unknown_run_error, an unknown step an unknown_step_error; a step that wrote no log (in that
/// attempt) gives no path and the message saying so. `logs` and the browser's
/// GET /api/runs/ID/logs/STEP both use it.
inline log_lookup find_log(const pipeline& p, const store& st, const std::string& target,
                           const log_request& r, const std::string& prog) {
  log_lookup out;
  out.id = st.resolve(target);
  const auto& id = out.id;
  const auto& step = r.step;
  const auto known = loggable_steps(p, st.path(), id);
  if (std::find(known.begin(), known.end(), step) == known.end()) {
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& k : known) {
      if (auto d = detail::edit_distance(step, k); d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    throw unknown_step_error("typeflow: no step '" + step + "' in pipeline '" +
                                 std::string(p.name()) + "'" +
                                 (best.empty() ? std::string{} : "; did you mean '" + best + "'?"),
                             "its steps are: " + join(known));
  }
  const auto& element = r.element;
  const auto& attempt = r.attempt;
  const std::string shown_name = element ? step + "[" + std::to_string(*element) + "]" : step;
  const auto logged = logged_attempts(st.path(), id, step, element);
  const bool found =
      attempt ? std::find(logged.begin(), logged.end(), *attempt) != logged.end() : !logged.empty();
  if (found) {
    out.path = attempt_log_path(st.path(), id, step, element, attempt ? *attempt : logged.back());
    return out;
  }
  std::vector<std::string> numbers;
  for (auto n : logged) numbers.push_back(std::to_string(n));
  out.message = "typeflow: step '" + shown_name + "' of run " + id + " wrote no log" +
                (attempt ? " in attempt " + std::to_string(*attempt) : std::string{});
  if (!logged.empty()) out.message += "; attempts with logs: " + join(numbers);
  if (const auto elements =
          element ? std::vector<std::size_t>{} : logged_elements(st.path(), id, step);
      !elements.empty()) {
    std::string list;
    for (std::size_t i = 0; i < elements.size() && i < 10; ++i) {
      list += (i == 0 ? "" : ", ") + step + "[" + std::to_string(elements[i]) + "]";
    }
    if (elements.size() > 10) list += ", ... (" + std::to_string(elements.size()) + " in all)";
    out.hint =
        "it is a map step; its elements with logs: " + list + " (write STEP[I] or --element I)";
  } else if (logged.empty()) {
    out.hint = "a step's log holds the lines it wrote with context::log; run '" + prog + " show " +
               id + "' for what the steps did";
  }
  return out;
}

/// Copies the file at `path` to `out` (a store_error when it cannot be read).
inline void copy_log(const std::filesystem::path& path, std::ostream& out) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in && (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)) {
    out.write(buf.data(), in.gcount());
  }
  if (!in.eof()) throw store_error("typeflow: run store: cannot read '" + path.string() + "'");
}

inline int logs_command(const command_context& ctx) {
  const auto& a = ctx.args;
  auto& io = ctx.io;
  const auto r = parse_log_request(a.step, a.attempt_text, a.element_text, io.prog);
  auto st = open_store(a.store, io, store_access::read);
  const auto found = find_log(ctx.p, st, a.target, r, io.prog);
  if (found.path.empty()) {
    io.err << found.message << '\n';
    if (!found.hint.empty()) io.err << "  hint: " << found.hint << '\n';
    return exit_failed;
  }
  copy_log(found.path, io.out);
  return exit_ok;
}

// ----------------------------------------------------------------------------------- stop
inline void declare_stop(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.target, "the run to stop")->required();
  add_store_flag(c, a);
}
inline int stop_command(const command_context& ctx) {
  auto st = open_store(ctx.args.store, ctx.io, store_access::write);
  const auto id = st.resolve(ctx.args.target);
  if (const auto status = st.show(id).run.status; status != run_status::running) {
    throw usage_error(
        "typeflow: run " + id + " is not running (it is " + std::string(to_string(status)) + ")",
        "run '" + ctx.io.prog + " runs' to list the runs and their statuses");
  }
  st.stop(id);  // a run that ended just now: a store_error, "is not running"
  ctx.io.out << "asked run " << id << " to stop\n";
  return exit_ok;
}

// --------------------------------------------------------------------------------- answer
inline void declare_answer(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.target, "the run that waits for a delayed parameter")->required();
  c.add_option("NAME=VALUE", a.assignment, "the parameter and its value")->required();
  add_store_flag(c, a);
}
inline int answer_command(const command_context& ctx) {
  const auto& a = ctx.args;
  auto [name, value] = split_pair(a.assignment, "answer", "NAME=VALUE");
  auto st = open_store(a.store, ctx.io, store_access::write);  // never creates one
  const auto id = st.answer_param(ctx.p, a.target, name, value);
  ctx.io.out << "answered parameter '" << name << "' of run " << id << ": " << value << '\n';
  return exit_ok;
}

// --------------------------------------------------------------------------------- delete
inline void declare_delete(CLI::App& c, command_args& a) {
  c.add_option("RUN", a.targets, "the runs to delete")->required()->expected(1, 100000);
  c.add_flag("--yes", a.yes, "do not ask");
  add_store_flag(c, a);
}
inline int delete_command(const command_context& ctx) {
  const auto& a = ctx.args;
  auto& io = ctx.io;
  auto st = open_store(a.store, io, store_access::write);
  std::vector<std::string> ids;
  for (const auto& t : a.targets) ids.push_back(st.resolve(t));
  if (!a.yes) {
    if (!io.stdin_terminal) {
      throw usage_error("typeflow: delete would remove " + std::to_string(ids.size()) +
                            " run(s) (" + join(ids) + ") but stdin is not a terminal to confirm it",
                        "add --yes to delete without asking");
    }
    io.out << "delete " << ids.size() << " run(s): " << join(ids) << "? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(io.in, answer) || (answer != "y" && answer != "yes" && answer != "Y")) {
      io.out << "nothing deleted\n";
      return exit_ok;
    }
  }
  const auto r = st.remove(ids);
  io.out << "deleted " << r.runs << " run(s), " << r.artifacts << " artifact(s), " << r.bytes
         << " bytes\n";
  return exit_ok;
}

}  // namespace typeflow::cli_detail
