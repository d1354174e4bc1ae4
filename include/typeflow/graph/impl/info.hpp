#pragma once
// The definitions of graph/info.hpp.

#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/detail/type_name.hpp>
#include <typeflow/graph/dependencies.hpp>
#include <typeflow/graph/info.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::string edge_text(const edge_info& e) {
  switch (e.kind) {
    case dependency_kind::data: return e.type;
    case dependency_kind::guard: return e.guard_value ? "guard: if true" : "guard: if false";
    case dependency_kind::order: return "after";
    case dependency_kind::finally: return "finally";
    case dependency_kind::items:
    case dependency_kind::gate:
    case dependency_kind::skip_if: break;
  }
  return std::string(to_string(e.kind)) + ": " + e.type;
}

TYPEFLOW_INLINE vertex_info vertex_info_of(const detail::definition& d, detail::node_id u) {
  const auto& nd = d.nodes[u];
  vertex_info v;
  v.name = std::string(nd.name);
  v.is_parameter = nd.kind == detail::node_kind::parameter;
  v.output_type = detail::demangle(*nd.output_type);
  v.role = std::string(detail::role_word(nd));
  return v;
}

TYPEFLOW_INLINE edge_info edge_info_of(const detail::definition& d, const dependency& dep) {
  edge_info e;
  e.kind = dep.kind;
  e.carries_data = dep.reads_value();
  e.guard_value = dep.guard_value;
  if (e.carries_data) {
    e.type = detail::demangle(*d.ports[dep.port].type);
    if (dep.kind != dependency_kind::guard) e.argument = dep.argument + 1;
  }
  return e;
}

}  // namespace typeflow
