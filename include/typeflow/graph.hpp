#pragma once
// The pipeline as a graph: Boost.Graph lowering, topological order, DOT export.

#include <typeflow/graph/dot.hpp>
#include <typeflow/graph/lower.hpp>
