#pragma once
// The definition of to_dot (graph/dot.hpp): from the dependency walk, without Boost.Graph.

#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/dot.hpp>
#include <typeflow/graph/info.hpp>

namespace typeflow {

namespace detail {
TYPEFLOW_INLINE std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// A node's DOT attributes after its label, by role (vertex_info::role).
TYPEFLOW_INLINE std::string_view dot_node_style(std::string_view role) {
  if (role == "parameter") return "shape=ellipse";
  if (role == "map") return "shape=box3d";
  if (role == "condition") return "shape=diamond";
  if (role == "gate") return "shape=octagon";
  if (role == "selector") return "shape=invhouse";
  if (role == "finally") return "shape=box, style=\"rounded,dashed\"";
  return "shape=box";
}

/// An edge's DOT attributes, by kind.
TYPEFLOW_INLINE std::string dot_edge_style(const edge_info& e) {
  switch (e.kind) {
    case dependency_kind::data:
    case dependency_kind::gate: return "label=" + dot_quote(e.type);
    case dependency_kind::items: return "label=" + dot_quote("items: " + e.type) + ", style=bold";
    case dependency_kind::guard:
      return std::string("label=\"") + (e.guard_value ? "if true" : "if false") +
             "\", style=dotted";
    case dependency_kind::skip_if: return "label=\"skip_if\", style=dotted, arrowhead=odot";
    case dependency_kind::order: return "style=dashed";
    case dependency_kind::finally: return "style=dashed, color=grey";
  }
  return {};
}
}  // namespace detail

TYPEFLOW_INLINE std::string to_dot(const pipeline& p) {
  const auto& d = *p.definition();
  std::string out = "digraph " + detail::dot_quote(p.name()) + " {\n  rankdir=LR;\n";
  for (detail::node_id v = 0; v < d.nodes.size(); ++v) {
    const auto& nd = d.nodes[v];
    out += "  n" + std::to_string(v) + " [label=" + detail::dot_quote(nd.name) + ", " +
           std::string(detail::dot_node_style(detail::role_word(nd))) + "];\n";
  }
  for_each_dependency(d, [&](const dependency& dep) {
    out += "  n" + std::to_string(dep.from) + " -> n" + std::to_string(dep.to) + " [" +
           detail::dot_edge_style(edge_info_of(d, dep)) + "];\n";
  });
  return out + "}\n";
}

}  // namespace typeflow
