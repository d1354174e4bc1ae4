#pragma once
// The executor: runs a pipeline on a thread pool (or sequentially), with per-step policies,
// stop, and events for observers.

#include <typeflow/exec/event.hpp>
#include <typeflow/exec/hooks.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/result.hpp>
#include <typeflow/exec/run.hpp>
#include <typeflow/exec/run_id.hpp>
#include <typeflow/exec/status.hpp>
