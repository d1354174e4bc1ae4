// The ingest stage: generate (a stand-in for reading the sensors' files) and clean.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "sensors.hpp"

namespace sensors {

Batch generate(int sensors, int readings, int seed) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::normal_distribution<double> noise(0.0, 1.5);
  std::uniform_int_distribution<int> which(0, sensors - 1);
  std::uniform_int_distribution<int> glitch(0, 99);
  Batch b;
  b.sensor.reserve(static_cast<std::size_t>(readings));
  b.value.reserve(static_cast<std::size_t>(readings));
  for (int i = 0; i < readings; ++i) {
    const int s = which(rng);
    // Every sensor reads about 20 degrees; sensor 3 runs hot. One reading in a hundred is a
    // glitch: not a number or far out of range.
    double v = 20.0 + (s == 3 ? 12.0 : 0.0) + noise(rng);
    const int g = glitch(rng);
    if (g == 0) v = std::numeric_limits<double>::quiet_NaN();
    if (g == 1) v = 1e6;
    b.sensor.push_back(s);
    b.value.push_back(v);
  }
  return b;
}

Batch clean(const Batch& raw) {
  Batch b;
  for (std::size_t i = 0; i < raw.value.size(); ++i) {
    const double v = raw.value[i];
    if (std::isnan(v) || v < -50.0 || v > 150.0) continue;
    b.sensor.push_back(raw.sensor[i]);
    b.value.push_back(v);
  }
  return b;
}

}  // namespace sensors
