#pragma once
// The exceptions typeflow throws. Every message names the pipeline, step or parameter at fault.

#include <stdexcept>
#include <string>

namespace typeflow {

/// A pipeline was defined wrongly: a bad or duplicate name, a handle from another pipeline,
/// an ordering edge that would form a cycle. Thrown while the pipeline is being defined,
/// before anything runs.
class definition_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A run could not start or a result was asked for something it does not hold.
class run_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace typeflow
