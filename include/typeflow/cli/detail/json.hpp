#pragma once
// The JSON documents the command line prints (--json): runs, run details, comparisons, the
// pipeline's graph and its manifest. Their shapes are documented in the README ("The command
// line") and pinned by tests/unit/cli.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include <typeflow/detail/time_text.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/lower.hpp>
#include <typeflow/store/records.hpp>
#include <typeflow/store/structure_hash.hpp>

namespace typeflow::cli_detail {

/// "2026-11-28T18:20:11.123Z" (UTC).
inline std::string iso_time(std::chrono::system_clock::time_point t) {
  auto seconds_text = detail::time_text(t, "%Y-%m-%dT%H:%M:%S", detail::time_zone::utc);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms < 0 ? ms + 1000 : ms));
  return seconds_text + frac;
}

inline double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

inline nlohmann::json run_json(const run_info& r) {
  nlohmann::json j{{"id", r.id},
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
                   {"tags", r.tags}};
  return j;
}

inline nlohmann::json details_json(const run_details& d) {
  auto j = run_json(d.run);
  j["steps"] = nlohmann::json::array();
  for (const auto& s : d.steps) {
    nlohmann::json step{{"name", s.name},
                        {"status", to_string(s.status)},
                        {"attempts", s.attempts},
                        {"started", s.started ? nlohmann::json(iso_time(*s.started)) : nlohmann::json(nullptr)},
                        {"ended", s.ended ? nlohmann::json(iso_time(*s.ended)) : nlohmann::json(nullptr)},
                        {"duration_s", s.started && s.ended ? seconds(*s.ended - *s.started) : 0.0},
                        {"cache_hit", s.cache_hit},
                        {"message", s.message},
                        {"artifact", nullptr}};
    if (s.artifact) {
      step["artifact"] = {{"hash", s.artifact->hash}, {"size", s.artifact->size}, {"type", s.artifact->type}};
    }
    j["steps"].push_back(std::move(step));
  }
  j["metrics"] = nlohmann::json::array();
  nlohmann::json finals = nlohmann::json::object();
  for (const auto& m : d.metrics) {
    j["metrics"].push_back({{"step", m.step}, {"name", m.name}, {"value", m.value}, {"index", m.index},
                            {"time", iso_time(m.time)}});
  }
  for (const auto& m : d.metrics) {
    auto key = m.step + "." + m.name;
    if (!finals.contains(key)) {
      // The last point by index, then time, as comparison and run_details::final_metric pick.
      const metric_record* best = nullptr;
      for (const auto& n : d.metrics) {
        if (n.step != m.step || n.name != m.name) continue;
        if (best == nullptr || n.index > best->index || (n.index == best->index && n.time >= best->time)) {
          best = &n;
        }
      }
      finals[key] = best->value;
    }
  }
  j["final_metrics"] = std::move(finals);
  return j;
}

inline nlohmann::json comparison_json(const comparison& c) {
  nlohmann::json j{{"runs", c.runs}, {"params", nlohmann::json::array()}, {"metrics", nlohmann::json::array()}};
  for (const auto& p : c.params) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : p.values) values.push_back(v ? nlohmann::json(*v) : nlohmann::json(nullptr));
    j["params"].push_back({{"name", p.name}, {"values", values}, {"differs", p.differs()}});
  }
  for (const auto& m : c.metrics) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& v : m.values) values.push_back(v ? nlohmann::json(*v) : nlohmann::json(nullptr));
    j["metrics"].push_back({{"name", m.name}, {"values", values}, {"differs", m.differs()}});
  }
  return j;
}

/// Nodes and edges: {"nodes": [{"name", "kind": "step"|"parameter", "type"}],
/// "edges": [{"from", "to", "kind": "data"|"items"|"gate"|"guard"|"skip_if"|"order"|"finally",
/// "type" (kinds that read a value), "argument" (data, items, gate, skip_if), "guard_value"}]}.
inline nlohmann::json graph_json(const pipeline& p) {
  auto g = lower(p);
  nlohmann::json j{{"pipeline", std::string(p.name())}, {"nodes", nlohmann::json::array()},
                   {"edges", nlohmann::json::array()}};
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    j["nodes"].push_back({{"name", g[v].name},
                          {"kind", g[v].is_parameter ? "parameter" : "step"},
                          {"type", g[v].output_type}});
  }
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    nlohmann::json edge{{"from", g[boost::source(e, g)].name}, {"to", g[boost::target(e, g)].name}};
    edge["kind"] = std::string(to_string(g[e].kind));
    if (g[e].carries_data) {
      edge["type"] = g[e].type;
      if (g[e].argument != 0) edge["argument"] = g[e].argument;
    }
    if (g[e].kind == dependency_kind::guard) edge["guard_value"] = g[e].guard_value;
    j["edges"].push_back(std::move(edge));
  }
  return j;
}

/// The manifest: the graph plus parameters with types, defaults, descriptions and
/// constraints, the scenes, and the structure hash the run store records.
inline nlohmann::json manifest_json(const pipeline& p) {
  const auto& d = *p.definition();
  auto graph = graph_json(p);
  nlohmann::json j{{"pipeline", std::string(p.name())},
                   {"structure_hash", typeflow::structure_hash(d)},
                   {"steps", nlohmann::json::array()},
                   {"edges", graph["edges"]},
                   {"params", nlohmann::json::array()},
                   {"scenes", nlohmann::json::array()}};
  for (const auto& n : graph["nodes"]) {
    if (n["kind"] == "step") j["steps"].push_back({{"name", n["name"]}, {"output_type", n["type"]}});
  }
  for (const auto& i : p.params()) {
    j["params"].push_back({{"name", i.name},
                           {"type", i.type},
                           {"default", i.default_value ? nlohmann::json(*i.default_value) : nlohmann::json(nullptr)},
                           {"description", i.description},
                           {"constraints", i.constraints},
                           {"choices", i.choices},
                           {"required", i.required},
                           {"delayed", i.delayed},
                           {"environment_variable", i.environment_variable}});
  }
  for (const auto& s : d.scenes) {
    nlohmann::json steps = nlohmann::json::array();
    for (auto u : s.steps) steps.push_back(std::string(d.nodes[u].name));
    j["scenes"].push_back({{"name", s.name}, {"steps", steps}});
  }
  return j;
}

}  // namespace typeflow::cli_detail
