#pragma once
// The exception the run store throws: a store it cannot open or write, or a run it cannot
// find. A run_error, so code that catches run errors catches these too.

#include <typeflow/core/errors.hpp>

namespace typeflow {

class store_error : public run_error {
 public:
  using run_error::run_error;
};

/// A run named by id, prefix or `latest` that the store does not have (or a prefix that names
/// more than one run, or a text that is no run id): the list of runs is what helps. Any other
/// store_error is about the store itself (damaged, locked, full, read-only, missing) and says
/// what to do in its message.
class unknown_run_error : public store_error {
 public:
  using store_error::store_error;
};

}  // namespace typeflow
