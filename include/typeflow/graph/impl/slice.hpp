#pragma once
// The definitions of graph/slice.hpp.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/slice.hpp>

namespace typeflow {
namespace detail {

TYPEFLOW_INLINE dependencies::dependencies(const definition& d)
    : preds(d.nodes.size()), succs(d.nodes.size()) {
  for_each_dependency(
      d, [&](const dependency& e) { add(e.from, e.to, e.reads_value()); }, with_finally::no);
}

TYPEFLOW_INLINE void dependencies::add(node_id u, node_id v, bool reads) {
  for (auto& p : preds[v]) {
    if (p.node == u) {
      p.reads_value = p.reads_value || reads;
      return;
    }
  }
  preds[v].push_back({u, reads});
  succs[u].push_back(v);
}

TYPEFLOW_INLINE node_id slice_step(const definition& d, std::string_view what,
                                   const std::string& name) {
  auto u = d.find(name);
  if (u == none || d.nodes[u].kind == node_kind::parameter) {
    throw run_error("typeflow: " + std::string(what) + "(\"" + name + "\"): pipeline '" + d.name +
                    "' has no step '" + name + "'");
  }
  return u;
}

}  // namespace detail

TYPEFLOW_INLINE std::vector<bool> slice(const detail::definition& d, const slice_spec& spec) {
  if (spec.empty()) return {};
  const auto n = d.nodes.size();
  detail::dependencies deps{d};
  std::vector<bool> out(n, false);
  for (const auto& name : spec.only) out[detail::slice_step(d, "only", name)] = true;
  for (const auto& name : spec.scenes) {
    auto it = std::find_if(d.scenes.begin(), d.scenes.end(),
                           [&](const detail::scene& s) { return s.name == name; });
    if (it == d.scenes.end()) {
      std::string known;
      for (const auto& s : d.scenes) known += (known.empty() ? "" : ", ") + s.name;
      throw run_error("typeflow: scene(\"" + name + "\"): pipeline '" + d.name +
                      "' has no such scene" +
                      (known.empty() ? "; declare one with p.scene(name, {steps...})"
                                     : " (it has: " + known + ")"));
    }
    for (auto u : it->steps) out[u] = true;
  }
  if (!spec.from.empty() || !spec.to.empty()) {
    std::vector<bool> down(n, spec.from.empty()), up(n, spec.to.empty());
    // Ids are a topological order: one pass forward for descendants, one back for ancestors.
    for (const auto& name : spec.from) down[detail::slice_step(d, "from", name)] = true;
    for (detail::node_id u = 0; u < n; ++u) {
      if (!spec.from.empty() && down[u]) {
        for (auto v : deps.succs[u]) down[v] = true;
      }
    }
    for (const auto& name : spec.to) up[detail::slice_step(d, "to", name)] = true;
    for (auto v = n; v-- > 0;) {
      if (!spec.to.empty() && up[v]) {
        for (const auto& p : deps.preds[v]) up[p.node] = true;
      }
    }
    for (std::size_t u = 0; u < n; ++u) {
      if (down[u] && up[u]) out[u] = true;
    }
  }
  for (auto u : d.parameters) out[u] = true;
  return out;
}

}  // namespace typeflow
