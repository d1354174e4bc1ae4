// typeflow::cli in compiled mode (TYPEFLOW_COMPILED): the command line's non-template code
// (typeflow::main and its commands, progress, schedules, notifications), compiled once. See
// <typeflow/config.hpp>.
#ifndef TYPEFLOW_COMPILED
#error "src/cli.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>
