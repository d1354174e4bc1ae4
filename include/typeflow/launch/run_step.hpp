#pragma once
// The job's side of a launched step (issue 16): `prog run-step STEP --run ID --store DIR
// --attempt N [--element I]` runs one attempt of one step, or of one element of a map step,
// of an existing run in a fresh process. It reads the task file the driver wrote, checks that
// this binary's pipeline has the run's structure, loads the inputs from their artifact files,
// runs the step, and writes its output as an artifact file and a result file. It never opens
// runs.db. Idempotent: an attempt whose result file exists is not run again.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

struct run_step_request {
  std::filesystem::path store;
  std::string run_id;
  std::string step;
  unsigned attempt = 1;
  std::optional<std::size_t> element;  ///< a map step: which element
};

/// Runs the attempt; returns 0 when its result file is written (whatever the step's own end:
/// the result says it), 2 when the request does not fit the pipeline or the task (the message
/// on `err` names both sides), 1 when the result could not be written.
TYPEFLOW_INLINE int run_step(const pipeline& p, const run_step_request& request, std::ostream& out,
                             std::ostream& err);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/launch/impl/run_step.hpp>
#endif
