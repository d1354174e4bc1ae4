#pragma once
// Slicing: which steps a partial run runs. only = exactly these; from = a step and everything
// downstream of it; to = a step and everything it needs; scenes = subsets declared with
// pipeline::scene(). The result is a selection by node id, for run_options::select().

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
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

  TYPEFLOW_INLINE explicit dependencies(const definition& d);

 private:
  TYPEFLOW_INLINE void add(node_id u, node_id v, bool reads);
};

/// The step named `name`, for slice_spec's `what` list; throws run_error when there is none.
TYPEFLOW_INLINE node_id slice_step(const definition& d, std::string_view what,
                                   const std::string& name);

}  // namespace detail

/// The selection for `spec` (one flag per node; parameters are always selected), or an empty
/// vector (every step) when the spec is empty. Throws run_error for an unknown step or scene.
[[nodiscard]] TYPEFLOW_INLINE std::vector<bool> slice(const detail::definition& d,
                                                      const slice_spec& spec);

[[nodiscard]] inline std::vector<bool> slice(const pipeline& p, const slice_spec& spec) {
  return slice(*p.definition(), spec);
}

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/graph/impl/slice.hpp>
#endif
