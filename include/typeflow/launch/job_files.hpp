#pragma once
// The files through which a driver and its jobs talk (issue 16): the driver writes one task
// file per step attempt, a job (`prog run-step`) writes one result file, both under the
// store's directory, both by rename, neither in runs.db: only the driver writes the database,
// so the store may sit on a shared file system. Inputs and outputs travel as artifact files
// (content-addressed, <store>/artifacts).
//
//   <store>/jobs/<run>/<step>/<attempt>/task.json        what to run (a map's elements share it)
//   <store>/jobs/<run>/<step>/<attempt>/result.json      how it ended (a map element: result.<i>.json)
//   <store>/jobs/<run>/<step>/<attempt>/job              the Slurm job id (an element: job.<i>)
//   <store>/logs/<run>/<step>[.<i>]/<attempt>.log        the job's output (store/logs.hpp)

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <typeflow/config.hpp>

namespace typeflow {

/// What one attempt of a step (or of a map's elements) runs on.
struct step_task {
  std::string pipeline;
  std::string structure_hash;  ///< of the driver's pipeline; a job whose differs refuses
  std::string run_id;
  std::string step;
  unsigned attempt = 1;
  std::int64_t limit_ns = 0;  ///< the step's time limit; 0: none
  std::size_t elements = 0;   ///< a map: how many elements it has
  /// Per data input, in argument order: the artifact holding the whole output the input
  /// reads; empty: absent (a branch that did not run).
  std::vector<std::string> inputs;
};

/// How one attempt ended, as its job wrote it.
struct step_result {
  std::string status;  ///< succeeded, failed, skipped, timed_out
  std::string message;
  std::string output;  ///< the output's artifact; empty: none (void, or not succeeded)
  std::vector<std::tuple<std::string, double, std::int64_t>> metrics;  ///< name, value, index
  std::string host;
  double seconds = 0;  ///< the step's own time, in the job
};

/// Where the files of attempt `attempt` of step `step` of run `run` are.
[[nodiscard]] TYPEFLOW_INLINE std::filesystem::path job_dir(const std::filesystem::path& store,
                                                            std::string_view run,
                                                            std::string_view step,
                                                            unsigned attempt);
/// The result and job id files in `dir` of a step (element: none) or of one element.
[[nodiscard]] TYPEFLOW_INLINE std::filesystem::path result_file(const std::filesystem::path& dir,
                                                                std::optional<std::size_t> element);
[[nodiscard]] TYPEFLOW_INLINE std::filesystem::path job_id_file(const std::filesystem::path& dir,
                                                                std::optional<std::size_t> element);

/// Writes a file by rename (a reader never sees half of it); throws std::runtime_error
/// naming the file.
TYPEFLOW_INLINE void write_file_atomically(const std::filesystem::path& path,
                                           std::string_view text);
/// The file's text, or nullopt when it does not exist; throws naming the file otherwise.
[[nodiscard]] TYPEFLOW_INLINE std::optional<std::string> read_small_file(
    const std::filesystem::path& path);

[[nodiscard]] TYPEFLOW_INLINE std::string task_text(const step_task& t);
/// Throws std::runtime_error naming `where` and the field when the text is not a task.
[[nodiscard]] TYPEFLOW_INLINE step_task parse_task(std::string_view text, std::string_view where);
[[nodiscard]] TYPEFLOW_INLINE std::string result_text(const step_result& r);
[[nodiscard]] TYPEFLOW_INLINE step_result parse_result(std::string_view text,
                                                       std::string_view where);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/launch/impl/job_files.hpp>
#endif
