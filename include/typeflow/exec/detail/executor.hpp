#pragma once
// The whole engine: its class (engine.hpp) and its member functions, by job.

#include <typeflow/exec/detail/engine.hpp>
#include <typeflow/exec/detail/engine_end.hpp>
#include <typeflow/exec/detail/engine_params.hpp>
#include <typeflow/exec/detail/engine_units.hpp>
