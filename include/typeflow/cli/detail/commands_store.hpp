#pragma once
// The commands that read or change the run store without starting a run: runs, show, compare,
// stop, answer and delete. None creates a store; runs, show and compare open it read-only.
// Each is declared by a function that adds its options and done by its
// handler; cli/main.hpp lists them in its command table.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/cli/detail/text.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/report/html.hpp>
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
