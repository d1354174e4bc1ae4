#pragma once
// Graphviz DOT export of every dependency: nodes shaped by role (steps boxes, parameters
// ellipses, maps box3d, conditions diamonds, gates octagons, selectors inverted houses,
// finally handlers dashed rounded boxes), data edges labelled with the C++ type they carry,
// guards dotted ("if true"/"if false"), skip_if reads labelled, order dashed, finally grey.

#include <string>
#include <string_view>

#include <boost/graph/graph_traits.hpp>
#include <boost/range/iterator_range.hpp>

#include <typeflow/core/pipeline.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/lower.hpp>

namespace typeflow {

namespace detail {
inline std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// A node's DOT attributes after its label, by role (vertex_info::role).
inline std::string_view dot_node_style(std::string_view role) {
  if (role == "parameter") return "shape=ellipse";
  if (role == "map") return "shape=box3d";
  if (role == "condition") return "shape=diamond";
  if (role == "gate") return "shape=octagon";
  if (role == "selector") return "shape=invhouse";
  if (role == "finally") return "shape=box, style=\"rounded,dashed\"";
  return "shape=box";
}

/// An edge's DOT attributes, by kind.
inline std::string dot_edge_style(const edge_info& e) {
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

/// The pipeline as a Graphviz digraph (render with `dot -Tsvg`): every node and every
/// dependency of for_each_dependency, finally handlers included.
inline std::string to_dot(const pipeline& p) {
  auto g = lower(p);
  std::string out = "digraph " + detail::dot_quote(p.name()) + " {\n  rankdir=LR;\n";
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    out += "  n" + std::to_string(v) + " [label=" + detail::dot_quote(g[v].name) + ", " +
           std::string(detail::dot_node_style(g[v].role)) + "];\n";
  }
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    out += "  n" + std::to_string(boost::source(e, g)) + " -> n" +
           std::to_string(boost::target(e, g)) + " [" + detail::dot_edge_style(g[e]) + "];\n";
  }
  return out + "}\n";
}

}  // namespace typeflow
