#pragma once
// The one walk over every dependency of a pipeline: data edges (with the port they read),
// map items, gate inputs, branch guards, skip_if reads, .after() order and finally handlers.
// The executor's plan, slicing, Boost.Graph lowering, DOT/JSON export, describe and the
// structure hash all read the pipeline's edges through it, so they cannot disagree.

#include <cstdint>
#include <string_view>
#include <vector>

#include <typeflow/core/definition.hpp>

namespace typeflow {

/// Why one node waits for another.
enum class dependency_kind : std::uint8_t {
  data,     ///< reads an output (or a part of it, through a projection) as an argument
  items,    ///< a map step's vector: the step runs once per element of it
  gate,     ///< the value a quality gate (p.require) checks
  guard,    ///< a branch step waits for its condition's bool (p.when / .otherwise())
  skip_if,  ///< a value read to decide whether to skip the step (.skip_if)
  order,    ///< waits without reading (.after)
  finally,  ///< a finally handler runs after every other step; drawn from the sinks
};

/// The word for a dependency kind, as exports and `describe` print it.
[[nodiscard]] constexpr std::string_view to_string(dependency_kind k) noexcept {
  switch (k) {
    case dependency_kind::data: return "data";
    case dependency_kind::items: return "items";
    case dependency_kind::gate: return "gate";
    case dependency_kind::guard: return "guard";
    case dependency_kind::skip_if: return "skip_if";
    case dependency_kind::order: return "order";
    case dependency_kind::finally: return "finally";
  }
  return "unknown";
}

/// One dependency: `to` waits for `from`.
struct dependency {
  detail::node_id from = detail::none;
  detail::node_id to = detail::none;
  dependency_kind kind = dependency_kind::data;
  /// The port read (data, items, gate, guard, skip_if); none for order and finally.
  detail::port_id port = detail::none;
  /// data, items, gate: the index of the input in the definition's inputs, else none.
  std::uint32_t input = detail::none;
  /// data, items, gate: the 0-based argument position at `to`; skip_if: the position among
  /// the predicate's inputs.
  std::uint32_t argument = 0;
  /// guard: the condition's value that lets `to` run (false for an .otherwise() branch).
  bool guard_value = true;
  /// data: the output may be absent (a maybe<T> read as std::optional<T>).
  bool may_be_absent = false;

  /// True for every kind that reads the value of `from` (all but order and finally).
  [[nodiscard]] constexpr bool reads_value() const noexcept {
    return kind != dependency_kind::order && kind != dependency_kind::finally;
  }
};

/// Calls f(const dependency&) for every dependency that `v` reads a value through: its data
/// inputs in argument order, then its guard, then its skip_if inputs. Order edges and finally
/// handlers are not per node; for_each_dependency gives them.
template <class F>
void for_each_read(const detail::definition& d, detail::node_id v, F&& f) {
  const auto& nd = d.nodes[v];
  const auto data_kind =
      nd.role == detail::node_role::gate ? dependency_kind::gate : dependency_kind::data;
  const bool is_map = nd.kind == detail::node_kind::map;
  for (std::uint32_t i = 0; i < nd.input_count; ++i) {
    dependency e;
    e.input = nd.first_input + i;
    e.port = d.inputs[e.input];
    e.from = d.ports[e.port].node;
    e.to = v;
    e.kind = is_map && i == 0 ? dependency_kind::items : data_kind;
    e.argument = i;
    e.may_be_absent = e.input < d.input_tolerant.size() && d.input_tolerant[e.input] != 0;
    f(static_cast<const dependency&>(e));
  }
  if (!nd.control) return;
  const auto& c = *nd.control;
  if (c.guard != detail::none) {
    dependency e;
    e.from = c.guard;
    e.to = v;
    e.kind = dependency_kind::guard;
    e.port = d.nodes[c.guard].whole;
    e.guard_value = c.guard_value;
    f(static_cast<const dependency&>(e));
  }
  for (std::uint32_t i = 0; i < c.skip_ports.size(); ++i) {
    dependency e;
    e.port = c.skip_ports[i];
    e.from = d.ports[e.port].node;
    e.to = v;
    e.kind = dependency_kind::skip_if;
    e.argument = i;
    f(static_cast<const dependency&>(e));
  }
}

/// What for_each_dependency includes besides the reads and order edges.
enum class with_finally : bool { no, yes };

/// Calls f(const dependency&) for every dependency of the pipeline: each node's reads (in node
/// order, see for_each_read), then the .after() order edges in declaration order, then, with
/// with_finally::yes, one edge from every sink (a node nothing else waits for, other than a
/// finally handler) to each finally handler. Node ids are a topological order: `from` < `to`
/// for every edge but the finally ones, which go from later nodes to the handler.
template <class F>
void for_each_dependency(const detail::definition& d, F&& f,
                         with_finally finally = with_finally::yes) {
  const auto n = static_cast<detail::node_id>(d.nodes.size());
  for (detail::node_id v = 0; v < n; ++v) for_each_read(d, v, f);
  for (const auto& o : d.order) {
    dependency e;
    e.from = o.before;
    e.to = o.after;
    e.kind = dependency_kind::order;
    f(static_cast<const dependency&>(e));
  }
  if (finally == with_finally::no) return;
  std::vector<detail::node_id> handlers;
  for (detail::node_id v = 0; v < n; ++v) {
    if (d.nodes[v].kind == detail::node_kind::finally_handler) handlers.push_back(v);
  }
  if (handlers.empty()) return;
  std::vector<char> waited_for(n, 0);
  for (detail::node_id v = 0; v < n; ++v) {
    for_each_read(d, v, [&](const dependency& e) { waited_for[e.from] = 1; });
  }
  for (const auto& o : d.order) waited_for[o.before] = 1;
  for (detail::node_id u = 0; u < n; ++u) {
    if (waited_for[u] || d.nodes[u].kind == detail::node_kind::finally_handler) continue;
    for (auto h : handlers) {
      dependency e;
      e.from = u;
      e.to = h;
      e.kind = dependency_kind::finally;
      f(static_cast<const dependency&>(e));
    }
  }
}

/// Every dependency of the pipeline, in for_each_dependency's order.
[[nodiscard]] inline std::vector<dependency> dependencies_of(
    const detail::definition& d, with_finally finally = with_finally::yes) {
  std::vector<dependency> out;
  for_each_dependency(
      d, [&](const dependency& e) { out.push_back(e); }, finally);
  return out;
}

}  // namespace typeflow
