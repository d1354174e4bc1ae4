#pragma once
// The pipeline as a graph: the dependency walk, DOT export, topological order, slicing. The
// Boost.Graph lowering (lower(p)) is in <typeflow/graph/lower.hpp>, included on its own.

#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/dot.hpp>
#include <typeflow/graph/info.hpp>
#include <typeflow/graph/order.hpp>
#include <typeflow/graph/slice.hpp>
