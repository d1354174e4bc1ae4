// The compile-time benchmark's "newcomer program": a pipeline program as a newcomer writes it
// from the README, in one file: five steps, a `map`, a `when`, parameters, codecs, and
// typeflow::main (the command line and the run store; link typeflow::cli). The same pipeline
// as examples/multi_file, whose steps live in files of their own.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <typeflow/cli.hpp>
#include <typeflow/typeflow.hpp>

namespace tyf = typeflow;

struct Batch {
  std::vector<int> sensor;
  std::vector<double> value;
};
struct Series {
  int sensor = 0;
  std::vector<double> values;
};
struct Summary {
  int sensor = 0;
  std::size_t count = 0;
  double mean = 0;
  double max = 0;
};
struct Report {
  std::vector<Summary> sensors;
  std::vector<int> alerts;
};
BOOST_HANA_ADAPT_STRUCT(Batch, sensor, value);
BOOST_HANA_ADAPT_STRUCT(Series, sensor, values);
BOOST_HANA_ADAPT_STRUCT(Summary, sensor, count, mean, max);
BOOST_HANA_ADAPT_STRUCT(Report, sensors, alerts);

Batch generate(int sensors, int readings, int seed) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::normal_distribution<double> noise(0.0, 1.5);
  std::uniform_int_distribution<int> which(0, sensors - 1);
  Batch b;
  for (int i = 0; i < readings; ++i) {
    const int s = which(rng);
    b.sensor.push_back(s);
    b.value.push_back(i % 100 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                   : 20.0 + (s == 3 ? 12.0 : 0.0) + noise(rng));
  }
  return b;
}

Batch clean(const Batch& raw) {
  Batch b;
  for (std::size_t i = 0; i < raw.value.size(); ++i) {
    if (std::isnan(raw.value[i])) continue;
    b.sensor.push_back(raw.sensor[i]);
    b.value.push_back(raw.value[i]);
  }
  return b;
}

std::vector<Series> by_sensor(const Batch& batch) {
  std::map<int, Series> per;
  for (std::size_t i = 0; i < batch.value.size(); ++i) {
    per[batch.sensor[i]].sensor = batch.sensor[i];
    per[batch.sensor[i]].values.push_back(batch.value[i]);
  }
  std::vector<Series> out;
  for (auto& [id, s] : per) out.push_back(std::move(s));
  return out;
}

Summary summarise(const Series& s) {
  Summary out{s.sensor, s.values.size(), 0.0, s.values.front()};
  for (double v : s.values) {
    out.mean += v / static_cast<double>(out.count);
    out.max = std::max(out.max, v);
  }
  return out;
}

Report build_report(const std::vector<Summary>& summaries, double limit) {
  Report r{summaries, {}};
  for (const auto& s : summaries)
    if (s.mean > limit) r.alerts.push_back(s.sensor);
  return r;
}

std::string write_alert(const Report& r) {
  std::ofstream out("alerts.txt");
  for (int id : r.alerts) out << "sensor " << id << " above the limit\n";
  if (!out.flush()) throw std::runtime_error("cannot write alerts.txt");
  return "alerts.txt";
}

int main(int argc, char** argv) {
  tyf::pipeline p{"sensor-report"};
  auto sensors = p.param<int>("sensors", 6).range(1, 1000);
  auto readings = p.param<int>("readings", 20000);
  auto seed = p.param<int>("seed", 1);
  auto limit = p.param<double>("limit", 25.0);

  auto raw = p.step("generate", generate, sensors, readings, seed);
  auto valid = p.step("clean", clean, raw);
  auto series = p.step("by-sensor", by_sensor, valid);
  auto summaries = p.map("summarise", summarise, series);
  auto report = p.step("report", build_report, summaries, limit);
  p.when(report, [](const Report& r) {
     return !r.alerts.empty();
   }).step("alert", write_alert, report);

  return typeflow::main(argc, argv, p);
}
