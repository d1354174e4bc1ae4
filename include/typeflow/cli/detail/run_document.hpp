#pragma once
// A stored run as the command line shows it (`show`, and the document `run --json` ends
// with): the run's details and the final value of each metric, built once, then rendered as
// JSON or as text. Neither renderer reads the other's output.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/text.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow::cli_detail {

struct run_document {
  run_details details;
  /// "step.metric" -> its last value: the point with the highest index, then the latest (as
  /// store::compare and run_details::final_metric pick).
  std::map<std::string, double> final_metrics;
};

inline run_document make_run_document(run_details d) {
  run_document doc;
  std::map<std::string, const metric_record*> best;
  for (const auto& m : d.metrics) {
    auto& b = best[m.step + "." + m.name];
    if (b == nullptr || m.index > b->index || (m.index == b->index && m.time >= b->time)) b = &m;
  }
  for (const auto& [key, m] : best) doc.final_metrics.emplace(key, m->value);
  doc.details = std::move(d);
  return doc;
}

/// The run (run_json's fields) plus "steps", "metrics" (every point) and "final_metrics".
inline nlohmann::json details_json(const run_document& doc) {
  const auto& d = doc.details;
  auto j = run_json(d.run);
  j["steps"] = nlohmann::json::array();
  for (const auto& s : d.steps) {
    nlohmann::json step{
        {"name", s.name},
        {"status", to_string(s.status)},
        {"attempts", s.attempts},
        {"started", s.started ? nlohmann::json(iso_time(*s.started)) : nlohmann::json(nullptr)},
        {"ended", s.ended ? nlohmann::json(iso_time(*s.ended)) : nlohmann::json(nullptr)},
        {"duration_s", s.started && s.ended ? seconds(*s.ended - *s.started) : 0.0},
        {"cache_hit", s.cache_hit},
        {"message", s.message},
        {"artifact", nullptr}};
    if (s.artifact) {
      step["artifact"] = {
          {"hash", s.artifact->hash}, {"size", s.artifact->size}, {"type", s.artifact->type}};
    }
    j["steps"].push_back(std::move(step));
  }
  j["metrics"] = nlohmann::json::array();
  for (const auto& m : d.metrics) {
    j["metrics"].push_back({{"step", m.step},
                            {"name", m.name},
                            {"value", json_number(m.value)},
                            {"index", m.index},
                            {"time", iso_time(m.time)}});
  }
  j["final_metrics"] = nlohmann::json::object();
  for (const auto& [key, value] : doc.final_metrics) j["final_metrics"][key] = json_number(value);
  return j;
}

/// `show`: the run's header, parameters, a table of its steps and the final metrics.
inline std::string show_text(const run_document& doc) {
  const auto& r = doc.details.run;
  std::string out = "run " + r.id + " of '" + r.pipeline + "': " + status_text(r) + "\n";
  out += "  started   " + date_text(r.started) + "  (" + format_duration(r.duration()) + ")\n";
  out += "  kind      " + r.kind + (r.origin.empty() ? "" : " of " + r.origin) + "\n";
  if (!r.experiment.empty()) out += "  experiment " + r.experiment + "\n";
  if (!r.tags.empty()) {
    std::string tags;
    for (const auto& [k, v] : r.tags) tags += (tags.empty() ? "" : ", ") + k + "=" + v;
    out += "  tags      " + tags + "\n";
  }
  if (!r.message.empty()) out += "  message   " + r.message + "\n";
  out += "parameters:\n";
  for (const auto& [k, v] : r.params) out += "  " + k + " = " + v + "\n";
  out += "steps:\n";
  std::vector<std::vector<std::string>> rows{
      {"  step", "status", "attempts", "duration", "cache", "error"}};
  for (const auto& s : doc.details.steps) {
    rows.push_back({"  " + s.name, std::string(to_string(s.status)), std::to_string(s.attempts),
                    s.started && s.ended ? format_duration(*s.ended - *s.started) : "-",
                    s.cache_hit ? "hit" : "-", s.message});
  }
  out += table(rows);
  if (!doc.final_metrics.empty()) {
    out += "metrics (final):\n";
    for (const auto& [k, v] : doc.final_metrics) out += "  " + k + " = " + format_number(v) + "\n";
  }
  return out;
}

}  // namespace typeflow::cli_detail
