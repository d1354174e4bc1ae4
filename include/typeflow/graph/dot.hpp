#pragma once
// Graphviz DOT export: steps as boxes, parameters as ellipses, each data edge labelled with
// the C++ type it carries, ordering edges dashed.

#include <string>
#include <string_view>

#include <boost/graph/graph_traits.hpp>

#include <typeflow/core/pipeline.hpp>
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
}  // namespace detail

/// The pipeline as a Graphviz digraph (render with `dot -Tsvg`).
inline std::string to_dot(const pipeline& p) {
  auto g = lower(p);
  std::string out = "digraph " + detail::dot_quote(p.name()) + " {\n  rankdir=LR;\n";
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    out += "  n" + std::to_string(v) + " [label=" + detail::dot_quote(g[v].name) +
           (g[v].is_parameter ? ", shape=ellipse" : ", shape=box") + "];\n";
  }
  for (auto e : boost::make_iterator_range(boost::edges(g))) {
    out += "  n" + std::to_string(boost::source(e, g)) + " -> n" +
           std::to_string(boost::target(e, g));
    out += g[e].carries_data ? " [label=" + detail::dot_quote(g[e].type) + "]" : " [style=dashed]";
    out += ";\n";
  }
  return out + "}\n";
}

}  // namespace typeflow
