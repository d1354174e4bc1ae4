#pragma once
// The JSON of stored runs the command line prints (--json): a run's record (`runs`, and the
// head of `show`'s document) and a comparison. Their shapes are documented in
// docs/command-line.md ("JSON output") and pinned by tests/unit/cli. Every document is written
// with detail::json_text (invalid UTF-8 replaced), and every number that may not be finite
// (a metric's value) goes through json_number.

#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include <typeflow/detail/number_text.hpp>
#include <typeflow/detail/time_text.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow::cli_detail {

/// "2026-11-28T18:20:11.123Z" (UTC).
inline std::string iso_time(std::chrono::system_clock::time_point t) {
  auto seconds_text = detail::time_text(t, "%Y-%m-%dT%H:%M:%S", detail::time_zone::utc);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms < 0 ? ms + 1000 : ms));
  return seconds_text + frac;
}

/// A number as JSON: itself when finite, else the string "nan", "inf" or "-inf" (JSON has no
/// such numbers, and nlohmann::json would write null, which reads as "no value").
inline nlohmann::json json_number(double v) {
  if (const char* word = detail::non_finite_text(v)) return word;
  return v;
}

inline double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

inline nlohmann::json run_json(const run_info& r) {
  nlohmann::json j{
      {"id", r.id},
      {"pipeline", r.pipeline},
      {"structure_hash", r.structure_hash},
      {"status", to_string(r.status)},
      {"started", iso_time(r.started)},
      {"ended", r.ended ? nlohmann::json(iso_time(*r.ended)) : nlohmann::json(nullptr)},
      {"duration_s", seconds(r.duration())},
      {"experiment", r.experiment},
      {"kind", r.kind},
      {"origin", r.origin.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.origin)},
      {"message", r.message},
      {"host", r.host},
      {"pid", r.pid},
      {"params", r.params},
      {"tags", r.tags},
      {"waiting_for", r.waiting_for}};
  return j;
}

inline nlohmann::json comparison_json(const comparison& c) {
  nlohmann::json j{
      {"runs", c.runs}, {"params", nlohmann::json::array()}, {"metrics", nlohmann::json::array()}};
  for (const auto& p : c.params) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : p.values)
      values.push_back(v ? nlohmann::json(*v) : nlohmann::json(nullptr));
    j["params"].push_back({{"name", p.name}, {"values", values}, {"differs", p.differs()}});
  }
  for (const auto& m : c.metrics) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : m.values) values.push_back(v ? json_number(*v) : nlohmann::json(nullptr));
    j["metrics"].push_back({{"name", m.name}, {"values", values}, {"differs", m.differs()}});
  }
  return j;
}

}  // namespace typeflow::cli_detail
