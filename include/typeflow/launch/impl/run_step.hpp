#pragma once
// The definitions of launch/run_step.hpp.

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <ostream>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <unistd.h>

#include <typeflow/config.hpp>
#include <typeflow/core/codec.hpp>
#include <typeflow/core/context.hpp>
#include <typeflow/exec/launcher.hpp>
#include <typeflow/launch/detail/artifacts.hpp>
#include <typeflow/launch/job_files.hpp>
#include <typeflow/launch/run_step.hpp>
#include <typeflow/store/detail/files.hpp>
#include <typeflow/store/structure_hash.hpp>

namespace typeflow {

namespace launch_detail {

/// Where a job's metrics go: kept for the result file; progress is not kept.
class job_sink final : public detail::context_sink {
 public:
  void metric(const context&, std::string_view name, double value, std::int64_t index) override {
    std::lock_guard lock(m_);
    points.emplace_back(std::string(name), value, index);
  }
  void progress(const context&, std::uint64_t, std::uint64_t) override {}
  /// A line the step logs goes to the job's stdout: the attempt's log file (sbatch --output).
  void log(const context&, std::string_view text) override {
    std::lock_guard lock(m_);
    out_ << text << '\n' << std::flush;
  }

  explicit job_sink(std::ostream& out) : out_(out) {}
  std::ostream& out_;
  std::mutex m_;
  std::vector<std::tuple<std::string, double, std::int64_t>> points;
};

inline std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

}  // namespace launch_detail

TYPEFLOW_INLINE int run_step(const pipeline& p, const run_step_request& rq, std::ostream& out,
                             std::ostream& err) {
  const auto& d = *p.definition();
  const auto dir = job_dir(rq.store, rq.run_id, rq.step, rq.attempt);
  const auto task_path = dir / "task.json";
  const auto where = task_path.string();
  const auto unit = rq.step + (rq.element ? "[" + std::to_string(*rq.element) + "]" : "");
  std::optional<std::string> task_text_read;
  try {
    task_text_read = read_small_file(task_path);
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 2;
  }
  if (!task_text_read) {
    err << "typeflow: run-step: run '" << rq.run_id << "' has no task for attempt " << rq.attempt
        << " of step '" << rq.step << "' (no file '" << where
        << "'): the driver writes it before it submits the job\n";
    return 2;
  }
  step_task task;
  try {
    task = parse_task(*task_text_read, where);
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 2;
  }
  const auto mine = structure_hash(p);
  if (task.structure_hash != mine || task.pipeline != p.name()) {
    err << "typeflow: run-step: this binary's pipeline '" << p.name() << "' (structure " << mine
        << ") is not the one run '" << rq.run_id << "' ran: pipeline '" << task.pipeline
        << "' (structure " << task.structure_hash
        << "); run the job with the driver's binary, built from the same code\n";
    return 2;
  }
  const auto u = d.find(rq.step);
  if (u == detail::none || task.step != rq.step || task.run_id != rq.run_id) {
    err << "typeflow: run-step: the task '" << where << "' is for step '" << task.step
        << "' of run '" << task.run_id << "', not step '" << rq.step << "' of run '" << rq.run_id
        << "'\n";
    return 2;
  }
  const auto& nd = d.nodes[u];
  const bool is_map = nd.kind == detail::node_kind::map;
  if (is_map != rq.element.has_value() || (rq.element && *rq.element >= task.elements)) {
    err << "typeflow: run-step: step '" << rq.step << "' "
        << (is_map ? "is a map of " + std::to_string(task.elements) +
                         " elements: give --element I, I below that"
                   : std::string("is not a map: it takes no --element"))
        << '\n';
    return 2;
  }
  if (task.inputs.size() != nd.input_count) {
    err << "typeflow: run-step: the task '" << where << "' gives " << task.inputs.size()
        << " inputs; step '" << rq.step << "' has " << nd.input_count << '\n';
    return 2;
  }
  const auto result_path = result_file(dir, rq.element);
  std::error_code ec;
  if (std::filesystem::exists(result_path, ec)) {
    out << "typeflow: run-step: attempt " << rq.attempt << " of step '" << unit << "' of run '"
        << rq.run_id << "' has its result already ('" << result_path.string()
        << "'); not run again\n";
    return 0;
  }

  step_result result;
  result.host = launch_detail::host_name();
  try {
    store_detail::artifact_files files(rq.store / "artifacts");
    std::vector<detail::box> inputs(nd.input_count);
    std::vector<const detail::box*> pointers(nd.input_count, nullptr);
    for (std::uint32_t i = 0; i < nd.input_count; ++i) {
      if (task.inputs[i].empty()) continue;
      const auto producer = d.ports[d.inputs[nd.first_input + i]].node;
      const auto* codec = d.nodes[producer].codec;
      if (codec == nullptr) {
        throw std::runtime_error("typeflow: input " + std::to_string(i + 1) + " of step '" +
                                 rq.step + "' comes from '" + std::string(d.nodes[producer].name) +
                                 "', whose type has no codec: it cannot travel to a job");
      }
      launch_detail::read_artifact(files, task.inputs[i], *codec, inputs[i],
                                   "input " + std::to_string(i + 1) + " of step '" + rq.step +
                                       "', from '" + std::string(d.nodes[producer].name) + "'");
      pointers[i] = &inputs[i];
    }
    launch_detail::job_sink sink(out);
    detail::box output;
    std::stop_source never;
    const auto started = std::chrono::steady_clock::now();
    const auto ended = run_attempt(
        d, u, rq.element ? static_cast<std::uint32_t>(*rq.element) : detail::none, pointers, output,
        attempt_context{rq.run_id, unit, rq.attempt, &sink, never.get_token()},
        std::chrono::nanoseconds{task.limit_ns});
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result.metrics = std::move(sink.points);
    result.message = ended.message;
    using how = attempt_result::how;
    result.status = ended.end == how::succeeded   ? "succeeded"
                    : ended.end == how::skipped   ? "skipped"
                    : ended.end == how::timed_out ? "timed_out"
                                                  : "failed";
    if (ended.succeeded() && output.get() != nullptr) {
      const auto* codec = rq.element ? nd.map->element_codec : nd.codec;
      if (codec == nullptr) {
        throw std::runtime_error("typeflow: the output of step '" + unit +
                                 "' has no codec: it cannot travel back to the driver");
      }
      result.output = launch_detail::write_artifact(files, *codec, output.get());
    }
  } catch (const std::exception& e) {
    result.status = "failed";
    result.output.clear();
    result.message = e.what();
  }
  try {
    write_file_atomically(result_path, result_text(result));
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return 1;
  }
  out << "typeflow: run-step: step '" << unit << "' of run '" << rq.run_id << "', attempt "
      << rq.attempt << ": " << result.status
      << (result.message.empty() ? std::string{} : " (" + result.message + ")") << '\n';
  return 0;
}

}  // namespace typeflow
