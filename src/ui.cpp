// typeflow::ui in compiled mode (TYPEFLOW_COMPILED): the browser run mode's server (HTTP
// routes, pages, the JSON API), compiled once. See <typeflow/config.hpp> and docs/ui.md.
#ifndef TYPEFLOW_COMPILED
#error "src/ui.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>

#include <typeflow/ui/impl/server.hpp>
