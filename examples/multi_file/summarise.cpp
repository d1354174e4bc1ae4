// The summarise stage: split the batch per sensor, then one summary per sensor (the pipeline
// maps summarise over the series, so the sensors are summarised in parallel).
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "sensors.hpp"

namespace sensors {

std::vector<Series> by_sensor(const Batch& batch) {
  std::map<int, Series> per;
  for (std::size_t i = 0; i < batch.value.size(); ++i) {
    auto& s = per[batch.sensor[i]];
    s.sensor = batch.sensor[i];
    s.values.push_back(batch.value[i]);
  }
  std::vector<Series> out;
  out.reserve(per.size());
  for (auto& [id, s] : per) out.push_back(std::move(s));
  return out;
}

Summary summarise(const Series& series) {
  if (series.values.empty()) throw std::invalid_argument("a series without readings");
  Summary s{series.sensor, series.values.size(), 0.0, 0.0, series.values.front()};
  for (double v : series.values) {
    s.mean += v / static_cast<double>(s.count);
    s.max = std::max(s.max, v);
  }
  for (double v : series.values) s.stddev += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(s.stddev / static_cast<double>(s.count));
  return s;
}

}  // namespace sensors
