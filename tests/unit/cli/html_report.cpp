// The HTML run report: a real run through a real store (a failing step, metrics over epochs)
// rendered to a page — run id, one coloured node per step, arrows, escaped user text, one
// polyline per step and metric with one point per index, nothing loaded from the network —
// and hand-made records for the states a run seldom shows (map roll-up, not run, cached).
#include <typeflow/report/html.hpp>
#include <typeflow/store.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;

namespace {
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + what.size()))
    ++n;
  return n;
}

/// The text of the chart of one metric.
std::string chart(const std::string& html, const std::string& metric) {
  const auto start = html.find("<div class=\"chart\" id=\"metric-" + metric + "\">");
  REQUIRE(start != std::string::npos);
  const auto end = html.find("</div></div>", start);
  REQUIRE(end != std::string::npos);
  return html.substr(start, end - start);
}

/// The number of points of the polyline of `step` in a chart; -1 when there is none.
int points_of(const std::string& chart_text, const std::string& step) {
  const std::regex re("<polyline class=\"series\" data-step=\"" + step +
                      "\" stroke=\"[^\"]+\" points=\"([^\"]*)\"");
  std::smatch m;
  if (!std::regex_search(chart_text, m, re)) return -1;
  std::istringstream in(m[1].str());
  int n = 0;
  for (std::string pt; in >> pt;) {
    REQUIRE(std::regex_match(pt, std::regex(R"(-?\d+(\.\d+)?,-?\d+(\.\d+)?)")));
    ++n;
  }
  return n;
}

tyf::pipeline reported_pipeline() {
  tyf::pipeline p{"reported"};
  auto lr = p.param<double>("lr", 0.1).describe("learning <rate>");
  auto note = p.param<std::string>("note", "plain");
  auto n = p.param<int>("n", 8);
  auto data = p.step(
      "load", [](int k) { return std::vector<double>(static_cast<std::size_t>(k), 1.0); }, n);
  auto model = p.step(
      "train",
      [](const std::vector<double>& v, double rate, tyf::context& ctx) {
        double w = 0;
        for (std::int64_t epoch = 0; epoch < 5; ++epoch) {
          w += rate * static_cast<double>(v.size());
          ctx.log_metric("loss", 1.0 / (1.0 + w), epoch);
          ctx.log_metric("acc", 0.5 + 0.1 * static_cast<double>(epoch), epoch);
        }
        return w;
      },
      data, lr);
  p.step(
      "evaluate",
      [](double w, tyf::context& ctx) {
        for (std::int64_t i = 0; i < 3; ++i)
          ctx.log_metric("acc", 0.4 + 0.05 * static_cast<double>(i) + w * 0, i);
        return w;
      },
      model);
  auto report = p.step(
      "report",
      [](double, const std::string&) -> int {
        throw std::runtime_error("<script>alert('x')</script> & more");
      },
      model, note);
  p.step(
      "publish", [](int) {}, report);
  return p;
}
}  // namespace

TEST_CASE("html report: a stored run with a failing step and metrics over epochs") {
  temp_dir dir;
  tyf::store st{dir.path() / "store"};
  auto p = reported_pipeline();
  auto r = st.run(p, tyf::store_options{}
                         .experiment("exp & <1>")
                         .tag("owner", "<b>me</b>")
                         .set("note", "<i>\"quoted\"</i>"));
  REQUIRE(r.status() == tyf::run_status::failed);
  const auto d = st.show(r.run_id());
  const auto html = tyf::html_report(p, d);

  // A page, about this run.
  REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
  REQUIRE(html.find("</html>") != std::string::npos);
  REQUIRE(count(html, r.run_id()) >= 2);  // title and header
  REQUIRE(html.find("<span id=\"run-status\" class=\"badge run-failed\">failed</span>") !=
          std::string::npos);
  REQUIRE(html.find("<svg class=\"dag-graph\"") != std::string::npos);

  // One node per step, coloured by its status; parameters drawn apart.
  REQUIRE(count(html, "<g class=\"node ") == 5);
  REQUIRE(html.find("<g class=\"node st-succeeded\" id=\"node-load\">") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-succeeded\" id=\"node-train\">") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-succeeded\" id=\"node-evaluate\">") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-failed\" id=\"node-report\">") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-skipped\" id=\"node-publish\">") != std::string::npos);
  REQUIRE(count(html, "<g class=\"param\"") == 3);
  // Edges: n->load, load->train, lr->train, train->evaluate, train->report, note->report,
  // report->publish; each with an arrowhead.
  REQUIRE(count(html, "<path class=\"edge\"") == 7);
  REQUIRE(count(html, "marker-end=\"url(#arrow)\"") == 7);

  // The stored outputs: the type, size and hash of each, in the steps' order.
  const auto artifacts = html.substr(html.find("<table class=\"artifacts\">"));
  REQUIRE(artifacts.find("<tr data-step=\"load\"><td>load</td><td><code>std::vector&lt;double") !=
          std::string::npos);
  REQUIRE(std::regex_search(artifacts,
                            std::regex(R"re(<tr data-step="train"><td>train</td><td><code>double)re"
                                       R"re(</code></td><td class="num">\d+ B</td><td><code>)re"
                                       R"re([0-9a-f]{32}</code></td></tr>)re")));
  REQUIRE(artifacts.find("data-step=\"report\"") == std::string::npos);  // it failed: none
  REQUIRE(html.find("<marker id=\"arrow\"") != std::string::npos);

  // Every user string is escaped: the step error, the experiment, tags, parameter values
  // and descriptions.
  REQUIRE(html.find("<script") == std::string::npos);
  REQUIRE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more") !=
          std::string::npos);
  REQUIRE(html.find("exp &amp; &lt;1&gt;") != std::string::npos);
  REQUIRE(html.find("owner=&lt;b&gt;me&lt;/b&gt;") != std::string::npos);
  REQUIRE(html.find("&lt;i&gt;&quot;quoted&quot;&lt;/i&gt;") != std::string::npos);
  REQUIRE(html.find("learning &lt;rate&gt;") != std::string::npos);
  REQUIRE(html.find("<b>me") == std::string::npos);
  REQUIRE(html.find("<i>\"quoted") == std::string::npos);

  // The steps table has every step with its status; the parameters table every parameter.
  REQUIRE(html.find("<tr data-step=\"report\"><td>report</td><td><span class=\"badge "
                    "st-failed\">failed</span></td>") != std::string::npos);
  REQUIRE(html.find("<tr data-step=\"publish\"><td>publish</td><td><span class=\"badge "
                    "st-skipped\">skipped</span></td>") != std::string::npos);
  REQUIRE(html.find("<tr><td>lr</td><td class=\"msg\">0.1</td><td>double</td>") !=
          std::string::npos);

  // One chart per metric; one polyline per step that logged it, one point per index.
  REQUIRE(count(html, "<div class=\"chart\"") == 2);
  const auto loss = chart(html, "loss");
  REQUIRE(count(loss, "<polyline") == 1);
  REQUIRE(points_of(loss, "train") == 5);
  const auto acc = chart(html, "acc");
  REQUIRE(count(acc, "<polyline") == 2);
  REQUIRE(points_of(acc, "train") == 5);
  REQUIRE(points_of(acc, "evaluate") == 3);
  // Axes labelled with the extremes: indices 0..4, acc from 0.4 to 0.9.
  REQUIRE(acc.find("<text class=\"x-min\"") != std::string::npos);
  REQUIRE(acc.find(">0.4</text>") != std::string::npos);
  REQUIRE(acc.find(">0.9</text>") != std::string::npos);
  REQUIRE(acc.find(">4</text>") != std::string::npos);

  // Self-contained: no references to anything on the network, no script at all.
  REQUIRE(html.find("http://") == std::string::npos);
  REQUIRE(html.find("https://") == std::string::npos);
  REQUIRE(html.find("<script") == std::string::npos);
  REQUIRE(html.find("src=") == std::string::npos);
  REQUIRE(html.find("<link") == std::string::npos);
}

TEST_CASE("html report: map elements roll up into their step; steps without a record are not run") {
  tyf::pipeline p{"mapped"};
  auto items = p.constant("items", std::vector<int>{1, 2, 3});
  auto out = p.map(
      "work", [](int x) { return x; }, items);
  auto use = p.step(
      "use", [](const std::vector<int>&) { return 0; }, out);
  p.step("slow", [] { return 1; }).after(use);

  tyf::run_details d;
  d.run.id = "abc123def456";
  d.run.pipeline = "mapped";
  d.run.status = tyf::run_status::failed;
  auto rec = [](std::string name, tyf::step_status s, std::string message = {}) {
    tyf::step_info i;
    i.name = std::move(name);
    i.status = s;
    i.attempts = 1;
    i.message = std::move(message);
    return i;
  };
  d.steps.push_back(rec("items", tyf::step_status::cached));
  d.steps.back().cache_hit = true;
  d.steps.push_back(rec("work[10]", tyf::step_status::succeeded));
  d.steps.push_back(rec("work[0]", tyf::step_status::succeeded));
  d.steps.push_back(rec("work[1]", tyf::step_status::failed, "bad item"));
  d.steps.push_back(rec("slow", tyf::step_status::timed_out, "timed out after 1s"));
  d.steps.push_back(rec("gone", tyf::step_status::succeeded));  // a step the pipeline lacks now
  d.metrics.push_back({"slow", "only", 2.5, 0, {}});

  const auto html = tyf::html_report(p, d);
  REQUIRE(count(html, "<g class=\"node ") == 4);
  REQUIRE(html.find("<g class=\"node st-cached\" id=\"node-items\">") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-failed\" id=\"node-work\">") != std::string::npos);
  REQUIRE(html.find("failed \xC2\xB7 2/3 elements") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-notrun\" id=\"node-use\">") != std::string::npos);
  REQUIRE(html.find("<g class=\"node st-timed_out\" id=\"node-slow\">") != std::string::npos);
  // items -> work -> use as data, use -> slow as an ordering edge (dashed).
  REQUIRE(count(html, "<path class=\"edge\"") == 2);
  REQUIRE(count(html, "<path class=\"edge order\"") == 1);
  REQUIRE(html.find("use &#8594; slow (runs after)") != std::string::npos);
  // Elements are listed under their step, by index; an unknown record still shows.
  const auto w0 = html.find("<tr data-step=\"work[0]\"><td>work[0]</td>");
  const auto w1 = html.find("<tr data-step=\"work[1]\"><td>work[1]</td>");
  const auto w10 = html.find("<tr data-step=\"work[10]\"><td>work[10]</td>");
  REQUIRE(w0 != std::string::npos);
  REQUIRE(w0 < w1);
  REQUIRE(w1 < w10);
  REQUIRE(html.find("<tr data-step=\"gone\"><td>gone</td>") != std::string::npos);
  REQUIRE(html.find("<tr data-step=\"use\"><td>use</td><td><span class=\"badge st-notrun\">not "
                    "run</span></td>") != std::string::npos);
  // A one-point metric: a polyline of one point, a dot, and no NaN from a zero span.
  const auto only = chart(html, "only");
  REQUIRE(points_of(only, "slow") == 1);
  REQUIRE(only.find("<circle") != std::string::npos);
  REQUIRE(only.find("nan") == std::string::npos);
  REQUIRE(html.find("<p>none</p>") != std::string::npos);  // no parameters
}

TEST_CASE("html report: write_html_report writes the page, or throws naming the path") {
  temp_dir dir;
  tyf::store st{dir.path() / "store"};
  auto p = reported_pipeline();
  auto r = st.run(p);
  const auto d = st.show(r.run_id());

  auto out = dir.path() / "report.html";
  tyf::write_html_report(out, p, d);
  std::ifstream in(out, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  REQUIRE(text.str() == tyf::html_report(p, d));
  // Written again over the old file; no temporary left behind.
  tyf::write_html_report(out, p, d);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file() ? 1 : 0;
  REQUIRE(files == 1);

  const auto bad = dir.path() / "no-such-dir" / "report.html";
  REQUIRE_THROWS_AS(tyf::write_html_report(bad, p, d), std::runtime_error);
  REQUIRE_THROWS_WITH(
      tyf::write_html_report(bad, p, d),
      Catch::StartsWith("typeflow: cannot write the HTML report to '" + bad.string() + "': "));
  // A directory in the way of the rename.
  std::filesystem::create_directories(dir.path() / "taken.html" / "inside");
  REQUIRE_THROWS_WITH(tyf::write_html_report(dir.path() / "taken.html", p, d),
                      Catch::Contains((dir.path() / "taken.html").string()));
  files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file() ? 1 : 0;
  REQUIRE(files == 1);
}

TEST_CASE("html report: a symbolic link planted at a temporary file's name is not followed") {
  temp_dir dir;
  tyf::store st{dir.path() / "store"};
  auto p = reported_pipeline();
  auto r = st.run(p);
  const auto d = st.show(r.run_id());
  const auto out = dir.path() / "report.html";
  const auto victim = dir.path() / "victim.txt";
  std::ofstream(victim) << "precious";
  // The names the temporary file used to have (report.html.tmp-PID-N): written through, and
  // the link renamed over the report.
  for (int n = 0; n < 1024; ++n) {
    auto planted = out;
    planted += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(n);
    std::filesystem::create_symlink(victim, planted);
  }
  tyf::write_html_report(out, p, d);
  tyf::write_html_report(out, p, d);
  std::ifstream v(victim, std::ios::binary);
  std::ostringstream victim_text;
  victim_text << v.rdbuf();
  CHECK(victim_text.str() == "precious");
  REQUIRE_FALSE(std::filesystem::is_symlink(out));
  std::ifstream in(out, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  CHECK(text.str() == tyf::html_report(p, d));
  // Only the planted links, the victim and the report: no temporary left behind.
  std::size_t links = 0, files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    links += e.is_symlink() ? 1 : 0;
    files += !e.is_symlink() && e.is_regular_file() ? 1 : 0;
  }
  CHECK(links == 1024);
  CHECK(files == 2);
}
