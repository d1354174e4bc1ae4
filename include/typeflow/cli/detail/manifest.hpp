#pragma once
// The pipeline as plain data (steps, parameters, every dependency, scenes, structure hash),
// built once from its Boost.Graph lowering (itself built from the one walk over the edges), and its renderings: `graph` (text, JSON) and `describe`
// (text, JSON, the manifest). Each renderer reads the data; none parses another's output.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/lower.hpp>
#include <typeflow/launch/slurm.hpp>
#include <typeflow/store/structure_hash.hpp>

namespace typeflow::cli_detail {

/// What the command line tells about a pipeline without running it.
struct pipeline_manifest {
  struct edge {
    std::string from, to;
    edge_info info;  ///< kind, type read, argument, guard value (graph/lower.hpp)
  };
  struct node {
    std::string name;
    bool parameter = false;
    std::string role;                 ///< step, parameter, map, finally, condition, gate, selector
    std::string type;                 ///< the output type
    std::vector<std::size_t> inputs;  ///< indices into edges: every dependency of the node
    std::string placement;  ///< steps, with --executor slurm: "job" or "driver" (runs_as_job)
  };
  struct scene {
    std::string name;
    std::vector<std::string> steps;
  };
  std::string pipeline;
  std::string structure_hash;  ///< the one the run store records for runs of this pipeline
  std::vector<node> nodes;     ///< in declaration order
  std::vector<edge> edges;     ///< grouped by producer
  std::vector<param_info> params;
  std::vector<scene> scenes;
};

inline pipeline_manifest make_manifest(const pipeline& p) {
  const auto& d = *p.definition();
  const auto g = lower(p);
  pipeline_manifest m;
  m.pipeline = std::string(p.name());
  m.structure_hash = typeflow::structure_hash(d);
  std::map<const void*, std::size_t> edge_index;  // an edge's property -> its index
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    edge_index.emplace(e.get_property(), m.edges.size());
    m.edges.push_back({g[boost::source(e, g)].name, g[boost::target(e, g)].name, g[e]});
  }
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    pipeline_manifest::node n{g[v].name, g[v].is_parameter, g[v].role, g[v].output_type, {}, {}};
    if (!n.parameter) n.placement = runs_as_job(d, d.find(n.name)) ? "job" : "driver";
    for (auto e : boost::make_iterator_range(boost::in_edges(v, g)))
      n.inputs.push_back(edge_index.at(e.get_property()));
    m.nodes.push_back(std::move(n));
  }
  m.params = p.params();
  for (const auto& s : d.scenes) {
    pipeline_manifest::scene sc{s.name, {}};
    for (auto u : s.steps) sc.steps.emplace_back(d.nodes[u].name);
    m.scenes.push_back(std::move(sc));
  }
  return m;
}

/// `graph --format json`: {"pipeline", "nodes": [{"name", "kind": "step"|"parameter", "role",
/// "type", "placement" (steps: "job"|"driver")}], "edges": [{"from", "to", "kind": "data"|"items"|"gate"|"guard"|"skip_if"|"order"|
/// "finally", "type" (kinds that read a value), "argument" (data, items, gate, skip_if),
/// "guard_value" (guards)}]}.
inline nlohmann::json edges_json(const pipeline_manifest& m) {
  auto edges = nlohmann::json::array();
  for (const auto& e : m.edges) {
    nlohmann::json edge{{"from", e.from}, {"to", e.to}};
    edge["kind"] = std::string(to_string(e.info.kind));
    if (e.info.carries_data) {
      edge["type"] = e.info.type;
      if (e.info.argument != 0) edge["argument"] = e.info.argument;
    }
    if (e.info.kind == dependency_kind::guard) edge["guard_value"] = e.info.guard_value;
    edges.push_back(std::move(edge));
  }
  return edges;
}

inline nlohmann::json graph_json(const pipeline_manifest& m) {
  nlohmann::json j{
      {"pipeline", m.pipeline}, {"nodes", nlohmann::json::array()}, {"edges", edges_json(m)}};
  for (const auto& n : m.nodes) {
    nlohmann::json node{{"name", n.name},
                        {"kind", n.parameter ? "parameter" : "step"},
                        {"role", n.role},
                        {"type", n.type}};
    if (!n.parameter) node["placement"] = n.placement;
    j["nodes"].push_back(std::move(node));
  }
  return j;
}

/// `describe --json`: the graph's edges plus the steps, the parameters with types, defaults,
/// descriptions and constraints, the scenes, and the structure hash.
inline nlohmann::json manifest_json(const pipeline_manifest& m) {
  nlohmann::json j{{"pipeline", m.pipeline},
                   {"structure_hash", m.structure_hash},
                   {"steps", nlohmann::json::array()},
                   {"edges", edges_json(m)},
                   {"params", nlohmann::json::array()},
                   {"scenes", nlohmann::json::array()}};
  for (const auto& n : m.nodes) {
    if (!n.parameter) {
      j["steps"].push_back({{"name", n.name}, {"output_type", n.type}, {"placement", n.placement}});
    }
  }
  for (const auto& i : m.params) {
    j["params"].push_back(
        {{"name", i.name},
         {"type", i.type},
         {"default", i.default_value ? nlohmann::json(*i.default_value) : nlohmann::json(nullptr)},
         {"description", i.description},
         {"constraints", i.constraints},
         {"choices", i.choices},
         {"required", i.required},
         {"delayed", i.delayed},
         {"environment_variable", i.environment_variable}});
  }
  for (const auto& s : m.scenes) j["scenes"].push_back({{"name", s.name}, {"steps", s.steps}});
  return j;
}

/// "train: double <- load (std::vector<double>), mode (Mode), evaluate (after), when-1 (guard:
/// if true)": every dependency, with its kind where it is not plain data (edge_text).
inline std::string step_text(const pipeline_manifest& m, const pipeline_manifest::node& n) {
  std::string out = n.name + ": " + n.type;
  std::string ins;
  for (auto i : n.inputs) {
    const auto& e = m.edges[i];
    ins += (ins.empty() ? "" : ", ") + e.from + " (" + edge_text(e.info) + ")";
  }
  if (!ins.empty()) out += " <- " + ins;
  return out;
}

/// `graph`: one line per parameter ("param NAME: TYPE") and per step ("step  " + step_text +
/// " [job]" or " [driver]": where it runs with --executor slurm).
inline std::string graph_text(const pipeline_manifest& m) {
  std::string out;
  for (const auto& n : m.nodes) {
    out += n.parameter ? "param " + n.name + ": " + n.type + "\n"
                       : "step  " + step_text(m, n) + " [" + n.placement + "]\n";
  }
  return out;
}

/// `describe`: the steps, the parameters with what a valid value is, and the scenes.
inline std::string describe_text(const pipeline_manifest& m) {
  std::string out = "pipeline " + m.pipeline + " (structure " + m.structure_hash +
                    ")\nsteps ([job] or [driver]: where each runs with --executor slurm):\n";
  for (const auto& n : m.nodes) {
    if (!n.parameter) out += "  " + step_text(m, n) + " [" + n.placement + "]\n";
  }
  out += "parameters:\n";
  for (const auto& i : m.params) {
    out += "  " + i.name + ": " + i.type;
    out += i.default_value ? " = " + *i.default_value : std::string(" (required)");
    if (!i.constraints.empty()) out += "; " + i.constraints;
    // A choices() constraint says its values itself; an enum's values have no constraint text.
    if (!i.choices.empty() && i.constraints.find("one of") == std::string::npos)
      out += "; one of " + join(i.choices);
    if (i.delayed) out += "; delayed";
    if (!i.description.empty()) out += "  -- " + i.description;
    out += "\n";
  }
  if (!m.scenes.empty()) {
    out += "scenes:\n";
    for (const auto& s : m.scenes) out += "  " + s.name + ": " + join(s.steps) + "\n";
  }
  return out;
}

}  // namespace typeflow::cli_detail
