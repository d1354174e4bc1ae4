#pragma once
// The definitions of run_view's members that are not one line (exec/run_view.hpp).

#include <map>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/exec/run_view.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::map<std::string, std::string> run_view::params() const {
  std::map<std::string, std::string> out;
  const auto& d = *d_->definition;
  for (auto u : d.parameters) {
    if (u >= d_->params.size() || !d_->params[u]) continue;
    const auto& nd = d.nodes[u];
    out.emplace(std::string(nd.name), nd.param->format(d_->params[u].get()));
  }
  return out;
}

}  // namespace typeflow
