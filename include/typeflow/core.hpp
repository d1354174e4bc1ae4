#pragma once
// The typed pipeline DSL: steps, handles, parameters, contexts and their compile-time checks.

#include <typeflow/core/context.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/diagnostics.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/core/enum_names.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/core/param.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/param_value.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/core/step.hpp>
