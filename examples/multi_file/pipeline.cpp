// The wiring: which step reads what. The file you edit while the pipeline takes shape; it
// includes typeflow's DSL but not its command line (main.cpp), so rebuilding it after an edit
// costs a fraction of compiling a whole one-file program (docs/performance.md).
#include "pipeline.hpp"

#include <typeflow/typeflow.hpp>

#include "sensors.hpp"

namespace sensors {

typeflow::pipeline make_pipeline() {
  typeflow::pipeline p{"sensor-report"};
  auto n_sensors = p.param<int>("sensors", 6).range(1, 1000).describe("sensors to simulate");
  auto n_readings = p.param<int>("readings", 20000).range(1, 100'000'000);
  auto seed = p.param<int>("seed", 1);
  auto limit = p.param<double>("limit", 25.0).describe("alert above this mean (degrees)");

  auto raw = p.step("generate", generate, n_sensors, n_readings, seed);
  auto valid = p.step("clean", clean, raw);
  auto series = p.step("by-sensor", by_sensor, valid);
  auto summaries = p.map("summarise", summarise, series);  // one instance per sensor
  auto report = p.step("report", build_report, summaries, raw, valid, limit);
  // The alert file only when a sensor is above the limit: a branch, its output maybe<T>.
  p.when(report, has_alerts).step("alert", write_alert, report).cache(false);
  return p;
}

}  // namespace sensors
