#pragma once
// typeflow: typed ML pipelines in C++. This header gathers every layer.

#include <typeflow/core.hpp>
#include <typeflow/exec.hpp>
#include <typeflow/graph.hpp>
