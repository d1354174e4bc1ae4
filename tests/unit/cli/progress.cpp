// The progress view: live (terminal) frames redrawn in place, plain lines, JSON lines, and the
// summary table, on an injected stream.

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <typeflow/cli.hpp>

namespace tyf = typeflow;

namespace {

tyf::event make(tyf::event_kind k, std::string_view step) {
  tyf::event e;
  e.kind = k;
  e.run_id = "abc123def456";
  e.pipeline = "demo";
  e.step = step;
  e.attempt = 1;
  e.time = std::chrono::system_clock::now();
  return e;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("progress_view in terminal mode draws running steps, a bar, the metric and counts") {
  std::ostringstream out;
  tyf::progress_view view{out, tyf::progress_mode::live, 3};
  view.on_event(make(tyf::event_kind::step_started, "load"));
  auto done = make(tyf::event_kind::step_succeeded, "load");
  view.on_event(done);
  view.on_event(make(tyf::event_kind::step_started, "train"));
  auto prog = make(tyf::event_kind::progress, "train");
  prog.done = 5;
  prog.total = 10;
  view.on_event(prog);
  auto metric = make(tyf::event_kind::metric, "train");
  metric.metric = "loss";
  metric.value = 0.31;
  metric.index = 3;
  view.on_event(metric);
  CHECK(out.str().empty());  // nothing is written from the observer call in live mode

  view.redraw();
  const auto first = out.str();
  CHECK(first.find("train") != std::string::npos);
  CHECK(first.find("[##########..........] 5/10") != std::string::npos);
  CHECK(first.find("loss=0.31 (3)") != std::string::npos);
  CHECK(first.find("1 succeeded, 1 running, 1 pending, 0 failed, 0 cached") != std::string::npos);
  CHECK(first.find("\x1b[2K") != std::string::npos);
  CHECK(first.find("\x1b[2A") == std::string::npos);  // the first frame moves nothing up

  // The next frame moves the cursor up over the two lines of the last one and redraws.
  out.str("");
  view.on_event(make(tyf::event_kind::step_succeeded, "train"));
  view.redraw();
  const auto second = out.str();
  CHECK(second.rfind("\x1b[2A", 0) == 0);
  CHECK(second.find("2 succeeded, 0 running, 1 pending") != std::string::npos);
  CHECK(count(second, "\x1b[2K") == 2);  // one frame line, one left over from the taller frame

  out.str("");
  view.stop();  // clears the live lines
  CHECK(out.str().find("\x1b[1A") != std::string::npos);
}

TEST_CASE("progress_view render thread redraws on its own and stops cleanly") {
  std::ostringstream out;
  std::string text;
  {
    tyf::progress_view view{out, tyf::progress_mode::live, 1};
    view.start(std::chrono::milliseconds(1));
    view.on_event(make(tyf::event_kind::step_started, "only"));
    view.stop();
    text = out.str();
  }
  // stop() draws a dirty frame before it returns, then clears it.
  CHECK(text.find("only") != std::string::npos);
}

TEST_CASE("progress_view off a terminal prints one plain line per event") {
  std::ostringstream out;
  tyf::progress_view view{out, tyf::progress_mode::plain, 2};
  view.on_event(make(tyf::event_kind::step_started, "train"));
  auto metric = make(tyf::event_kind::metric, "train");
  metric.metric = "loss";
  metric.value = 0.31;
  metric.index = 3;
  view.on_event(metric);
  auto prog = make(tyf::event_kind::progress, "train");
  prog.total = 4;
  view.on_event(prog);  // progress is left out of a plain log
  auto ok = make(tyf::event_kind::step_succeeded, "train");
  ok.duration = std::chrono::milliseconds(1200);
  view.on_event(ok);
  auto cached = make(tyf::event_kind::step_succeeded, "load");
  cached.attempt = 0;
  view.on_event(cached);
  auto failed = make(tyf::event_kind::step_failed, "evaluate");
  failed.message = "boom";
  view.on_event(failed);
  const auto text = out.str();
  CHECK(count(text, "\n") == 5);
  CHECK(text.find("] train started\n") != std::string::npos);
  CHECK(text.find("] train metric loss=0.31 (3)\n") != std::string::npos);
  CHECK(text.find("] train succeeded 1.2s\n") != std::string::npos);
  CHECK(text.find("] load cached\n") != std::string::npos);
  CHECK(text.find("] evaluate failed: boom\n") != std::string::npos);
  CHECK(text.find("\x1b") == std::string::npos);
  CHECK(text.rfind("[", 0) == 0);
}

TEST_CASE("progress_view in quiet mode prints nothing; in JSON mode one document per line") {
  std::ostringstream quiet, json;
  tyf::progress_view q{quiet, tyf::progress_mode::quiet, 1};
  tyf::progress_view j{json, tyf::progress_mode::json, 1};
  auto metric = make(tyf::event_kind::metric, "train");
  metric.metric = "loss";
  metric.value = 0.5;
  metric.index = 2;
  for (auto* v : {&q, &j}) {
    v->on_event(make(tyf::event_kind::step_started, "train"));
    v->on_event(metric);
  }
  CHECK(quiet.str().empty());
  std::istringstream lines{json.str()};
  std::string line;
  std::vector<nlohmann::json> docs;
  while (std::getline(lines, line)) docs.push_back(nlohmann::json::parse(line));
  REQUIRE(docs.size() == 2);
  CHECK(docs[0]["event"] == "step_started");
  CHECK(docs[0]["step"] == "train");
  CHECK(docs[0]["attempt"] == 1);
  CHECK(docs[1]["event"] == "metric");
  CHECK(docs[1]["metric"] == "loss");
  CHECK(docs[1]["value"] == 0.5);
  CHECK(docs[1]["index"] == 2);
  CHECK(docs[1]["run"] == "abc123def456");
}

TEST_CASE("summary_table lists step, status, attempts, duration and cache") {
  tyf::run_details d;
  d.run.id = "abc123def456";
  d.run.status = tyf::run_status::failed;
  auto t = std::chrono::system_clock::now();
  d.run.started = t;
  d.run.ended = t + std::chrono::seconds(2);
  tyf::step_info a;
  a.name = "load";
  a.status = tyf::step_status::cached;
  a.cache_hit = true;
  tyf::step_info b;
  b.name = "train";
  b.status = tyf::step_status::failed;
  b.attempts = 2;
  b.started = t;
  b.ended = t + std::chrono::milliseconds(1500);
  d.steps = {a, b};
  const auto text = tyf::summary_table(d);
  CHECK(text.find("step   status  attempts  duration  cache\n") != std::string::npos);
  CHECK(text.find("load   cached  0         -         hit\n") != std::string::npos);
  CHECK(text.find("train  failed  2         1.5s      -\n") != std::string::npos);
  CHECK(text.find("run abc123def456 failed in 2s") != std::string::npos);
}

TEST_CASE("summary_table says why: the failed and skipped steps' messages, the first failure") {
  tyf::run_details d;
  d.run.id = "abc123def456";
  d.run.status = tyf::run_status::failed;
  auto step = [](std::string name, tyf::step_status s, std::string message) {
    tyf::step_info i;
    i.name = std::move(name);
    i.status = s;
    i.message = std::move(message);
    return i;
  };
  d.steps = {
      step("evaluate", tyf::step_status::succeeded, ""),
      step("hold", tyf::step_status::skipped, "condition 'good-enough' is true"),
      step("accuracy-gate", tyf::step_status::failed, "quality gate failed: accuracy >= 0.8"),
      step("export", tyf::step_status::skipped, "upstream step 'accuracy-gate' failed")};
  const auto text = tyf::summary_table(d);
  INFO(text);
  CHECK(text.find("step           status     attempts  duration  cache  reason\n") !=
        std::string::npos);
  CHECK(text.find("evaluate       succeeded  0         -         -\n") != std::string::npos);
  CHECK(text.find("hold           skipped    0         -         -      condition 'good-enough' "
                  "is true\n") != std::string::npos);
  CHECK(text.find("accuracy-gate  failed     0         -         -      quality gate failed: "
                  "accuracy >= 0.8\n") != std::string::npos);
  CHECK(text.find("\nrun abc123def456 failed in 0ns: accuracy-gate failed: quality gate failed: "
                  "accuracy >= 0.8\n") != std::string::npos);
  // A run's own message (an interrupted run's) is what its last line gives.
  d.run.message = "the process ended without finishing the run";
  CHECK(tyf::summary_table(d).find(
            "failed in 0ns (the process ended without finishing the run)\n") != std::string::npos);
}
