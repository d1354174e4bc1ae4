// What the command line prints for values that are hard to print, through real processes
// (tests/helpers/cli_child.cpp with $CLICHILD_ODD set, see there): NaN and infinite metrics
// (issue 15, defect 3) and invalid UTF-8 in parameter values, tags, metric names and exception
// messages (issue 15, defect 6), in every output: plain progress lines, the JSON event stream
// and run document, runs/show/compare as text and JSON, describe/graph --json, the notifier's
// payload, the HTML report.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <typeflow/cli.hpp>
#include <child_process.hpp>
#include <store_testing.hpp>

namespace tyf = typeflow;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

/// Runs the pipeline program with `args` to its end: stdin empty, stdout and stderr to files,
/// TYPEFLOW_STORE the directory's store, `env` added to the environment.
tyf::test::outcome cli(const temp_dir& dir, const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}) {
  return tyf::test::process{dir.path(), TYPEFLOW_CLI_CHILD, args,
                            tyf::test::store_options(dir.path(), env)}
      .finish();
}

/// Every line of `text` parsed as JSON; a line that is not JSON fails the test, naming it.
std::vector<json> json_lines(const std::string& text) {
  std::istringstream in{text};
  std::string line;
  std::vector<json> docs;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    REQUIRE(json::accept(line));
    docs.push_back(json::parse(line));
  }
  return docs;
}

json parse(const std::string& text) {
  INFO("output: " << text);
  REQUIRE(json::accept(text));
  return json::parse(text);
}

/// The values of metric `name` in a run document's "metrics", by index.
std::vector<json> metric_values(const json& run, const std::string& name) {
  std::vector<json> values;
  for (const auto& m : run["metrics"]) {
    if (m["name"] == name) values.push_back(m["value"]);
  }
  return values;
}

/// An attribute value of an HTML tag holding "nan" or "inf" (a number that is not one).
const std::regex non_number_attribute{R"re(="[^"]*\b(-?nan|-?inf)\b[^"]*")re"};

const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD, what an invalid byte becomes

}  // namespace

TEST_CASE("cli: NaN and infinite metrics are stored and shown as nan, inf and -inf everywhere") {
  temp_dir dir;
  const std::vector<std::string> odd{"CLICHILD_ODD=values"};
  auto r = cli(dir, {"run", "--param", "rows=3"}, odd);
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.err.find("could not be stored") == std::string::npos);
  CHECK(r.out.find("] odd metric diverge=nan (1)\n") != std::string::npos);
  CHECK(r.out.find("] odd metric diverge=inf (2)\n") != std::string::npos);
  CHECK(r.out.find("] odd metric diverge=-inf (3)\n") != std::string::npos);
  CHECK(r.out.find("-nan") == std::string::npos);

  // A note of its own, so that "odd" runs again instead of being served from the cache.
  auto j = cli(dir, {"run", "--json", "--param", "note=again"}, odd);
  INFO(j.err);
  REQUIRE(j.code == 0);
  const auto docs = json_lines(j.out);
  REQUIRE(docs.size() > 5);
  std::vector<json> streamed;
  for (std::size_t i = 0; i + 1 < docs.size(); ++i) {
    if (docs[i]["event"] == "metric" && docs[i]["metric"] == "diverge")
      streamed.push_back(docs[i]["value"]);
  }
  CHECK(streamed == std::vector<json>{0.5, "nan", "inf", "-inf"});
  auto run = docs.back();  // not const: a missing key reads as null
  CHECK(metric_values(run, "diverge") == std::vector<json>{0.5, "nan", "inf", "-inf"});
  CHECK(run["final_metrics"]["odd.diverge"] == "-inf");

  auto show = cli(dir, {"show", "latest"});
  REQUIRE(show.code == 0);
  CHECK(show.out.find("  odd.diverge = -inf\n") != std::string::npos);
  auto shown = parse(cli(dir, {"show", "--json", "latest"}).out);
  CHECK(metric_values(shown, "diverge") == std::vector<json>{0.5, "nan", "inf", "-inf"});
  CHECK(shown["final_metrics"]["odd.diverge"] == "-inf");

  const auto first = parse(cli(dir, {"runs", "--json"}).out)["runs"][1]["id"].get<std::string>();
  auto cmp = cli(dir, {"compare", first, "latest"});
  REQUIRE(cmp.code == 0);
  INFO(cmp.out);
  CHECK(std::regex_search(cmp.out, std::regex{R"(\n  odd\.diverge +-inf +-inf\n)"}));
  auto c = parse(cli(dir, {"compare", "--json", first, "latest"}).out);
  bool saw = false;
  for (const auto& m : c["metrics"]) {
    if (m["name"] != "odd.diverge") continue;
    saw = true;
    CHECK(m["values"] == json::array({"-inf", "-inf"}));
    CHECK(m["differs"] == false);
  }
  CHECK(saw);

  const auto file = dir.path() / "run.html";
  REQUIRE(cli(dir, {"show", "latest", "--html", file.string()}).code == 0);
  const auto html = tyf::test::slurp(file);
  std::smatch bad;
  const bool found = std::regex_search(html, bad, non_number_attribute);
  INFO("attribute: " << (found ? bad.str() : std::string{}));
  CHECK_FALSE(found);
  // The points that cannot be drawn are listed as text under their chart.
  CHECK(html.find(">nan<") != std::string::npos);
  CHECK(html.find(">inf<") != std::string::npos);
  CHECK(html.find(">-inf<") != std::string::npos);
}

TEST_CASE("cli: invalid UTF-8 in values, names and messages never breaks a JSON output") {
  temp_dir dir;
  const std::string bytes = "x\xff\xfe y \xe2\x82";  // two invalid bytes, a truncated sequence
  const auto notified = dir.path() / "notified.json";
  auto r = cli(dir,
               {"run", "--json", "--param", "rows=3", "--param", "note=" + bytes, "--tag",
                "t=" + bytes, "--notify-cmd", "cat > '" + notified.string() + "'"},
               {"CLICHILD_ODD=throw"});
  INFO(r.err);
  REQUIRE(r.code == 1);
  // The event stream: every line is JSON, the failure's message included.
  const auto docs = json_lines(r.out);
  REQUIRE(docs.size() > 5);
  bool saw_failure = false, saw_metric = false;
  for (std::size_t i = 0; i + 1 < docs.size(); ++i) {
    if (docs[i]["event"] == "step_failed") {
      saw_failure = true;
      CHECK(docs[i]["message"].get<std::string>().find("broken " + replacement + replacement +
                                                       " bytes, cut " + replacement) !=
            std::string::npos);
    }
    if (docs[i]["event"] == "metric" && docs[i]["metric"] == "bad" + replacement + replacement)
      saw_metric = true;
  }
  CHECK(saw_failure);
  CHECK(saw_metric);
  // The run document, the last line.
  auto run = docs.back();  // not const: a missing key reads as null
  CHECK(run["status"] == "failed");
  CHECK(run["params"]["note"] == "x" + replacement + replacement + " y " + replacement);
  CHECK(run["tags"]["t"] == "x" + replacement + replacement + " y " + replacement);
  CHECK(run["final_metrics"].contains("odd.cut" + replacement));
  // The notifier's payload.
  auto payload = parse(tyf::test::slurp(notified));
  CHECK(payload["message"].get<std::string>().find("broken " + replacement) != std::string::npos);

  // runs, show and compare as JSON, for as long as the run exists; as text, the bytes as given.
  REQUIRE(cli(dir, {"run", "--quiet", "--param", "rows=3"}, {"CLICHILD_ODD=values"}).code == 0);
  auto runs = parse(cli(dir, {"runs", "--json"}).out);
  REQUIRE(runs["runs"].size() == 2);
  CHECK(runs["runs"][1]["params"]["note"] == "x" + replacement + replacement + " y " + replacement);
  const auto failed = runs["runs"][1]["id"].get<std::string>();
  auto shown = parse(cli(dir, {"show", "--json", failed}).out);
  CHECK(shown["tags"]["t"] == "x" + replacement + replacement + " y " + replacement);
  bool saw_step = false;
  for (const auto& s : shown["steps"]) {
    if (s["name"] != "odd") continue;
    saw_step = true;
    CHECK(s["message"].get<std::string>().find("broken " + replacement) != std::string::npos);
  }
  CHECK(saw_step);
  auto c = parse(cli(dir, {"compare", "--json", failed, "latest"}).out);
  CHECK(c["runs"].size() == 2);
  auto text = cli(dir, {"show", failed});
  REQUIRE(text.code == 0);
  CHECK(text.out.find("note = " + bytes) != std::string::npos);

  // The pipeline's own JSON: the parameter's description holds invalid bytes.
  auto described = parse(cli(dir, {"describe", "--json"}, {"CLICHILD_ODD=values"}).out);
  bool saw_note = false;
  for (const auto& p : described["params"]) {
    if (p["name"] != "note") continue;
    saw_note = true;
    CHECK(p["description"] == "free text, even " + replacement + replacement + " bytes");
  }
  CHECK(saw_note);
  CHECK(parse(cli(dir, {"graph", "--format", "json"}, {"CLICHILD_ODD=values"}).out)
            .contains("nodes"));

  const auto file = dir.path() / "run.html";
  auto html = cli(dir, {"show", failed, "--html", file.string()});
  INFO(html.err);
  CHECK(html.code == 0);
  CHECK(tyf::test::slurp(file).find("broken ") != std::string::npos);
}
