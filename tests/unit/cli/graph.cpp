// `graph` (text, json) and `describe` (text, json) show every dependency of the walk: each
// (from, to, kind) of dependencies_of appears, with the guard's value. Run in process through
// typeflow::main with injected streams.
#include <typeflow/cli.hpp>
#include <typeflow/graph/dependencies.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include <graph_pipelines.hpp>

namespace tyf = typeflow;
using json = nlohmann::json;

namespace {
std::string run_main(tyf::pipeline& p, std::vector<std::string> args) {
  std::ostringstream out, err;
  std::istringstream in;
  tyf::cli_options o;
  o.out = &out;
  o.err = &err;
  o.in = &in;
  o.handle_sigint = false;
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int code = tyf::main(static_cast<int>(args.size()), argv.data(), p, o);
  INFO(err.str());
  REQUIRE(code == 0);
  return out.str();
}

using end_kind = std::tuple<std::string, std::string, std::string>;

std::vector<end_kind> walked(const tyf::pipeline& p) {
  const auto& d = *p.definition();
  std::vector<end_kind> out;
  for (const auto& e : tyf::dependencies_of(d)) {
    out.emplace_back(d.nodes[e.from].name, d.nodes[e.to].name, tyf::to_string(e.kind));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The line of `text` that starts with `start`, or "".
std::string line_of(const std::string& text, const std::string& start) {
  auto at = text.find("\n" + start);
  if (at == std::string::npos)
    return text.rfind(start, 0) == 0 ? text.substr(0, text.find('\n')) : "";
  ++at;
  return text.substr(at, text.find('\n', at) - at);
}

/// How a text line names an edge from `from` of this dependency's kind.
std::string text_mark(const tyf::detail::definition& d, const tyf::dependency& e) {
  const std::string from(d.nodes[e.from].name);
  switch (e.kind) {
    case tyf::dependency_kind::data:
      return from + " (" + tyf::detail::demangle(*d.ports[e.port].type) + ")";
    case tyf::dependency_kind::guard:
      return from + (e.guard_value ? " (guard: if true)" : " (guard: if false)");
    case tyf::dependency_kind::order: return from + " (after)";
    case tyf::dependency_kind::finally: return from + " (finally)";
    default: return from + " (" + std::string(tyf::to_string(e.kind)) + ": ";
  }
}
}  // namespace

TEST_CASE("cli: graph --format json lists every dependency with its kind and guard value") {
  auto p = tyf::test::every_dependency_pipeline();
  auto g = json::parse(run_main(p, {"graph", "--format", "json"}));
  std::vector<end_kind> edges;
  int guards = 0;
  for (const auto& e : g["edges"]) {
    edges.emplace_back(e["from"], e["to"], e["kind"]);
    if (e["kind"] == "guard") {
      ++guards;
      CHECK(e["from"] == "when-1");
      CHECK(e["guard_value"] == (e["to"] == "export"));
      CHECK(e["type"] == "bool");
    } else {
      CHECK(!e.contains("guard_value"));
    }
    if (e["kind"] == "order" || e["kind"] == "finally") CHECK(!e.contains("type"));
    if (e["kind"] == "skip_if") CHECK(e["argument"] == 1);
  }
  std::sort(edges.begin(), edges.end());
  CHECK(edges == walked(p));
  CHECK(guards == 2);

  auto m = json::parse(run_main(p, {"describe", "--json"}));
  CHECK(m["edges"] == g["edges"]);
  CHECK(m["structure_hash"] == tyf::structure_hash(p));
}

TEST_CASE("cli: graph and describe text name every dependency and its kind") {
  auto p = tyf::test::every_dependency_pipeline();
  const auto& d = *p.definition();
  const auto graph = run_main(p, {"graph", "--format", "text"});
  const auto describe = run_main(p, {"describe"});
  INFO(graph);
  INFO(describe);
  for (const auto& e : tyf::dependencies_of(d)) {
    const std::string to(d.nodes[e.to].name);
    INFO(d.nodes[e.from].name << " -> " << to << " (" << tyf::to_string(e.kind) << ")");
    CHECK_THAT(line_of(graph, "step  " + to + ": "), Catch::Contains(text_mark(d, e)));
    CHECK_THAT(line_of(describe, "  " + to + ": "), Catch::Contains(text_mark(d, e)));
  }
  CHECK_THAT(graph, Catch::Contains(
                        "step  report: double <- score (int), when-1 (guard: if false) [job]\n"));
  CHECK_THAT(graph,
             Catch::Contains("step  notify: void <- upload (finally), audit (finally) [driver]\n"));
}
