#pragma once
// The definitions of launch/slurm.hpp: the Slurm launcher, its poller and its job files.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/codec.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/detail/threads.hpp>
#include <typeflow/exec/launcher.hpp>
#include <typeflow/launch/detail/artifacts.hpp>
#include <typeflow/launch/detail/process.hpp>
#include <typeflow/launch/detail/slurm_jobs.hpp>
#include <typeflow/launch/job_files.hpp>
#include <typeflow/launch/slurm.hpp>
#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/detail/hash.hpp>
#include <typeflow/store/logs.hpp>
#include <typeflow/store/structure_hash.hpp>

namespace typeflow {

TYPEFLOW_INLINE bool runs_as_job(const detail::definition& d, detail::node_id u) {
  const auto& nd = d.nodes[u];
  if (nd.kind != detail::node_kind::step && nd.kind != detail::node_kind::map) return false;
  if (nd.role != detail::node_role::plain) return false;
  if (nd.policy && !nd.policy->persist) return false;
  const bool returns_void = *nd.output_type == typeid(void);
  if (nd.kind == detail::node_kind::map) {
    if (nd.map->element_codec == nullptr) return false;
  } else if (!returns_void && nd.codec == nullptr) {
    return false;
  }
  for (std::uint32_t i = 0; i < nd.input_count; ++i) {
    const auto& producer = d.nodes[d.ports[d.inputs[nd.first_input + i]].node];
    if (producer.codec == nullptr) return false;
    if (producer.kind != detail::node_kind::parameter && producer.policy &&
        !producer.policy->persist) {
      return false;
    }
  }
  return true;
}

TYPEFLOW_INLINE std::vector<std::string> slurm_step_args(const detail::definition& d,
                                                         detail::node_id u,
                                                         std::chrono::nanoseconds limit) {
  std::vector<std::string> args;
  const auto& nd = d.nodes[u];
  const auto whole = [](double amount) {
    return std::to_string(static_cast<std::uint64_t>(std::ceil(amount - 1e-9)));
  };
  if (nd.policy) {
    std::vector<std::string> gres;
    for (const auto& [name, amount] : nd.policy->resources) {
      if (name == "cpus") {
        args.push_back("--cpus-per-task=" + whole(amount));
      } else if (name == "mem_mb") {
        args.push_back("--mem=" + whole(amount) + "M");
      } else {
        gres.push_back(name + ":" + whole(amount));
      }
    }
    if (!gres.empty()) {
      std::string all = "--gres=";
      for (std::size_t i = 0; i < gres.size(); ++i) all += (i == 0 ? "" : ",") + gres[i];
      args.push_back(std::move(all));
    }
  }
  if (limit.count() > 0) {
    const auto minutes = std::chrono::ceil<std::chrono::minutes>(limit).count() + 1;
    args.push_back("--time=" + std::to_string(minutes));
  }
  if (nd.policy) {
    args.insert(args.end(), nd.policy->executor_args.begin(), nd.policy->executor_args.end());
  }
  return args;
}

namespace launch_detail {

namespace fs = std::filesystem;

/// The request's element, or none for a whole step. (A function: g++ 12 warned that the
/// conditional's optional "may be used uninitialized".)
inline std::optional<std::size_t> element_of(const launch_request& r) {
  std::optional<std::size_t> out;
  if (r.element != detail::none) out.emplace(r.element);
  return out;
}

/// Elements of a map step from `first` on, `count` of them, as one job array: count > 0. A
/// whole step or a single element: count == 0.
struct array_part {
  std::size_t first = 0, count = 0;
};

class slurm_impl final : public slurm_launcher {
 public:
  explicit slurm_impl(slurm_options o) : o_(std::move(o)), files_(o_.store / "artifacts") {}

  slurm_impl(const slurm_impl&) = delete;
  slurm_impl& operator=(const slurm_impl&) = delete;

  ~slurm_impl() override {
    {
      std::lock_guard lock(m_);
      stopping_ = true;
    }
    poll_cv_.notify_all();
    if (poller_.joinable()) poller_.join();
  }

  [[nodiscard]] slurm_calls calls() const override {
    std::lock_guard lock(m_);
    return calls_;
  }

  void prepare(const run_view& run) override {
    run_id_ = run.run_id();
    pipeline_ = std::string(run.pipeline());
    structure_ = structure_hash(run.definition());
  }

  [[nodiscard]] bool launches(const run_view& run, detail::node_id u) const override {
    return runs_as_job(run.definition(), u);
  }

  attempt_result launch(const launch_request& r) override {
    const auto& d = r.run.definition();
    const auto& nd = d.nodes[r.node];
    const std::string step(nd.name);
    const auto element = element_of(r);
    const auto dir = job_dir(o_.store, run_id_, step, r.attempt);

    step_task task;
    task.pipeline = pipeline_;
    task.structure_hash = structure_;
    task.run_id = run_id_;
    task.step = step;
    task.attempt = r.attempt;
    task.limit_ns = r.limit.count();
    task.elements = r.elements;
    for (std::uint32_t i = 0; i < nd.input_count; ++i) {
      task.inputs.push_back(
          r.inputs[i] == nullptr
              ? std::string{}
              : artifact_of(d, d.ports[d.inputs[nd.first_input + i]].node, *r.inputs[i]));
    }

    std::shared_ptr<watched_job> job = adopted(task, element);
    if (!job) {
      const auto task_path = dir / "task.json";
      {
        std::lock_guard lock(task_mutex_);
        if (!fs::exists(task_path)) write_file_atomically(task_path, task_text(task));
      }
      job = submit(d, r, task, dir, element);
    }
    return wait(r, *job, element);
  }

 private:
  /// The artifact holding node `u`'s whole output, written once per run.
  std::string artifact_of(const detail::definition& d, detail::node_id u, const detail::box& b) {
    {
      std::lock_guard lock(m_);
      if (auto it = artifacts_.find(u); it != artifacts_.end()) return it->second;
    }
    auto hash = write_artifact(files_, *d.nodes[u].codec, b.get());
    std::lock_guard lock(m_);
    artifacts_.emplace(u, hash);
    return hash;
  }

  /// An earlier driver's job for this attempt (a retry re-attaching): its result when it
  /// succeeded, or the job itself while Slurm still has it queued or running.
  std::shared_ptr<watched_job> adopted(const step_task& task, std::optional<std::size_t> element) {
    for (const auto& old_run : o_.adopt_from) {
      const auto root = o_.store / "jobs" / old_run / task.step;
      std::error_code ec;
      if (!fs::is_directory(root, ec)) continue;
      std::vector<unsigned> attempts;
      for (const auto& entry : fs::directory_iterator(root, ec)) {
        const auto name = entry.path().filename().string();
        if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
            name.size() < 7) {
          attempts.push_back(static_cast<unsigned>(std::stoul(name)));
        }
      }
      // The unit's newest attempt is the newest directory with a job id or a result of its
      // own (a map's elements share the directories; an element retried alone has more).
      std::sort(attempts.rbegin(), attempts.rend());
      for (const unsigned attempt : attempts) {
        const auto dir = root / std::to_string(attempt);
        if (!fs::exists(job_id_file(dir, element), ec) &&
            !fs::exists(result_file(dir, element), ec)) {
          continue;
        }
        if (auto job = adopt_from(dir, old_run, task, element, attempt)) return job;
        break;
      }
    }
    return nullptr;
  }

  /// Attempt `attempt` of an earlier driver's run `old_run` (its files in `dir`), when it ran on
  /// the same inputs and either succeeded or Slurm still has its job queued or running.
  std::shared_ptr<watched_job> adopt_from(const fs::path& dir, const std::string& old_run,
                                          const step_task& task, std::optional<std::size_t> element,
                                          unsigned attempt) {
    try {
      const auto old_task_text = read_small_file(dir / "task.json");
      if (!old_task_text) return nullptr;
      const auto old_task = parse_task(*old_task_text, (dir / "task.json").string());
      if (old_task.inputs != task.inputs || old_task.structure_hash != task.structure_hash) {
        return nullptr;  // it ran on other inputs: not this attempt's job
      }
    } catch (const std::exception&) {
      return nullptr;
    }
    auto job = std::make_shared<watched_job>();
    job->result = result_file(dir, element);
    job->log = attempt_log_path(o_.store, old_run, task.step, element, attempt);
    const auto count_adopted = [this] {
      std::lock_guard lock(m_);
      ++calls_.adopted;
    };
    if (auto text = read_small_file(job->result)) {
      try {
        if (parse_result(*text, job->result.string()).status != "succeeded") return nullptr;
      } catch (const std::exception&) {
        return nullptr;  // ended without success (or unreadable): this attempt runs again
      }
      job->id = "(adopted)";
      job->done = true;
      count_adopted();
      return job;
    }
    auto id = read_small_file(job_id_file(dir, element));
    if (!id) return nullptr;
    job->id = trimmed(*id);
    const auto q =
        slurm(&slurm_calls::squeue, {"squeue", "-h", "-r", "-j", job->id, "-o", "%i|%T"});
    std::error_code ec;
    if (q.status != 0 || q.out.find(job->id + "|") == std::string::npos) {
      // Gone from the queue: its result may have come since, else it ended without one.
      if (!fs::exists(job->result, ec)) return nullptr;
    }
    track(job);
    count_adopted();
    return job;
  }

  std::vector<std::string> sbatch_command(const detail::definition& d, const launch_request& r,
                                          array_part part = array_part{}) {
    const std::string step(d.nodes[r.node].name);
    // --no-requeue: a job whose node is lost ends NODE_FAIL (the driver retries it as a new
    // attempt) instead of being requeued under the same id behind the driver's back.
    std::vector<std::string> cmd{"sbatch", "--parsable", "--no-requeue",
                                 "--job-name=typeflow:" + pipeline_ + ":" + step};
    std::string script = shell_quoted(o_.program.string()) + " run-step " + shell_quoted(step) +
                         " --run " + shell_quoted(run_id_) + " --store " +
                         shell_quoted(o_.store.string()) + " --attempt " +
                         std::to_string(r.attempt);
    // The job's stdout and stderr (its ctx.log lines among them) go to the attempt's log file,
    // where `prog logs` finds them as for a local run. Slurm does not create directories. An
    // array task's element is its task id plus the part's first: the task's script redirects
    // its own output, as %a in --output would name the task, not the element.
    if (part.count > 0) {
      for (std::size_t i = part.first; i < part.first + part.count; ++i) {
        fs::create_directories(
            attempt_log_path(o_.store, run_id_, step, i, r.attempt).parent_path());
      }
      cmd.push_back("--array=0-" + std::to_string(part.count - 1));
      cmd.push_back("--output=/dev/null");
      const auto logs = shell_quoted((run_log_dir(o_.store, run_id_) / step).string());
      script = "i=$((SLURM_ARRAY_TASK_ID + " + std::to_string(part.first) + "))\nexec " + script +
               " --element \"$i\" >>" + logs + "\".$i/" + std::to_string(r.attempt) + ".log\" 2>&1";
    } else {
      const auto element = element_of(r);
      const auto log = attempt_log_path(o_.store, run_id_, step, element, r.attempt);
      fs::create_directories(log.parent_path());
      cmd.push_back("--output=" + log.string());
      script = "exec " + script;
      if (element) script += " --element " + std::to_string(*element);
    }
    for (auto& a : slurm_step_args(d, r.node, r.limit)) cmd.push_back(std::move(a));
    cmd.insert(cmd.end(), o_.sbatch_args.begin(), o_.sbatch_args.end());
    cmd.push_back("--wrap=" + script);
    return cmd;
  }

  /// The most elements one job array holds: the options' array_max, else the cluster's
  /// MaxArraySize (task ids run from 0 to MaxArraySize - 1), else 1000.
  std::size_t array_max() {
    if (o_.array_max > 0) return o_.array_max;
    std::call_once(array_max_once_, [this] {
      std::size_t n = 1000;
      const auto c = slurm(&slurm_calls::scontrol, {"scontrol", "show", "config"});
      std::istringstream in(c.out);
      for (std::string line; std::getline(in, line);) {
        if (line.rfind("MaxArraySize", 0) != 0) continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos) break;
        try {
          if (const auto max = std::stoul(line.substr(eq + 1)); max > 0) n = max;
        } catch (const std::exception&) {
        }
        break;
      }
      array_max_ = n;
    });
    return array_max_;
  }

  /// Runs one of Slurm's commands and counts the call under `counter`. Not under m_.
  command_output slurm(std::uint64_t slurm_calls::*counter, const std::vector<std::string>& argv) {
    auto out = run_command(argv);
    std::lock_guard lock(m_);
    ++(calls_.*counter);
    return out;
  }

  /// Cancels job `id` (scancel), counted.
  void cancel(const std::string& id) { (void)slurm(&slurm_calls::scancel, {"scancel", id}); }

  /// Runs sbatch; the job id it prints.
  std::string sbatch(const std::vector<std::string>& cmd, std::string_view what) {
    const auto out = slurm(&slurm_calls::sbatch, cmd);
    auto id = trimmed(out.out);
    if (auto semi = id.find(';'); semi != std::string::npos) id.resize(semi);
    if (out.status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      throw std::runtime_error("sbatch refused " + std::string(what) + " (exit " +
                               std::to_string(out.status) +
                               "): " + trimmed(out.err.empty() ? out.out : out.err));
    }
    return id;
  }

  std::shared_ptr<watched_job> submit(const detail::definition& d, const launch_request& r,
                                      const step_task& task, const fs::path& dir,
                                      std::optional<std::size_t> element) {
    const std::string step(d.nodes[r.node].name);
    auto job = std::make_shared<watched_job>();
    job->result = result_file(dir, element);
    job->log = attempt_log_path(o_.store, run_id_, step, element, r.attempt);
    if (element && r.attempt == 1) {
      // A map's first attempts go as job arrays of at most array_max() elements, each
      // submitted by the first of its elements to come; the others wait for it and share its
      // job id, or its refusal.
      const auto max = array_max();
      const array_part part{*element / max * max,
                            std::min(max, task.elements - *element / max * max)};
      std::string base;
      {
        std::unique_lock lock(array_mutex_);
        auto [it, first] = arrays_.try_emplace({r.node, part.first});
        if (first) {
          try {
            it->second.id = sbatch(sbatch_command(d, r, part),
                                   "the job array of map step '" + step + "' (elements " +
                                       std::to_string(part.first) + " to " +
                                       std::to_string(part.first + part.count - 1) + ")");
          } catch (const std::exception& e) {
            it->second.error = e.what();
          }
          if (!it->second.id.empty()) {
            for (std::size_t i = part.first; i < part.first + part.count; ++i) {
              write_file_atomically(job_id_file(dir, i),
                                    it->second.id + "_" + std::to_string(i - part.first) + "\n");
            }
            std::lock_guard count(m_);
            calls_.jobs += part.count;
          }
        }
        if (!it->second.error.empty()) throw std::runtime_error(it->second.error);
        base = it->second.id;
      }
      job->id = base + "_" + std::to_string(*element - part.first);
    } else {
      const auto unit = element ? step + "[" + std::to_string(*element) + "]" : step;
      job->id = sbatch(sbatch_command(d, r),
                       "attempt " + std::to_string(r.attempt) + " of step '" + unit + "'");
      write_file_atomically(job_id_file(dir, element), job->id + "\n");
      std::lock_guard count(m_);
      ++calls_.jobs;
    }
    track(job);
    return job;
  }

  void track(const std::shared_ptr<watched_job>& job) {
    std::lock_guard lock(m_);
    watched_.push_back(job);
    woken_ = true;
    if (!poller_.joinable()) {
      poller_ = detail::start_thread("the Slurm launcher's poller", [this] { poll_loop(); });
    }
    poll_cv_.notify_all();
  }

  attempt_result wait(const launch_request& r, watched_job& job,
                      std::optional<std::size_t> element) {
    const auto& d = r.run.definition();
    const auto& nd = d.nodes[r.node];
    {
      auto wake = [this]() noexcept {
        std::lock_guard lock(m_);
        done_cv_.notify_all();
      };
      std::stop_callback<decltype(wake)> on_stop(r.ctx.stop_token(), wake);
      std::unique_lock lock(m_);
      done_cv_.wait(lock, [&] { return job.done || r.ctx.stop_requested(); });
      if (!job.done) {
        lock.unlock();
        cancel(job.id);
        lock.lock();
        woken_ = true;
        poll_cv_.notify_all();
        done_cv_.wait_for(lock, o_.cancel_wait, [&] { return job.done; });
        if (!fs::exists(job.result)) {
          return {attempt_result::how::failed,
                  "the run was stopped: Slurm job " + job.id + " was cancelled"};
        }
      }
    }
    std::optional<std::string> text;
    try {
      text = read_small_file(job.result);
    } catch (const std::exception& e) {
      return {attempt_result::how::failed, e.what()};
    }
    if (!text && !job.never.empty()) {
      cancel(job.id);
      return {attempt_result::how::failed,
              "Slurm would never run job " + job.id + " (pending, reason: " + job.never +
                  "): it asks for more than the partition's nodes have; it was cancelled"};
    }
    if (!text) return job_ended(job);
    step_result result;
    try {
      result = parse_result(*text, job.result.string());
    } catch (const std::exception& e) {
      return {attempt_result::how::failed, e.what()};
    }
    for (const auto& [name, value, index] : result.metrics) r.ctx.log_metric(name, value, index);
    attempt_result out;
    out.message = result.message;
    if (result.status == "succeeded") {
      out.end = attempt_result::how::succeeded;
      if (!result.output.empty()) {
        const auto* codec = element ? nd.map->element_codec : nd.codec;
        try {
          read_artifact(files_, result.output, *codec, r.out,
                        "the output of step '" + std::string(nd.name) +
                            (element ? "[" + std::to_string(*element) + "]" : "") +
                            "', from Slurm job " + job.id);
        } catch (const std::exception& e) {
          return {attempt_result::how::failed, e.what()};
        }
      }
    } else if (result.status == "skipped") {
      out.end = attempt_result::how::skipped;
    } else if (result.status == "timed_out") {
      out.end = attempt_result::how::timed_out;
    } else {
      out.end = attempt_result::how::failed;
    }
    return out;
  }

  /// Looks at the pending jobs' result files every poll_min (a stat each: cheap, and how most
  /// jobs are seen to end), and asks squeue about the rest at intervals that start at
  /// poll_min after a submission or an end and grow by half up to poll_max.
  void poll_loop() {
    using clock = std::chrono::steady_clock;
    auto interval = o_.poll_min;
    auto next_squeue = clock::now();
    std::unique_lock lock(m_);
    for (;;) {
      poll_cv_.wait_for(lock, o_.poll_min, [&] { return stopping_ || woken_; });
      if (stopping_) return;
      if (woken_) {
        interval = o_.poll_min;
        next_squeue = std::min(next_squeue, clock::now() + interval);
      }
      woken_ = false;
      std::vector<std::shared_ptr<watched_job>> pending;
      for (const auto& j : watched_) {
        if (!j->done) pending.push_back(j);
      }
      if (pending.empty()) {
        watched_.clear();
        poll_cv_.wait(lock, [&] { return stopping_ || woken_; });
        continue;
      }
      const bool ask = clock::now() >= next_squeue;
      lock.unlock();
      const auto ended = poll_once(pending, ask);
      lock.lock();
      if (ended) done_cv_.notify_all();
      if (ask) {
        interval =
            ended
                ? o_.poll_min
                : std::min(o_.poll_max,
                           std::chrono::duration_cast<std::chrono::milliseconds>(interval * 3 / 2));
        next_squeue = clock::now() + interval;
      }
      std::erase_if(watched_, [](const auto& j) { return j->done; });
    }
  }

  /// One look at the pending jobs' result files, and with `ask` at Slurm's queue for the rest;
  /// true when one ended. Marks ended jobs done under m_.
  bool poll_once(const std::vector<std::shared_ptr<watched_job>>& pending, bool ask) {
    std::vector<std::shared_ptr<watched_job>> ended, rest;
    std::error_code ec;
    for (const auto& j : pending) {
      (fs::exists(j->result, ec) ? ended : rest).push_back(j);
    }
    if (ask && !rest.empty()) {
      std::string ids;
      for (const auto& j : rest) ids += (ids.empty() ? "" : ",") + j->id;
      const auto q =
          slurm(&slurm_calls::squeue, {"squeue", "-h", "-r", "-j", ids, "-o", "%i|%T|%r"});
      const bool none_known = q.status != 0 && q.err.find("Invalid job id") != std::string::npos;
      if (q.status == 0 || none_known) {
        std::map<std::string, std::pair<std::string, std::string>> live;
        std::istringstream in(q.out);
        for (std::string line; std::getline(in, line);) {
          const auto a = line.find('|');
          const auto b = line.find('|', a + 1);
          if (a == std::string::npos || b == std::string::npos) continue;
          live[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
        }
        for (const auto& j : rest) {
          if (auto it = live.find(j->id); it != live.end()) {
            std::lock_guard lock(m_);
            j->state = it->second.first;
            j->reason = it->second.second;
            if (j->state == "PENDING" && never_runs(j->reason) && j->never.empty()) {
              j->never = j->reason;  // wait() cancels it and fails the attempt, naming why
              ended.push_back(j);
            }
            continue;
          }
          // Left the queue: how it ended, from Slurm's memory of finished jobs.
          const auto s = slurm(&slurm_calls::scontrol, {"scontrol", "show", "job", "-o", j->id});
          auto fields = scontrol_fields(s.out);
          std::lock_guard lock(m_);
          if (s.status == 0) {
            const auto state = fields["JobState"];
            if (state == "PENDING" || state == "RUNNING" || state == "CONFIGURING" ||
                state == "COMPLETING" || state == "SUSPENDED" || state == "REQUEUED") {
              j->state = state;  // squeue missed it (an array task being split off)
              continue;
            }
            j->state = state;
            j->reason = fields["Reason"];
            j->exit_code = fields["ExitCode"];
          } else {
            j->state.clear();
          }
          ended.push_back(j);
        }
      }
    }
    if (ended.empty()) return false;
    std::lock_guard lock(m_);
    for (const auto& j : ended) j->done = true;
    return true;
  }

  slurm_options o_;
  store_detail::artifact_files files_;
  std::string run_id_, pipeline_, structure_;
  mutable std::mutex m_;  ///< guards what follows, and every watched_job's fields
  std::condition_variable done_cv_;
  std::condition_variable poll_cv_;
  std::vector<std::shared_ptr<watched_job>> watched_;
  std::map<detail::node_id, std::string> artifacts_;
  slurm_calls calls_;
  bool stopping_ = false;
  bool woken_ = false;
  std::mutex task_mutex_;
  std::mutex array_mutex_;
  struct array_submission {
    std::string id;     ///< the array's job id
    std::string error;  ///< sbatch's refusal
  };
  std::map<std::pair<detail::node_id, std::size_t>, array_submission> arrays_;  ///< by (map, first)
  std::once_flag array_max_once_;
  std::size_t array_max_ = 0;  ///< set once, under array_max_once_
  std::thread poller_;
};

}  // namespace launch_detail

TYPEFLOW_INLINE std::shared_ptr<slurm_launcher> make_slurm_launcher(slurm_options options) {
  std::error_code ec;
  if (options.store.empty() || !std::filesystem::is_directory(options.store, ec)) {
    throw std::invalid_argument("typeflow: the Slurm launcher's store directory '" +
                                options.store.string() + "' is not a directory");
  }
  if (options.program.empty() || !std::filesystem::is_regular_file(options.program, ec)) {
    throw std::invalid_argument("typeflow: the Slurm launcher's program '" +
                                options.program.string() + "' is not a file");
  }
  options.store = std::filesystem::absolute(options.store);
  options.program = std::filesystem::absolute(options.program);
  return std::make_shared<launch_detail::slurm_impl>(std::move(options));
}

}  // namespace typeflow
