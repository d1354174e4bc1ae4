// The report stage: which sensors are above the limit, and the alert file when any is.
#include <fstream>
#include <stdexcept>

#include "sensors.hpp"

namespace sensors {

Report build_report(const std::vector<Summary>& summaries, const Batch& raw, const Batch& clean,
                    double limit) {
  Report r{raw.value.size(), raw.value.size() - clean.value.size(), summaries, {}};
  for (const auto& s : summaries)
    if (s.mean > limit) r.alerts.push_back(s.sensor);
  return r;
}

bool has_alerts(const Report& report) { return !report.alerts.empty(); }

std::string write_alert(const Report& report) {
  const std::string path = "alerts.txt";
  std::ofstream out(path);
  for (int id : report.alerts)
    for (const auto& s : report.sensors)
      if (s.sensor == id)
        out << "sensor " << id << ": mean " << s.mean << " over " << s.count << " readings\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace sensors
