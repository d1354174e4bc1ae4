#pragma once
// Where a run's parameter values come from, later sources overriding earlier ones: defaults,
// a JSON params file, the environment (TYPEFLOW_PARAM_<NAME>), explicit overrides. Every value
// given is parsed by its parameter's type and checked against its constraints before anything
// runs; the executor calls this, and the command line calls it to validate without running.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

/// The sources of a run's parameter values besides the defaults and the environment.
struct param_sources {
  std::string file;  ///< a JSON params file (an object: name -> value); empty: none
  /// name -> text, applied in order (a later one wins).
  std::vector<std::pair<std::string, std::string>> overrides;
  /// How errors name where the overrides came from ("run_options::set", "--param").
  std::string overrides_origin = "run_options::set";
};

namespace detail {

/// The Levenshtein distance between two names (for "did you mean").
TYPEFLOW_INLINE std::size_t edit_distance(std::string_view a, std::string_view b);

/// "; did you mean 'lr'?" for a close parameter name, else the list of parameters.
TYPEFLOW_INLINE std::string param_suggestion(const definition& d, std::string_view name);

/// The parameter node named `name`; throws run_error when there is none.
TYPEFLOW_INLINE node_id find_param(const definition& d, const std::string& name,
                                   std::string_view text, std::string_view origin);

/// Parses and checks `text` as the value of parameter `u`; throws run_error naming the
/// parameter, the text, what was expected and where the text came from.
TYPEFLOW_INLINE std::shared_ptr<const void> parse_param_value(const definition& d, node_id u,
                                                              std::string_view text,
                                                              std::string_view origin);

/// The params file as a JSON object; throws run_error naming the path when it cannot be read,
/// is not JSON, or is not an object. Using the result needs the full <nlohmann/json.hpp>.
TYPEFLOW_INLINE nlohmann::json read_params_file(const std::string& path);

/// Resolves every parameter of `d`: defaults < params file < environment < overrides. Throws
/// run_error for an unknown name, a value that does not parse or fails a check, a missing
/// required value, or a params file that cannot be used.
TYPEFLOW_INLINE param_values resolve_params(const definition& d, const param_sources& sources);

}  // namespace detail

/// Resolves and checks `p`'s parameters as a run would, without running anything. Returns
/// name -> text of each value a run would use (a delayed parameter no source gives a value is
/// absent: it would be asked for). Throws run_error exactly as run() would.
TYPEFLOW_INLINE std::map<std::string, std::string> resolve_params(
    const pipeline& p, const param_sources& sources = {});

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/params.hpp>
#endif
