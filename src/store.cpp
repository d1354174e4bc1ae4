// typeflow::store in compiled mode (TYPEFLOW_COMPILED): the run store's, the HTML report's and
// the notifier's non-template code, compiled once. See <typeflow/config.hpp>. The notifier
// (notify.hpp) is here rather than in typeflow::cli: it observes any run, and store users add
// it to store_options without the command line.
#ifndef TYPEFLOW_COMPILED
#error "src/store.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>

#include <typeflow/notify/impl/notify.hpp>
#include <typeflow/report/impl/html.hpp>
#include <typeflow/store/impl/logs.hpp>
#include <typeflow/store/impl/param_requests.hpp>
#include <typeflow/store/impl/records.hpp>
#include <typeflow/store/impl/store.hpp>
#include <typeflow/store/impl/structure_hash.hpp>
