#pragma once
// Steps' own output: where the run store keeps the lines a step writes with context::log, one
// plain-text file per attempt, under the store's directory:
//
//     <store>/logs/<run id>/<step>/<attempt>.log      a step's attempt (1, 2, ...)
//     <store>/logs/<run id>/<step>.<i>/<attempt>.log  element i of map step <step> (`step[i]`)
//
// A line is written as the step wrote it, ended by '\n': no prefix, no timestamp, so that a
// process's own stdout and stderr can go to the same file. Step names are letters, digits,
// '_' and '-' (core/name.hpp), so `<step>.<i>` is never a step's name.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/store/errors.hpp>

namespace typeflow {

/// A step named as the command line and the events name it: `train`, or `train[3]` for
/// element 3 of map step `train`.
struct step_ref {
  std::string_view step;
  std::optional<std::size_t> element;
};

/// Splits `train[3]` into {"train", 3} and `train` into {"train", none}; nothing for text that
/// is neither (an empty name, no closing bracket, no digits or other characters between the
/// brackets, an index that does not fit a std::size_t). The step name itself is not checked.
[[nodiscard]] TYPEFLOW_INLINE std::optional<step_ref> parse_step_ref(
    std::string_view text) noexcept;

/// The directory of run `run_id`'s logs, `<store_dir>/logs/<run_id>`. Throws store_error for a
/// run id that could name another directory (empty, `.`, `..`, or with '/', '\\' or control
/// characters).
[[nodiscard]] TYPEFLOW_INLINE std::filesystem::path run_log_dir(
    const std::filesystem::path& store_dir, std::string_view run_id);

/// The log file of attempt `attempt` (1-based) of step `step` of run `run_id`, or of its
/// element `element` when the step is a map:
///
///     typeflow::attempt_log_path(".typeflow", "mh2k9x0q1a7z", "train", 3, 2)
///     // .typeflow/logs/mh2k9x0q1a7z/train.3/2.log
///
/// Only computes the path: the file and its directories exist once something was logged
/// (a process that is to write there, e.g. a batch job's output, creates the directory first).
/// Throws store_error for a run id as run_log_dir() does, a step name that breaks the naming
/// rule, or attempt 0.
[[nodiscard]] TYPEFLOW_INLINE std::filesystem::path attempt_log_path(
    const std::filesystem::path& store_dir, std::string_view run_id, std::string_view step,
    std::optional<std::size_t> element, unsigned attempt);

/// The attempts of step `step` (or of its element `element`) of run `run_id` that have a log
/// file, in increasing order; empty when none has. Throws store_error as attempt_log_path().
[[nodiscard]] TYPEFLOW_INLINE std::vector<unsigned> logged_attempts(
    const std::filesystem::path& store_dir, std::string_view run_id, std::string_view step,
    std::optional<std::size_t> element = std::nullopt);

/// The elements of map step `step` of run `run_id` that have a log file of some attempt, in
/// increasing order.
[[nodiscard]] TYPEFLOW_INLINE std::vector<std::size_t> logged_elements(
    const std::filesystem::path& store_dir, std::string_view run_id, std::string_view step);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/store/impl/logs.hpp>
#endif
