// The pipeline program the browser tests drive (tests/browser/README.md): built on
// typeflow::ui::main, so `typeflow-browser-child ui --store DIR --port 0` serves DIR and prints
// its URL, and every other command is typeflow::main's (`run`, `runs --json`, `show --json`).
//
// Its parameters are one of each kind the start form draws: `lr` a double with a range (a
// number input with min and max), `epochs` an int with a range, `batch` an int with a check
// that only the server knows (a power of two), `optimizer` an enum and `schedule` a string
// with choices (selects), `hold` a bool (a checkbox). Its steps:
//   prepare   -> the epochs
//   train     logs `loss` and `accuracy` once per epoch. With `hold` set it first waits until
//             the run is stopped (its stop token); with the environment variable
//             TYPEFLOW_BROWSER_GATE=PATH (of the serving process) it first waits until the file
//             PATH exists or the run is stopped: the test creates the file when it has seen
//             the run page show `train` running, so the page's live update is what it watches.
//   evaluate  fails when `schedule` is `diverge` (a step that fails on a parameter value).
//   decide    only with the environment variable TYPEFLOW_BROWSER_ASK set (in every process of
//             the test: it changes the pipeline): reads `threshold`, a delayed parameter without
//             a default, so a run waits for its answer (the run page's form#answer).

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>

#include <typeflow/typeflow.hpp>
#include <typeflow/ui/server.hpp>

namespace tyf = typeflow;

enum class Optimizer { sgd, adam };  // named by the compiler: "sgd", "adam"

namespace {

/// Waits until `done()` holds or the run is stopped, checking every 20 ms.
template <class Done>
void wait_until(tyf::context& ctx, Done done) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  while (!done() && !ctx.stop_requested()) {
    cv.wait_for(lock, ctx.stop_token(), std::chrono::milliseconds(20), [] { return false; });
  }
}

}  // namespace

int main(int argc, char** argv) {
  tyf::pipeline p{"browser"};
  auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  auto epochs = p.param<int>("epochs", 3).describe("passes over the data").range(1, 20);
  auto batch = p.param<int>("batch", 32)
                   .describe("mini-batch size")
                   .validate([](int b) { return b > 0 && (b & (b - 1)) == 0; }, "a power of two");
  auto optimizer = p.param<Optimizer>("optimizer", Optimizer::adam).describe("update rule");
  auto schedule = p.param<std::string>("schedule", "constant")
                      .describe("learning-rate schedule; diverge makes evaluate fail")
                      .choices({"constant", "cosine", "diverge"});
  auto hold = p.param<bool>("hold", false).describe("train waits until the run is stopped");

  auto data = p.step(
      "prepare", [](int e, int b) { return e * 1000 + b; }, epochs, batch);
  auto model = p.step(
      "train",
      [](int prepared, double rate, Optimizer o, bool h, tyf::context& ctx) {
        if (h) wait_until(ctx, [] { return false; });
        if (const char* gate = std::getenv("TYPEFLOW_BROWSER_GATE")) {
          const std::filesystem::path file(gate);
          wait_until(ctx, [&] { return std::filesystem::exists(file); });
        }
        const int n = prepared / 1000;
        const double speed = rate * (o == Optimizer::adam ? 2.0 : 1.0);
        double loss = 1.0;
        for (int e = 1; e <= n && !ctx.stop_requested(); ++e) {
          loss = 1.0 / (1.0 + speed * e);
          ctx.log_metric("loss", loss, e);
          ctx.log_metric("accuracy", 1.0 - loss / 2.0, e);
          ctx.log("epoch " + std::to_string(e) + ": loss " + std::to_string(loss));
        }
        return loss;
      },
      data, lr, optimizer, hold);
  auto score = p.step(
      "evaluate",
      [](double loss, const std::string& s) {
        if (s == "diverge") throw std::runtime_error("the loss diverged (schedule 'diverge')");
        return 1.0 - loss;
      },
      model, schedule);
  if (std::getenv("TYPEFLOW_BROWSER_ASK") != nullptr) {
    auto threshold = p.param<double>("threshold")
                         .describe("asked for when decide is about to run")
                         .range(0.0, 1.0)
                         .delayed();
    p.step(
        "decide", [](double s, double t) { return s >= t; }, score, threshold);
  }
  return tyf::ui::main(argc, argv, p);
}
