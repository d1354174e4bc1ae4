// A pipeline program with the browser run mode (typeflow::ui::main): `ui_child ui --port 0`
// serves its store; the other commands are typeflow::main's. For tests/unit/ui. `lr` has a
// range (a bad value is refused the same way by --param and by POST /api/runs), `fail` makes
// `report` throw a message holding <script>, `hold` makes `train` wait until the run is
// stopped, and `train` logs one line ("lr=VALUE", for `logs`). With UICHILD_ASK set (the
// environment), a step `gate` also reads a delayed parameter `cutoff` (a double from 0 to 1),
// so that every run waits for its answer (`prog answer`, POST /api/runs/ID/answer).

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include <typeflow/typeflow.hpp>
#include <typeflow/ui/server.hpp>

namespace tyf = typeflow;

int main(int argc, char** argv) {
  tyf::pipeline p{"uichild"};
  auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  auto fail = p.param<bool>("fail", false);
  auto hold = p.param<bool>("hold", false);
  auto model = p.step(
      "train",
      [](double rate, bool h, tyf::context& ctx) {
        if (h) {  // until the run is stopped
          std::mutex m;
          std::condition_variable_any cv;
          std::unique_lock lock(m);
          cv.wait(lock, ctx.stop_token(), [] { return false; });
        }
        ctx.log("lr=" + std::to_string(rate));
        ctx.log_metric("loss", 1.0 / (1.0 + rate));
        return rate;
      },
      lr, hold);
  p.step(
      "report",
      [](double w, bool f) -> int {
        if (f) throw std::runtime_error("<script>alert('x')</script>");
        return static_cast<int>(w);
      },
      model, fail);
  if (std::getenv("UICHILD_ASK") != nullptr) {
    auto cutoff = p.param<double>("cutoff").describe("asked for").range(0.0, 1.0).delayed();
    p.step(
        "gate", [](double w, double c) { return w > c; }, model, cutoff);
  }
  return tyf::ui::main(argc, argv, p);
}
