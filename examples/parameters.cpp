// Parameters: typed handles whose values come from defaults, a JSON params file, the
// environment (TYPEFLOW_PARAM_<NAME>) and explicit overrides, each parsed by its type and
// checked against its constraints before anything runs. A delayed parameter is asked for only
// when the first step that needs it is about to run.
#include <typeflow/typeflow.hpp>

#include <nlohmann/json.hpp>  // for the parameter of type nlohmann::json (tags)

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tyf = typeflow;

enum class Optimizer { adam, sgd };  // named by the compiler: "adam", "sgd"

struct Model {
  std::vector<int> layers;
  double lr;
  Optimizer optimizer;
};
BOOST_HANA_ADAPT_STRUCT(Model, layers, lr, optimizer);  // a codec, so that a run store can save it

int main() {
  tyf::pipeline p{"tune"};
  auto lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  auto epochs =
      p.param<int>("epochs", 10).validate([](int e) { return e % 5 == 0; }, "a multiple of 5");
  auto optimizer = p.param<Optimizer>("optimizer", Optimizer::adam).describe("update rule");
  auto layers = p.param<std::vector<int>>("layers", {64, 32}).range(1, 1024);
  auto tags = p.param<nlohmann::json>("tags", nlohmann::json::object()).describe("free-form");
  auto threshold = p.param<double>("threshold").range(0.0, 1.0).delayed();

  auto model = p.step(
      "train",
      [](const std::vector<int>& l, double rate, Optimizer o, int) {
        return Model{l, rate, o};
      },
      layers, lr, optimizer, epochs);
  auto score = p.step(
      "evaluate",
      [](const Model& m, const nlohmann::json&) {
        return 0.5 + m.lr + static_cast<double>(m.layers.size()) / 100;
      },
      model, tags);
  auto deploy = p.step(
      "deploy", [](double s, double t) { return s >= t; }, score, threshold);

  // What the command line's help shows.
  for (const auto& info : p.params()) {
    std::string about = info.description;
    if (!info.constraints.empty()) about += (about.empty() ? "" : "; ") + info.constraints;
    std::printf("  --param %-10s %-18s default %-8s %s%s\n", info.name.c_str(), info.type.c_str(),
                info.default_value.value_or("(none)").c_str(), about.c_str(),
                info.delayed ? " (asked when needed)" : "");
  }

  // A params file (JSON-typed values or strings), then an explicit override on top of it.
  const auto file = (std::filesystem::temp_directory_path() / "typeflow-tune-params.json").string();
  std::ofstream(file) << R"({"lr": 0.05, "optimizer": "sgd", "layers": [128, 64, 8],
                             "tags": {"team": "vision"}})";
  auto opts = tyf::run_options{}
                  .params_file(file)
                  .set("epochs", "20")
                  .param_provider([](const tyf::param_info& info) {
                    // A real program would prompt on a terminal; the command line does.
                    std::printf("asked for %s (%s)\n", info.name.c_str(), info.type.c_str());
                    return std::string("0.55");
                  });
  auto result = tyf::run(p, opts);
  std::filesystem::remove(file);
  std::printf("%s\n", result.summary().c_str());
  for (const auto& [name, value] : result.params()) {
    std::printf("  %s = %s\n", name.c_str(), value.c_str());
  }

  // Bad input is refused before anything runs, naming the parameter, value and expectation.
  std::string refused;
  try {
    (void)tyf::run(p, tyf::run_options{}.set("lr", "1.5"));
  } catch (const tyf::run_error& e) {
    refused = e.what();
    std::printf("refused: %s\n", e.what());
  }

  const bool as_expected = result.ok() && result.get(deploy) &&
                           result.params().at("optimizer") == "sgd" &&
                           result.params().at("epochs") == "20" &&
                           refused ==
                               "typeflow: parameter 'lr' (double) got '1.5', expected a "
                               "value from 0 to 1 (set by run_options::set)";
  return as_expected ? 0 : 1;
}
