#pragma once
// Starting one run from the command line: the run flags checked against the pipeline and
// turned into store options, breakpoints for `debug`, the live view, --notify-cmd, and the
// summary or JSON document printed when the run ends.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include <typeflow/cli/detail/ask.hpp>
#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/run_document.hpp>
#include <typeflow/cli/detail/text.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/launch/slurm.hpp>
#include <typeflow/notify.hpp>
#include <typeflow/store/store.hpp>

namespace typeflow::cli_detail {

inline void check_steps(const pipeline& p, const std::vector<std::string>& names,
                        std::string_view flag) {
  const auto& d = *p.definition();
  for (const auto& n : names) {
    auto u = d.find(n);
    if (u == detail::none || d.nodes[u].kind == detail::node_kind::parameter) {
      throw usage_error("typeflow: unknown step '" + n + "' in " + std::string(flag) +
                            "; steps are: " + join(step_names(p)),
                        "");
    }
  }
}

/// The resources the pipeline's steps ask for with .resources(...), in declaration order.
inline std::vector<std::string> resource_names(const pipeline& p) {
  std::vector<std::string> out;
  for (const auto& nd : p.definition()->nodes) {
    if (!nd.policy) continue;
    for (const auto& r : nd.policy->resources) {
      if (std::find(out.begin(), out.end(), r.first) == out.end()) out.push_back(r.first);
    }
  }
  return out;
}

/// One --capacity NAME=N: a resource the pipeline's steps ask for, and a whole number >= 1.
inline std::pair<std::string, double> parse_capacity(const pipeline& p, const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return usage_error("typeflow: --capacity '" + text + "': " + why,
                       "write --capacity NAME=N, N a whole number of at least 1 (e.g. "
                       "--capacity gpu=2)");
  };
  const auto eq = text.find('=');
  if (eq == std::string::npos) throw bad("it is not NAME=N");
  std::string name = text.substr(0, eq);
  const std::string count = text.substr(eq + 1);
  if (name.empty()) throw bad("the resource name is empty");
  std::uint64_t n = 0;
  const char* end = count.data() + count.size();
  auto [at, ec] = std::from_chars(count.data(), end, n);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && n > (std::uint64_t{1} << 53))) {
    throw bad("'" + count + "' is too large");
  }
  if (count.empty() || ec != std::errc{} || at != end || n == 0) {
    throw bad("'" + count + "' is not a whole number of at least 1");
  }
  const auto known = resource_names(p);
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    throw usage_error(
        "typeflow: --capacity '" + text + "': no step asks for resource '" + name + "'; " +
            (known.empty()
                 ? "the steps of pipeline '" + std::string(p.name()) + "' ask for no resources"
                 : "resources are: " + join(known)),
        "give --capacity for the resources the steps ask for with .resources(...)");
  }
  return {std::move(name), static_cast<double>(n)};
}

/// Refuses, before the store is opened, a run whose capacities do not fit its steps' resources
/// (the executor would refuse it too, naming run_options::capacity rather than the flag).
inline void check_capacities(const pipeline& p, const run_options& ro) {
  for (const auto& nd : p.definition()->nodes) {
    if (!nd.policy) continue;
    for (const auto& [res, amount] : nd.policy->resources) {
      auto it = ro.capacities().find(res);
      const std::string step = "typeflow: step '" + std::string(nd.name) + "' asks for ";
      if (it == ro.capacities().end()) {
        throw usage_error(step + "resource '" + res + "', which the run has no capacity for",
                          "give it with --capacity " + res + "=N");
      }
      if (amount > it->second + 1e-9) {
        throw usage_error(
            step + format_number(amount) + " of resource '" + res + "' but the run's capacity is " +
                format_number(it->second),
            "raise it: --capacity " + res + "=" + format_number(std::ceil(amount)) + " or more");
      }
    }
  }
}

/// Worker threads of a run with --executor slurm, unless --threads says: each waits for one
/// job, so they bound how many jobs are in the queue at once (a map's array goes whole).
inline constexpr unsigned slurm_threads = 64;

/// The run options a run starts from: the program's own (given to typeflow::main), with the
/// command line's flags over them: --threads, --fail-fast, --params-file and each --capacity
/// replace what the program set; its other settings (observers, retries, timeouts, capacities
/// the command line does not name) are kept.
inline run_options base_options(const pipeline& p, const run_flags& f, const run_options* program) {
  run_options ro = program != nullptr ? *program : run_options{};
  ro.run_id({});  // the store gives each run its own id
  if (f.threads != 0) ro.threads(f.threads);
  if (f.fail_fast) ro.fail_fast();
  if (!f.params_file.empty()) ro.params_file(f.params_file);
  std::set<std::string> given;
  for (const auto& text : f.capacities) {
    auto [name, amount] = parse_capacity(p, text);
    if (!given.insert(name).second) {
      throw usage_error("typeflow: --capacity gives resource '" + name + "' twice",
                        "give each resource once");
    }
    ro.capacity(std::move(name), amount);
  }
  if (f.executor == "slurm") {
    // Slurm places the jobs by their resources; a --capacity given still bounds how many
    // steps asking for it are submitted at once.
    if (f.threads == 0) ro.threads(slurm_threads);
    for (const auto& name : resource_names(p)) {
      if (ro.capacities().count(name) == 0) ro.capacity(name, 1e15);
    }
  }
  check_capacities(p, ro);
  return ro;
}

/// Checks a run's flags against the pipeline and builds its store options, their base() the
/// run options of base_options() (observers are added by launch()). Parameters are resolved
/// here, so a bad value is refused before the store is touched.
inline store_options make_options(const pipeline& p, const run_flags& f, bool check_params = true,
                                  const run_options* program = nullptr) {
  store_options o;
  check_steps(p, f.only, "--only");
  check_steps(p, f.from, "--from");
  check_steps(p, f.to, "--to");
  check_steps(p, f.breaks, "--break");
  const auto& d = *p.definition();
  for (const auto& s : f.scenes) {
    bool found = false;
    std::vector<std::string> known;
    for (const auto& sc : d.scenes) {
      found = found || sc.name == s;
      known.push_back(sc.name);
    }
    if (!found) {
      throw usage_error(
          "typeflow: unknown scene '" + s + "' in --scene; " +
              (known.empty() ? std::string("pipeline '") + std::string(p.name()) + "' has no scenes"
                             : "scenes are: " + join(known)),
          "");
    }
    o.scene(s);
  }
  for (const auto& s : f.only) o.only(s);
  for (const auto& s : f.from) o.from(s);
  for (const auto& s : f.to) o.to(s);
  auto base = base_options(p, f, program);
  // The program's own values first (their errors name run_options::set), then --param's.
  param_sources sources;
  sources.file = base.params_file();
  sources.overrides_origin = "--param";
  for (const auto& [k, v] : base.overrides()) {
    if (check_params) {
      (void)detail::parse_param_value(d, detail::find_param(d, k, v, "run_options::set"), v,
                                      "run_options::set");
    }
    sources.overrides.emplace_back(k, v);
  }
  for (const auto& kv : f.params) {
    auto [k, v] = split_pair(kv, "--param", "NAME=VALUE");
    o.set(k, v);
    sources.overrides.emplace_back(k, v);
  }
  for (const auto& kv : f.tags) {
    auto [k, v] = split_pair(kv, "--tag", "KEY=VALUE");
    o.tag(k, v);
  }
  if (check_params) (void)resolve_params(p, sources);  // throws run_error naming the parameter
  if (!f.experiment.empty()) o.experiment(f.experiment);
  if (!f.inputs_from.empty()) o.inputs_from(f.inputs_from);
  o.no_cache(f.no_cache);
  o.base(std::move(base));
  return o;
}

/// Adds the flags a run takes. `selection`: --only/--from/--to/--scene/--inputs-from.
inline void add_run_flags(CLI::App& c, run_flags& f, std::string& store_flag, bool selection,
                          bool params) {
  if (params) {
    c.add_option("--param", f.params, "set a parameter: NAME=VALUE (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--params-file", f.params_file, "a JSON object of parameter values");
  }
  if (selection) {
    c.add_option("--only", f.only, "run only these steps (comma-separated)")->delimiter(',');
    c.add_option("--from", f.from, "run this step and everything downstream")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--to", f.to, "run this step and everything it needs")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--scene", f.scenes, "run a scene declared with pipeline::scene")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    c.add_option("--inputs-from", f.inputs_from, "take the inputs of steps not run from this run");
  }
  c.add_flag("--no-cache", f.no_cache,
             "run every selected step, even when the cache has its output");
  c.add_option("--threads", f.threads, "worker threads (default: one per core)")
      ->check(CLI::Range(1u, 4096u));
  c.add_option("--experiment", f.experiment, "the experiment the run belongs to");
  c.add_option("--tag", f.tags, "tag the run: KEY=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.add_flag("--fail-fast", f.fail_fast, "stop everything at the first failure");
  c.add_option("--capacity", f.capacities,
               "the run's capacity of a resource the steps ask for: NAME=N (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.add_option("--store", store_flag,
               "the run store's directory (default: $TYPEFLOW_STORE, else ./.typeflow)");
  c.add_option("--executor", f.executor,
               "where steps run: local (this process's threads) or slurm (a job each, "
               "submitted with sbatch; docs/slurm.md)")
      ->check(CLI::IsMember({"local", "slurm"}));
  c.add_option("--slurm-arg", f.slurm_args,
               "an sbatch option for every job, written --slurm-arg=--partition=gpu "
               "(repeatable; with --executor slurm)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c.add_flag("--quiet", f.quiet, "print only the summary");
  c.add_flag("--json", f.json, "print one JSON line per event, then the run as one JSON document");
}

/// Pauses a debug run before the steps named by --break.
class breakpoints : public observer {
 public:
  breakpoints(std::set<std::string> steps, std::istream& in, std::ostream& out,
              std::stop_source stop)
      : steps_(std::move(steps)), in_(in), out_(out), stop_(std::move(stop)) {}
  void on_event(const event& e) override {
    if (e.kind != event_kind::step_started || e.attempt != 1) return;
    if (steps_.count(std::string(e.step)) == 0) return;
    std::lock_guard lock(m_);
    if (stop_.stop_requested()) return;
    out_ << "paused before " << e.step << "; press Enter to continue, q to stop" << std::endl;
    std::string line;
    if (!std::getline(in_, line)) return;  // end of input: continue
    if (!line.empty() && (line[0] == 'q' || line[0] == 'Q')) {
      out_ << "stopping the run" << std::endl;
      stop_.request_stop();
    }
  }

 private:
  std::set<std::string> steps_;
  std::istream& in_;
  std::ostream& out_;
  std::stop_source stop_;
  std::mutex m_;
};

enum class launch_kind : std::uint8_t { run, debug, retry, copy };

/// This program's own file, which jobs run (/proc/self/exe: argv[0] may be relative).
inline std::filesystem::path self_program() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    throw std::runtime_error(
        "typeflow: --executor slurm: cannot find this program's file "
        "(/proc/self/exe: " +
        ec.message() + ")");
  }
  return self;
}

/// Runs `p` through the store as `kind` says: a new run, or a retry or copy of run `origin`.
/// The command line's launch() and the browser's POST /api/runs, /retry and /copy start runs
/// with it.
inline stored_run start_in_store(const pipeline& p, store& st, launch_kind kind,
                                 const std::string& origin, const store_options& o) {
  switch (kind) {
    case launch_kind::retry: return st.retry(p, origin, o);
    case launch_kind::copy: return st.copy(p, origin, o);
    default: return st.run(p, o);
  }
}

/// The Slurm launcher of a run with `f` (--executor slurm, --slurm-arg, and
/// $TYPEFLOW_SLURM_ARRAY_MAX), a retry adopting the jobs of run `origin`; none for --executor
/// local. Throws usage_error for --slurm-arg without --executor slurm or a bad
/// TYPEFLOW_SLURM_ARRAY_MAX. The command line's launch() and the browser run mode's runs use it.
inline std::shared_ptr<slurm_launcher> slurm_launcher_for(const store& st, const run_flags& f,
                                                          launch_kind kind,
                                                          const std::string& origin) {
  if (f.executor != "slurm") {
    if (!f.slurm_args.empty()) {
      throw usage_error("typeflow: --slurm-arg is for --executor slurm",
                        "add --executor slurm, or drop --slurm-arg");
    }
    return nullptr;
  }
  slurm_options so;
  so.store = st.path();
  so.program = self_program();
  so.sbatch_args = f.slurm_args;
  if (const char* max = std::getenv("TYPEFLOW_SLURM_ARRAY_MAX"); max != nullptr && *max != 0) {
    std::size_t n = 0;
    const auto* end = max + std::strlen(max);
    const auto [at, ec] = std::from_chars(max, end, n);
    if (ec != std::errc{} || at != end || n == 0) {
      throw usage_error("typeflow: TYPEFLOW_SLURM_ARRAY_MAX='" + std::string(max) +
                            "' is not a whole number of at least 1",
                        "set it to the most elements one job array may hold, or unset it "
                        "(the cluster's MaxArraySize)");
    }
    so.array_max = n;
  }
  if (kind == launch_kind::retry) so.adopt_from.push_back(origin);
  return make_slurm_launcher(std::move(so));
}

/// Starts one run through the store with the live view and --json output; `outer` stops it
/// (the caller's Ctrl-C watch). Returns the exit code. Throws usage_error / run_error for
/// input the run refused.
inline int launch(const pipeline& p, store& st, launch_kind kind, const std::string& origin,
                  store_options o, const run_flags& f, cli_io& io, std::stop_token outer = {}) {
  const auto mode = f.json    ? progress_mode::json
                    : f.quiet ? progress_mode::quiet
                    // debug prompts on stdout: no live view redrawing over them
                    : io.terminal && kind != launch_kind::debug ? progress_mode::live
                                                                : progress_mode::plain;
  progress_view view{io.out, mode, step_names(p).size()};
  std::stop_source stop;
  std::optional<std::stop_callback<std::function<void()>>> link;
  if (outer.stop_possible())
    link.emplace(outer, std::function<void()>([stop]() mutable { stop.request_stop(); }));
  run_options ro = o.base();  // the program's options and the flags (make_options)
  std::optional<std::stop_callback<std::function<void()>>> program_link;
  if (ro.external_stop().stop_possible()) {
    program_link.emplace(ro.external_stop(),
                         std::function<void()>([stop]() mutable { stop.request_stop(); }));
  }
  ro.stop_token(stop.get_token()).observe(view);
  ask_for_delayed_params(ro, p, st, io, view, mode, stop);
  std::shared_ptr<breakpoints> bp;
  if (f.executor == "slurm" && kind == launch_kind::debug) {
    throw usage_error(
        "typeflow: debug runs its steps in this process, one at a time; it "
        "takes no --executor slurm",
        "use '" + io.prog + " run --executor slurm'");
  }
  const auto slurm = slurm_launcher_for(st, f, kind, origin);
  if (slurm) ro.launcher(slurm);
  if (kind == launch_kind::debug) {
    ro.threads(1);
    o.sequential();
    if (!f.breaks.empty()) {
      bp = std::make_shared<breakpoints>(std::set<std::string>(f.breaks.begin(), f.breaks.end()),
                                         io.in, io.out, stop);
      ro.observe(bp);
    }
  }
  o.base(ro);
  if (!f.notify_cmd.empty()) o.observe(std::make_shared<command_notifier>(f.notify_cmd));
  view.start();
  std::optional<stored_run> r;
  try {
    r.emplace(start_in_store(p, st, kind, origin, o));
  } catch (...) {
    view.stop();
    throw;
  }
  view.stop();
  st.flush();
  // Records that could not be stored (a full disk): the store's record of the run is
  // incomplete, or missing. The summary is printed from what the store holds, if anything,
  // and the exit code is not 0.
  const bool lost = r->store_errors() != 0;
  std::optional<run_details> d;
  try {
    d.emplace(st.show(r->run_id()));
  } catch (const std::exception&) {
    if (!lost) throw;
  }
  if (d && f.json) {
    io.out << detail::json_text(details_json(make_run_document(std::move(*d)))) << '\n';
  } else if (d) {
    io.out << summary_table(*d);
    if (slurm) {
      const auto c = slurm->calls();
      io.out << "slurm: " << c.jobs << " jobs submitted, " << c.adopted << " adopted; sbatch "
             << c.sbatch << ", squeue " << c.squeue << ", scontrol " << c.scontrol << ", scancel "
             << c.scancel << " calls\n";
    }
  }
  io.out.flush();
  if (lost) {
    io.err << io.prog << ": error: run " << r->run_id() << " " << to_string(r->status()) << ", but "
           << r->store_errors() << " of its records could not be stored (" << r->lost_records()
           << "); the store's record of it is incomplete. First error: " << r->first_store_error()
           << '\n';
    const int code = exit_for(r->status());
    return code == exit_ok ? exit_unstored : code;
  }
  return exit_for(r->status());
}

}  // namespace typeflow::cli_detail
