// cli/detail/run_document.hpp: a stored run as `show` prints it, built once (the final value
// of each metric picked there), then rendered as JSON and as text.
#include <typeflow/cli.hpp>
#include <typeflow/cli/detail/run_document.hpp>  // cli_detail: compiled mode declares only main

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace tyf = typeflow;
namespace cli = typeflow::cli_detail;
using namespace std::chrono_literals;

namespace {
tyf::run_details stored_run() {
  tyf::run_details d;
  d.run.id = "abc123def456";
  d.run.pipeline = "shown";
  d.run.status = tyf::run_status::succeeded;
  d.run.kind = "run";
  const auto t = std::chrono::system_clock::now();
  d.run.started = t;
  d.run.ended = t + 1500ms;
  d.run.params = {{"lr", "0.1"}};
  tyf::step_info s;
  s.name = "train";
  s.status = tyf::step_status::succeeded;
  s.attempts = 1;
  s.started = t;
  s.ended = t + 1200ms;
  d.steps = {s};
  // loss: index 2 is final although logged first; acc: same index, the later point wins.
  d.metrics = {{"train", "loss", 0.25, 2, t + 2ms},
               {"train", "loss", 0.5, 1, t + 3ms},
               {"train", "acc", 0.7, 0, t + 1ms},
               {"train", "acc", 0.75, 0, t + 1ms}};
  return d;
}
}  // namespace

TEST_CASE("run_document: the final metric is the point with the highest index, then the latest") {
  const auto doc = cli::make_run_document(stored_run());
  REQUIRE(doc.final_metrics.size() == 2);
  CHECK(doc.final_metrics.at("train.loss") == 0.25);
  CHECK(doc.final_metrics.at("train.acc") == 0.75);
  CHECK(doc.details.run.id == "abc123def456");
}

TEST_CASE("run_document: JSON and text show the same run") {
  const auto doc = cli::make_run_document(stored_run());
  const auto j = cli::details_json(doc);
  CHECK(j["id"] == "abc123def456");
  CHECK(j["final_metrics"] == nlohmann::json{{"train.acc", 0.75}, {"train.loss", 0.25}});
  CHECK(j["metrics"].size() == 4);
  CHECK(j["steps"][0]["name"] == "train");
  CHECK(j["steps"][0]["duration_s"] == 1.2);
  const auto text = cli::show_text(doc);
  CHECK(text.rfind("run abc123def456 of 'shown': succeeded\n", 0) == 0);
  CHECK(text.find("  (1.5s)\n") != std::string::npos);
  CHECK(text.find("parameters:\n  lr = 0.1\nsteps:\n") != std::string::npos);
  CHECK(text.find("  train  succeeded  1         1.2s") != std::string::npos);
  CHECK(text.find("metrics (final):\n  train.acc = 0.75\n  train.loss = 0.25\n") !=
        std::string::npos);
}
