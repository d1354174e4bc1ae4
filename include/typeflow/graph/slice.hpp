#pragma once
// Slicing: which steps a partial run runs. only = exactly these; from = a step and everything
// downstream of it; to = a step and everything it needs; scenes = subsets declared with
// pipeline::scene(). The result is a selection by node id, for run_options::select().

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>

namespace typeflow {

/// What a partial run selects. Several kinds combine: the result is only ∪ scenes ∪ the
/// steps that are both downstream of a `from` step and upstream of a `to` step (either bound
/// alone when the other is not given). Empty: every step.
struct slice_spec {
  std::vector<std::string> only{};
  std::vector<std::string> from{};
  std::vector<std::string> to{};
  std::vector<std::string> scenes{};

  [[nodiscard]] bool empty() const noexcept {
    return only.empty() && from.empty() && to.empty() && scenes.empty();
  }
};

namespace detail {

/// For every node, the nodes it waits for, and whether it reads their value (a data input, a
/// map's items, a gate's input, a guard, a skip_if input) or only their completion (an
/// .after() ordering edge): the dependency walk without finally handlers, one entry per pair.
struct dependencies {
  struct pred {
    node_id node;
    bool reads_value;
  };
  std::vector<std::vector<pred>> preds;
  std::vector<std::vector<node_id>> succs;

  explicit dependencies(const definition& d) : preds(d.nodes.size()), succs(d.nodes.size()) {
    for_each_dependency(
        d, [&](const dependency& e) { add(e.from, e.to, e.reads_value()); }, with_finally::no);
  }

 private:
  void add(node_id u, node_id v, bool reads) {
    for (auto& p : preds[v]) {
      if (p.node == u) {
        p.reads_value = p.reads_value || reads;
        return;
      }
    }
    preds[v].push_back({u, reads});
    succs[u].push_back(v);
  }
};

inline node_id slice_step(const definition& d, std::string_view what, const std::string& name) {
  auto u = d.find(name);
  if (u == none || d.nodes[u].kind == node_kind::parameter) {
    throw run_error("typeflow: " + std::string(what) + "(\"" + name + "\"): pipeline '" + d.name +
                    "' has no step '" + name + "'");
  }
  return u;
}

}  // namespace detail

/// The selection for `spec` (one flag per node; parameters are always selected), or an empty
/// vector (every step) when the spec is empty. Throws run_error for an unknown step or scene.
[[nodiscard]] inline std::vector<bool> slice(const detail::definition& d, const slice_spec& spec) {
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

[[nodiscard]] inline std::vector<bool> slice(const pipeline& p, const slice_spec& spec) {
  return slice(*p.definition(), spec);
}

}  // namespace typeflow
