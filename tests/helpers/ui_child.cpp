// A pipeline program with the browser run mode (typeflow::ui::main): `ui_child ui --port 0`
// serves its store; the other commands are typeflow::main's. For tests/unit/ui.

#include <stdexcept>
#include <string>

#include <typeflow/typeflow.hpp>
#include <typeflow/ui/server.hpp>

namespace tyf = typeflow;

int main(int argc, char** argv) {
  tyf::pipeline p{"uichild"};
  auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  auto fail = p.param<bool>("fail", false);
  auto model = p.step(
      "train",
      [](double rate, tyf::context& ctx) {
        ctx.log_metric("loss", 1.0 / (1.0 + rate));
        return rate;
      },
      lr);
  p.step(
      "report",
      [](double w, bool f) -> int {
        if (f) throw std::runtime_error("<script>alert('x')</script>");
        return static_cast<int>(w);
      },
      model, fail);
  return tyf::ui::main(argc, argv, p);
}
