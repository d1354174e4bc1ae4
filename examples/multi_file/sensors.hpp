#pragma once
// The sensor-report pipeline's types and step functions: what every translation unit of the
// program shares. Plain C++: no typeflow header, so a step's file compiles in half a second
// and is rebuilt alone when it changes. Only pipeline.cpp (the wiring) and main.cpp (the
// command line) include typeflow.
//
//   generate ─ clean ─ by-sensor ─ summarise[i] ─ report ─ alert
//                                  (a map: one     (reads   (a branch: only when a sensor's
//                                   per sensor)     all)     mean is above the limit)
#include <cstddef>
#include <string>
#include <vector>

#include <boost/hana/adapt_struct.hpp>  // codecs: the run store saves every step's output

namespace sensors {

/// Readings of all sensors, in arrival order (structure of arrays).
struct Batch {
  std::vector<int> sensor;
  std::vector<double> value;
};
/// One sensor's readings.
struct Series {
  int sensor = 0;
  std::vector<double> values;
};
/// What summarise makes of a series.
struct Summary {
  int sensor = 0;
  std::size_t count = 0;
  double mean = 0;
  double stddev = 0;
  double max = 0;
};
/// The whole batch: the sensors whose mean is above the limit.
struct Report {
  std::size_t readings = 0;
  std::size_t dropped = 0;
  std::vector<Summary> sensors;
  std::vector<int> alerts;
};

// ingest.cpp
Batch generate(int sensors, int readings, int seed);
/// Drops readings that are not numbers or outside the sensors' physical range.
Batch clean(const Batch& raw);

// summarise.cpp
std::vector<Series> by_sensor(const Batch& batch);
Summary summarise(const Series& series);

// report.cpp
Report build_report(const std::vector<Summary>& summaries, const Batch& raw, const Batch& clean,
                    double limit);
bool has_alerts(const Report& report);
/// Writes the alert file (alerts.txt in the working directory); returns its path.
std::string write_alert(const Report& report);

}  // namespace sensors

BOOST_HANA_ADAPT_STRUCT(sensors::Batch, sensor, value);
BOOST_HANA_ADAPT_STRUCT(sensors::Series, sensor, values);
BOOST_HANA_ADAPT_STRUCT(sensors::Summary, sensor, count, mean, stddev, max);
BOOST_HANA_ADAPT_STRUCT(sensors::Report, readings, dropped, sensors, alerts);
