#pragma once
// Step and run states (defined in core, where finally handlers read them).

#include <typeflow/core/status.hpp>
