#pragma once
// The sensor-report pipeline, defined in pipeline.cpp; main.cpp turns it into a command line.
#include <typeflow/core/pipeline.hpp>

namespace sensors {

/// The pipeline: its parameters, the step functions of ingest.cpp, summarise.cpp and
/// report.cpp, and how their outputs flow.
typeflow::pipeline make_pipeline();

}  // namespace sensors
