// typeflow::store in compiled mode (TYPEFLOW_COMPILED): the run store's and the HTML report's
// non-template code, compiled once. See <typeflow/config.hpp>.
#ifndef TYPEFLOW_COMPILED
#error "src/store.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>
