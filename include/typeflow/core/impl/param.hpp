#pragma once
// The definitions of core/param.hpp's functions that are not templates.

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/param.hpp>
#include <typeflow/core/param_info.hpp>

namespace typeflow::detail {

TYPEFLOW_INLINE std::string param_environment_variable(std::string_view name) {
  std::string out = "TYPEFLOW_PARAM_";
  for (char c : name) {
    if (c == '-') {
      out += '_';
    } else if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

TYPEFLOW_INLINE std::string failed_expectation(const param_spec& spec, const void* value) {
  for (const auto& check : spec.checks) {
    try {
      if (check.holds(value)) continue;
      return check.expected;
    } catch (const std::exception& e) {
      return check.expected + " (the check threw: " + e.what() + ")";
    } catch (...) {
      return check.expected + " (the check threw)";
    }
  }
  return {};
}

TYPEFLOW_INLINE param_info describe_param(const definition& d, node_id u) {
  const auto& nd = d.nodes[u];
  const auto& spec = *nd.param;
  param_info info;
  info.name = std::string(nd.name);
  info.type = spec.type_name;
  if (spec.default_value) info.default_value = spec.format(spec.default_value.get());
  info.description = spec.description;
  for (const auto& check : spec.checks) {
    info.constraints += (info.constraints.empty() ? "" : "; ") + check.expected;
  }
  info.choices = spec.choices;
  info.required = !spec.default_value;
  info.delayed = spec.delayed;
  info.environment_variable = param_environment_variable(nd.name);
  return info;
}

TYPEFLOW_INLINE std::vector<param_info> describe_params(const definition& d) {
  std::vector<param_info> out;
  for (node_id u : d.parameters) out.push_back(describe_param(d, u));
  return out;
}

}  // namespace typeflow::detail
