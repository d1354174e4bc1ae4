// The browser run mode's pages at the HTTP level (docs/ui.md, Pages): a real server on a free
// loopback port over a real store with real runs. What the server puts in each page: the ids
// and classes the script (/static/ui.js) and the browser tests use, every text from a user or a
// step escaped, no inline script or handler, the CSP that allows the program's own script, and
// a session (cookie and CSRF token) that lets the page POST.
#include <typeflow/report/html.hpp>
#include <typeflow/store.hpp>
#include <typeflow/ui/server.hpp>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <regex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "store_testing.hpp"

namespace tyf = typeflow;
using tyf::test::temp_dir;
using json = nlohmann::json;

namespace {

tyf::pipeline pages_pipeline() {
  tyf::pipeline p{"paged"};
  auto lr = p.param<double>("lr", 0.1).describe("learning <b>rate</b>").range(0.0, 1.0);
  auto epochs = p.param<int>("epochs", 3).range(1, 10);
  auto optimizer = p.param<std::string>("optimizer", "sgd").choices({"sgd", "adam"});
  auto fail = p.param<bool>("fail", false);
  auto note = p.param<std::string>("note", "\"><script>x</script>");
  auto model = p.step(
      "train",
      [](double rate, int n, const std::string&, const std::string&, tyf::context& ctx) {
        for (int epoch = 0; epoch < n; ++epoch)
          ctx.log_metric("loss", 1.0 / (1.0 + rate * epoch), epoch);
        return rate;
      },
      lr, epochs, optimizer, note);
  p.step(
      "report",
      [](double w, bool f) -> int {
        if (f) throw std::runtime_error("<script>alert('x')</script> & more");
        return static_cast<int>(w);
      },
      model, fail);
  p.scene("fit", {"train"});
  return p;
}

struct served {
  temp_dir dir;
  tyf::pipeline p = pages_pipeline();
  std::vector<std::string> ids;  ///< newest last
  std::optional<tyf::ui::server> srv;
  std::future<void> serving;

  served() {
    {
      tyf::store st{dir.path() / "store"};
      ids.push_back(
          st.run(p, tyf::store_options{}.experiment("base").tag("who", "<i>me</i>")).run_id());
      ids.push_back(st.run(p, tyf::store_options{}.set("fail", "true").set("lr", "0.5")).run_id());
    }
    tyf::ui::server_options o;
    o.store = dir.path() / "store";
    o.port = 0;
    srv.emplace(p, std::move(o));
    serving = std::async(std::launch::async, [this] { srv->run(); });
  }
  ~served() {
    srv->stop();
    if (serving.wait_for(std::chrono::seconds(10)) != std::future_status::ready) std::abort();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", static_cast<int>(srv->port()));
    c.set_read_timeout(std::chrono::seconds(30));
    return c;
  }
  /// GET `path`: a 200 HTML page with the UI's headers.
  std::string page(const std::string& path) const {
    auto r = client().Get(path.c_str());
    REQUIRE(r);
    INFO(path << ": " << r->body);
    REQUIRE(r->status == 200);
    REQUIRE(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
    check_safe(r->body);
    return r->body;
  }
  /// No script but the program's own, no inline event handler, nothing from elsewhere.
  static void check_safe(const std::string& html) {
    const std::string own = "<script src=\"/static/ui.js\" defer></script>";
    REQUIRE(count(html, own) == 1);
    REQUIRE(count(html, "<script") == 1);
    REQUIRE(count(html, "src=") == 1);
    REQUIRE_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase)));
    REQUIRE(html.find("javascript:") == std::string::npos);
    REQUIRE(html.find("http://") == std::string::npos);
    REQUIRE(html.find("https://") == std::string::npos);
    REQUIRE(
        std::regex_search(html, std::regex(R"(<meta name="csrf-token" content="[0-9a-f]{32}">)")));
  }
  static std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  }
};

std::regex csrf_meta() { return std::regex(R"re(name="csrf-token" content="([0-9a-f]{32})")re"); }

bool has(const std::string& html, const std::string& what) {
  return html.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("ui pages: the CSP allows the program's own script only; /static/ui.js is served") {
  served s;
  auto r = s.client().Get("/");
  REQUIRE(r);
  const auto csp = r->get_header_value("Content-Security-Policy");
  REQUIRE(has(csp, "default-src 'none'"));
  REQUIRE(has(csp, "script-src 'self';"));
  REQUIRE(has(csp, "connect-src 'self';"));
  REQUIRE_FALSE(has(csp, "unsafe-eval"));
  REQUIRE(csp.find("'unsafe-inline'") == csp.find("style-src 'unsafe-inline'") + 10);

  auto js = s.client().Get("/static/ui.js");
  REQUIRE(js);
  REQUIRE(js->status == 200);
  REQUIRE(js->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
  REQUIRE(js->get_header_value("X-Content-Type-Options") == "nosniff");
  REQUIRE(has(js->body, "textContent"));
  REQUIRE_FALSE(has(js->body, "innerHTML"));
  REQUIRE_FALSE(has(js->body, "eval("));
  REQUIRE(s.client().Get("/static/other.js")->status == 404);
}

TEST_CASE("ui pages: every page gives the browser a session whose token lets it POST") {
  served s;
  auto c = s.client();
  auto r = c.Get("/pipeline");
  REQUIRE(r);
  const auto set = r->get_header_value("Set-Cookie");
  REQUIRE(set.rfind("typeflow_session=", 0) == 0);
  REQUIRE(has(set, "HttpOnly"));
  REQUIRE(has(set, "SameSite=Strict"));
  const auto cookie = set.substr(0, set.find(';'));
  std::smatch m;
  REQUIRE(std::regex_search(r->body, m, csrf_meta()));
  const std::string token = m[1];

  // The same session on the next page: the same token, no new cookie.
  r = c.Get("/", httplib::Headers{{"Cookie", cookie}});
  REQUIRE(r);
  REQUIRE(r->get_header_value("Set-Cookie").empty());
  REQUIRE(has(r->body, "content=\"" + token + "\""));

  // The page's token starts a run (as /static/ui.js posts the start form).
  r = c.Post("/api/runs", httplib::Headers{{"Cookie", cookie}, {"X-CSRF-Token", token}},
             httplib::Params{{"param", "epochs=2"}});
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 202);
  // Another session's token does not.
  auto other = c.Get("/runs/new");
  REQUIRE(std::regex_search(other->body, m, csrf_meta()));
  r = c.Post("/api/runs", httplib::Headers{{"Cookie", cookie}, {"X-CSRF-Token", m[1].str()}},
             httplib::Params{{"param", "epochs=2"}});
  REQUIRE(r->status == 403);
}

TEST_CASE("ui pages: the runs page has its rows, checkboxes, compare button and links") {
  served s;
  const auto html = s.page("/");
  REQUIRE(has(html, "<table id=\"runs\""));
  REQUIRE(has(html, "<form id=\"pick\" method=\"get\" action=\"/compare\">"));
  REQUIRE(has(html, "<button type=\"submit\" id=\"compare\">"));
  REQUIRE(has(html, "<a id=\"new-run\" href=\"/runs/new\">"));
  REQUIRE(has(html, "href=\"/pipeline\""));
  for (const auto& id : s.ids) {
    REQUIRE(has(html, "<tr class=\"run\" data-run=\"" + id + "\">"));
    REQUIRE(has(html, "<input type=\"checkbox\" class=\"pick\" name=\"run\" value=\"" + id + "\""));
  }
  REQUIRE(has(html, "who=&lt;i&gt;me&lt;/i&gt;"));  // a tag, escaped
  REQUIRE(html.find("data-page=\"runs\"") != std::string::npos);
}

TEST_CASE("ui pages: a run's page is its report plus status, buttons and log links") {
  served s;
  const auto& failed = s.ids[1];
  const auto html = s.page("/runs/" + failed);
  REQUIRE(has(html, "<body data-page=\"run\" data-run=\"" + failed +
                        "\" data-status=\"failed\" data-log-base=\"/api/runs/" + failed +
                        "/logs/\">"));
  REQUIRE(has(html, "<span id=\"run-status\" class=\"badge run-failed\">failed</span>"));
  for (const char* b : {"stop", "retry", "copy", "delete"})
    REQUIRE(has(html, "<button type=\"button\" id=\"" + std::string(b) + "\">"));
  REQUIRE(has(html, "<svg class=\"dag-graph\""));
  REQUIRE(has(html, "<g class=\"node st-failed\" id=\"node-report\">"));
  REQUIRE(has(html, "<g class=\"node st-succeeded\" id=\"node-train\">"));
  REQUIRE(has(html, "<tr data-step=\"report\">"));
  REQUIRE(has(html, "<a class=\"log\" href=\"/api/runs/" + failed + "/logs/train\">log</a>"));
  REQUIRE(has(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
  REQUIRE(has(html, "&quot;&gt;&lt;script&gt;x&lt;/script&gt;"));  // a parameter's default
  REQUIRE(has(html, "<div class=\"chart\" id=\"metric-loss\">"));
  REQUIRE(has(html, "<table class=\"artifacts\">"));
  REQUIRE(has(html, "<tr data-step=\"train\"><td>train</td><td><code>double</code></td>"));
  REQUIRE_FALSE(has(html, "id=\"answer\""));  // waits for nothing
  // A report file keeps its own page: no script, its own CSP meta.
  const auto report = tyf::html_report(s.p, tyf::store{s.dir.path() / "store"}.show(failed));
  REQUIRE_FALSE(has(report, "<script"));
  REQUIRE(has(report, "<span id=\"run-status\""));
  REQUIRE_FALSE(has(report, "class=\"log\""));

  REQUIRE(s.client().Get("/runs/nosuch")->status == 404);
}

TEST_CASE("ui pages: the start form is generated from the manifest") {
  served s;
  auto html = s.page("/runs/new");
  REQUIRE(has(html, "<form id=\"start\" novalidate data-action=\"/api/runs\">"));
  REQUIRE(has(html, "<button type=\"submit\" id=\"start-run\">"));
  // A range: a number input with min and max; a bool: a checkbox; choices: a select.
  REQUIRE(std::regex_search(
      html, std::regex(R"(<input type="number" id="param-lr" [^>]*data-initial="0.1"[^>]*)"
                       R"( value="0.1" step="any" min="0" max="1">)")));
  REQUIRE(std::regex_search(
      html,
      std::regex(R"(<input type="number" id="param-epochs" [^>]* step="1" min="1" max="10">)")));
  REQUIRE(std::regex_search(html, std::regex(R"(<input type="checkbox" id="param-fail" [^>]*>)")));
  REQUIRE(std::regex_search(html, std::regex(R"(<select id="param-optimizer" [^>]*>)"
                                             R"(<option value="sgd" selected>sgd</option>)"
                                             R"(<option value="adam">adam</option></select>)")));
  REQUIRE(has(html,
              "id=\"param-note\" name=\"param-note\" data-param=\"note\" "
              "data-initial=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
  for (const char* e : {"error-param-lr", "error-param-fail", "error-param-optimizer", "error-tag",
                        "error-experiment", "error-scene", "error-only", "error-form"})
    REQUIRE(has(html, "class=\"field-error\" id=\"" + std::string(e) + "\""));
  REQUIRE(has(html, "learning &lt;b&gt;rate&lt;/b&gt;"));
  REQUIRE(has(html, "a value from 0 to 1"));
  REQUIRE(has(html, "<option value=\"fit\">fit (train)</option>"));
  REQUIRE(has(html,
              "<select id=\"only\" name=\"only\" multiple size=\"4\"><option>train</option>"
              "<option>report</option></select>"));

  // Copy with changes: the run's values, posting to its copy route.
  const auto& id = s.ids[1];
  html = s.page("/runs/new?copy=" + id);
  REQUIRE(has(html, "data-action=\"/api/runs/" + id + "/copy\""));
  REQUIRE(std::regex_search(html, std::regex(R"(id="param-lr" [^>]*data-initial="0.5")")));
  REQUIRE(std::regex_search(
      html, std::regex(R"(<input type="checkbox" id="param-fail" [^>]* checked>)")));
  html = s.page("/runs/new?copy=" + s.ids[0]);
  REQUIRE(has(html, "who=&lt;i&gt;me&lt;/i&gt;</textarea>"));
  REQUIRE(has(html, "id=\"experiment\" name=\"experiment\" value=\"base\""));
  REQUIRE(s.client().Get("/runs/new?copy=nosuch")->status == 404);
}

TEST_CASE("ui pages: compare shows parameters and metrics side by side, differences marked") {
  served s;
  const auto& a = s.ids[0];
  const auto& b = s.ids[1];
  const auto html = s.page("/compare?run=" + a + "&run=" + b);
  REQUIRE(has(html, "<table id=\"compare-params\""));
  REQUIRE(has(html, "<table id=\"compare-metrics\""));
  REQUIRE(has(html, "<tr data-param=\"lr\" class=\"differs\">"));
  REQUIRE(has(html, "<tr data-param=\"fail\" class=\"differs\">"));
  REQUIRE(has(html, "<tr data-param=\"epochs\">"));
  REQUIRE(has(html, "<tr data-metric=\"train.loss\" class=\"differs\">"));
  // One chart per metric, one series per run.
  const auto chart =
      html.substr(html.find("<div class=\"chart\" id=\"compare-metric-train.loss\">"));
  REQUIRE(has(chart, "data-run=\"" + a + "\""));
  REQUIRE(has(chart, "data-run=\"" + b + "\""));
  REQUIRE(has(html, "&quot;&gt;&lt;script&gt;x&lt;/script&gt;"));  // a parameter's value

  REQUIRE(s.client().Get("/compare")->status == 400);
  REQUIRE(s.client().Get(("/compare?run=" + a + "&run=nosuch").c_str())->status == 404);
}

TEST_CASE("ui pages: the pipeline page shows the manifest") {
  served s;
  const auto html = s.page("/pipeline");
  const auto manifest = json::parse(s.client().Get("/api/pipeline")->body);
  REQUIRE(has(html, "<code id=\"structure-hash\">" + manifest["structure_hash"].get<std::string>() +
                        "</code>"));
  REQUIRE(has(html, "<table id=\"pipeline-steps\""));
  REQUIRE(std::regex_search(
      html,
      std::regex(
          R"(<tr data-step="train"><td>train</td><td>step</td>)"
          R"(<td><code>double</code></td><td>job</td><td>lr, epochs, optimizer, note</td>)")));
  REQUIRE(has(html, "<tr data-param=\"lr\"><td>lr</td><td><code>double</code></td>"));
  REQUIRE(has(html, "a value from 0 to 1"));
  REQUIRE(has(html, "sgd, adam"));
  REQUIRE(has(html, "learning &lt;b&gt;rate&lt;/b&gt;"));
  REQUIRE(has(html, "<tr data-scene=\"fit\"><td>fit</td><td>train</td></tr>"));
}

TEST_CASE("ui pages: a run waiting for a delayed parameter shows the prompt form#answer") {
  temp_dir dir;
  tyf::pipeline p{"asking"};
  auto threshold = p.param<double>("threshold", 0.5).delayed().describe("<cut>");
  p.step(
      "decide", [](double t) { return t > 0.4; }, threshold);
  const auto store_dir = dir.path() / "store";
  tyf::store st{store_dir};
  const auto id = tyf::make_run_id();
  std::stop_source stop;
  // The run asks through the store, as `prog run` does when no terminal can answer.
  std::thread runner([&] {
    tyf::run_options ro;
    ro.run_id(id);
    ro.param_provider([&](const tyf::param_info& info) {
      st.request_param(id, info);
      auto answer = st.await_param(id, info.name, stop.get_token());
      if (!answer) throw std::runtime_error("stopped while waiting");
      return *answer;
    });
    try {
      (void)st.run(p, tyf::store_options{}.base(std::move(ro)));
    } catch (...) {  // the test fails on the page's state below
    }
  });
  struct join {
    std::stop_source& stop;
    std::thread& t;
    ~join() {
      stop.request_stop();
      t.join();
    }
  } joined{stop, runner};

  tyf::ui::server_options o;
  o.store = store_dir;
  o.port = 0;
  tyf::ui::server srv(p, std::move(o));
  auto serving = std::async(std::launch::async, [&] { srv.run(); });
  struct stopper {
    tyf::ui::server& srv;
    std::future<void>& f;
    ~stopper() {
      srv.stop();
      if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) std::abort();
    }
  } stopped{srv, serving};
  httplib::Client c("127.0.0.1", static_cast<int>(srv.port()));
  c.set_read_timeout(std::chrono::seconds(30));

  auto page = [&] {
    auto r = c.Get(("/runs/" + id).c_str());
    return r && r->status == 200 ? r->body : std::string{};
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string html;
  while (std::chrono::steady_clock::now() < until) {
    html = page();
    if (has(html, "id=\"answer\"")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO(html);
  REQUIRE(has(html, "<form id=\"answer\">"));
  REQUIRE(has(html, "<select id=\"answer-param\"><option value=\"threshold\">threshold</option>"));
  REQUIRE(has(html, "<input id=\"answer-value\">"));
  REQUIRE(has(html, "<button type=\"submit\" id=\"answer-submit\">"));
  REQUIRE(has(html, "class=\"field-error\" id=\"error-answer\""));
  REQUIRE(has(html, "<span id=\"run-status\" class=\"badge run-running\">running</span>"));
  served::check_safe(html);

  (void)st.answer_param(p, id, "threshold", "0.7");
  runner.join();                // the run goes on with its answer and ends
  runner = std::thread([] {});  // joined again by `joined`
  html = page();
  REQUIRE_FALSE(has(html, "id=\"answer\""));
  REQUIRE(has(html, "<span id=\"run-status\" class=\"badge run-succeeded\">succeeded</span>"));
}
