#pragma once
// The exception the run store throws: a store it cannot open or write, or a run it cannot
// find. A run_error, so code that catches run errors catches these too.

#include <typeflow/core/errors.hpp>

namespace typeflow {

class store_error : public run_error {
 public:
  using run_error::run_error;
};

}  // namespace typeflow
