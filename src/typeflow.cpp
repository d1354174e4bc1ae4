// typeflow::typeflow in compiled mode (TYPEFLOW_COMPILED): the core, exec and graph layers'
// non-template code, compiled once. See <typeflow/config.hpp>.
#ifndef TYPEFLOW_COMPILED
#error "src/typeflow.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>
