#pragma once
// A topological order of a pipeline's nodes, by name.

#include <string>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

/// Step and parameter names in an order where every node comes after all it depends on,
/// finally handlers after every other node: the order Boost.Graph's topological_sort gives
/// for lower(p) (a depth-first search over nodes and dependencies in walk order), computed
/// without Boost.Graph.
[[nodiscard]] TYPEFLOW_INLINE std::vector<std::string> topological_order(const pipeline& p);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/graph/impl/order.hpp>
#endif
