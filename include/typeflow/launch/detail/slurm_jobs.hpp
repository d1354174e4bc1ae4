#pragma once
// What the Slurm launcher knows of one job, and how it reads Slurm's words for it: the fields of
// `scontrol show job -o`, pending reasons a job never leaves, and a job's end without a result.

#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/exec/launcher.hpp>
#include <typeflow/launch/job_files.hpp>

namespace typeflow::launch_detail {

namespace fs = std::filesystem;

/// A job (or array task) the poller watches until it has ended.
struct watched_job {
  std::string id;  ///< 123, or 123_4 for an array task
  fs::path result;
  fs::path log;
  bool done = false;
  std::string state;   ///< Slurm's: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, ...
  std::string reason;  ///< Slurm's reason, when it gives one
  std::string exit_code;
  std::string never;  ///< pending for a reason it can never leave: the reason
};

/// Whether a pending job's reason says it will never run (Slurm keeps such a job pending:
/// more CPUs or memory than any node of the partition has, constraints no node meets).
inline bool never_runs(std::string_view reason) {
  return reason == "PartitionConfig" || reason == "BadConstraints" ||
         reason == "PartitionNodeLimit" || reason == "QOSMaxCpuPerJobLimit";
}

/// `Key=Value` fields of `scontrol show job -o` output.
inline std::map<std::string, std::string> scontrol_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos && eq > 0) out.emplace(word.substr(0, eq), word.substr(eq + 1));
  }
  return out;
}

/// The last lines of a job's output, for a message.
inline std::string log_tail(const fs::path& log, std::size_t lines = 5) {
  std::optional<std::string> text;
  try {
    text = read_small_file(log);
  } catch (const std::exception&) {
    return {};
  }
  if (!text || text->empty()) return {};
  std::vector<std::string> all;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) all.push_back(line);
  }
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += (out.empty() ? "" : " | ") + all[i];
  }
  return out;
}

/// How an attempt whose job left Slurm without writing its result ended: TIMEOUT is timed_out,
/// anything else failed, with Slurm's state, reason, exit code and the end of the job's output.
inline attempt_result job_ended(const watched_job& job) {
  std::string why = "Slurm job " + job.id + " ended " +
                    (job.state.empty() ? std::string("(its state is no longer known)") : job.state);
  if (!job.reason.empty() && job.reason != "None") why += " (reason: " + job.reason + ")";
  // ExitCode=A:B: the batch script's exit code A, or the signal B that killed it.
  if (const auto colon = job.exit_code.find(':'); colon != std::string::npos) {
    const auto code = job.exit_code.substr(0, colon);
    const auto signal = job.exit_code.substr(colon + 1);
    if (signal != "0") {
      why += ", killed by signal " + signal;
    } else if (code != "0") {
      why += ", exit code " + code;
    }
  }
  why += " without a result";
  const auto tail = log_tail(job.log);
  why += tail.empty() ? "; its output '" + job.log.string() + "' is empty"
                      : "; its output ends: " + tail;
  return {job.state == "TIMEOUT" ? attempt_result::how::timed_out : attempt_result::how::failed,
          std::move(why)};
}

}  // namespace typeflow::launch_detail
