#pragma once
// The run store: SQLite run records, artifacts, caching, retry, partial runs. Link the
// typeflow::store target (SQLite); typeflow/typeflow.hpp does not include this header, so
// programs that only define and run pipelines never pay for it.

#include <typeflow/core/codec.hpp>
#include <typeflow/graph/slice.hpp>
#include <typeflow/store/errors.hpp>
#include <typeflow/store/logs.hpp>
#include <typeflow/store/options.hpp>
#include <typeflow/store/records.hpp>
#include <typeflow/store/store.hpp>
#include <typeflow/store/structure_hash.hpp>
#include <typeflow/store/views.hpp>
