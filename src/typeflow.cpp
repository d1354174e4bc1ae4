// typeflow::typeflow in compiled mode (TYPEFLOW_COMPILED): the core, exec and graph layers'
// non-template code, compiled once. See <typeflow/config.hpp>.
#ifndef TYPEFLOW_COMPILED
#error "src/typeflow.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>

#include <typeflow/core/impl/definition.hpp>
#include <typeflow/core/impl/duration_text.hpp>
#include <typeflow/core/impl/name.hpp>
#include <typeflow/core/impl/param.hpp>
#include <typeflow/core/impl/param_value.hpp>
#include <typeflow/core/impl/params.hpp>
#include <typeflow/core/impl/pipeline.hpp>
#include <typeflow/exec/impl/launcher.hpp>
#include <typeflow/exec/impl/plan.hpp>
#include <typeflow/exec/impl/result.hpp>
#include <typeflow/exec/impl/run.hpp>
#include <typeflow/exec/impl/run_id.hpp>
#include <typeflow/exec/impl/run_view.hpp>
#include <typeflow/graph/impl/dot.hpp>
#include <typeflow/graph/impl/info.hpp>
#include <typeflow/graph/impl/order.hpp>
#include <typeflow/graph/impl/slice.hpp>
