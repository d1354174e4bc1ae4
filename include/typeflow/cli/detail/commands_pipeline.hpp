#pragma once
// The commands that tell about the pipeline itself, without a store: graph and describe. Both
// build the pipeline's manifest once and render it as text or JSON; cli/main.hpp lists them
// in its command table.

#include <CLI/CLI.hpp>

#include <typeflow/cli/detail/common.hpp>
#include <typeflow/cli/detail/manifest.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/graph/dot.hpp>

namespace typeflow::cli_detail {

// ---------------------------------------------------------------------------------- graph
inline void declare_graph(CLI::App& c, command_args& a) {
  c.add_option("--format", a.format, "dot, json or text")
      ->check(CLI::IsMember({"dot", "json", "text"}));
}
inline int graph_command(const command_context& ctx) {
  const auto& format = ctx.args.format;
  if (format == "dot") {
    ctx.io.out << to_dot(ctx.p);
    return exit_ok;
  }
  const auto m = make_manifest(ctx.p);
  if (format == "json")
    ctx.io.out << detail::json_text(graph_json(m), 2) << '\n';
  else
    ctx.io.out << graph_text(m);
  return exit_ok;
}

// ------------------------------------------------------------------------------- describe
inline void declare_describe(CLI::App& c, command_args& a) {
  c.add_flag("--json", a.json, "one JSON document");
}
inline int describe_command(const command_context& ctx) {
  const auto m = make_manifest(ctx.p);
  if (ctx.args.json)
    ctx.io.out << detail::json_text(manifest_json(m), 2) << '\n';
  else
    ctx.io.out << describe_text(m);
  return exit_ok;
}

}  // namespace typeflow::cli_detail
