#pragma once
// A parameter described in words: what pipeline::params() lists for manifests and the command
// line's help, and what a delayed parameter's provider is shown when its value is asked for.

#include <optional>
#include <string>
#include <vector>

namespace typeflow {

struct param_info {
  std::string name;
  std::string type;                          ///< "double", "std::vector<int>", "Optimizer", ...
  std::optional<std::string> default_value;  ///< the default's text form; none when required
  std::string description;                   ///< from .describe()
  std::string constraints;  ///< what a valid value is, "; "-separated ("a value from 0 to 1")
  std::vector<std::string> choices;  ///< the allowed values (.choices() or an enum's names)
  bool required = false;             ///< no default: a run needs a value from a source
  bool delayed = false;              ///< asked for only when a step that needs it is about to run
  std::string environment_variable;  ///< TYPEFLOW_PARAM_<NAME>
};

}  // namespace typeflow
