// Fuzz target: a run's parameters from a params file, TYPEFLOW_PARAM_* variables and
// overrides, resolved as run() resolves them (typeflow::resolve_params) for a pipeline with a
// parameter of each kind (checked ranges, choices, a validator, vectors, an enum, JSON). The
// first byte picks the source: a params file (the rest of the input is its text), the
// environment variable of one parameter, or an override of one (by a name from the input).
// Bad values must be a run_error; anything else escaping is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/core.hpp>

#include "fuzz_input.hpp"

namespace tyf = typeflow;

namespace {

enum class Optimizer { adam, sgd, rms_prop = 5 };

struct fixture {
  tyf::pipeline p{"fuzz-params"};
  std::vector<std::string> names;
  tyf::fuzz::scratch_file file{"params.json"};

  fixture() {
    auto flag = p.param<bool>("shuffle", true);
    auto epochs = p.param<int>("epochs", 3).range(1, 1000);
    auto batch = p.param<std::uint64_t>("batch", 32)
                     .validate([](std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; },
                               "a power of two");
    auto small = p.param<std::int8_t>("small", 1);
    auto lr = p.param<double>("lr", 0.1).range(0.0, 1.0);
    auto ratio = p.param<float>("ratio", 0.5f);
    auto opt = p.param<std::string>("optimizer", "adam").choices({"adam", "sgd"});
    auto kind = p.param<Optimizer>("kind", Optimizer::sgd);
    auto layers = p.param<std::vector<int>>("layers", {64, 32}).range(1, 512);
    auto rates = p.param<std::vector<double>>("rates", {0.1});
    auto tags = p.param<std::vector<std::string>>("tags", {});
    auto kinds = p.param<std::vector<Optimizer>>("kinds", {Optimizer::adam});
    auto settings = p.param<nlohmann::json>("settings", nlohmann::json{{"seed", 1}});
    auto dir = p.param<std::string>("data-dir", "data");
    p.step(
        "use",
        [](bool, int, std::uint64_t, std::int8_t, double, float, const std::string&, Optimizer,
           const std::vector<int>&, const std::vector<double>&, const std::vector<std::string>&,
           const std::vector<Optimizer>&, const nlohmann::json&, const std::string&) { return 0; },
        flag, epochs, batch, small, lr, ratio, opt, kind, layers, rates, tags, kinds, settings,
        dir);
    names = {"shuffle", "epochs", "batch", "small", "lr",    "ratio",    "optimizer",
             "kind",    "layers", "rates", "tags",  "kinds", "settings", "data-dir"};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fixture f;
  tyf::fuzz::input in(data, size);
  const auto source = in.byte();
  tyf::param_sources sources;
  std::string variable;
  switch (source % 3) {
    case 0: sources.file = f.file.write(in.rest()); break;
    case 1: {
      const auto& name = f.names[in.byte() % f.names.size()];
      variable = tyf::detail::param_environment_variable(name);
      const std::string value = in.rest();
      if (value.find('\0') != std::string::npos) return 0;  // no environment holds a NUL
      ::setenv(variable.c_str(), value.c_str(), 1);
      break;
    }
    default: {
      std::string name = in.byte() % 4 == 0 ? in.string() : f.names[in.byte() % f.names.size()];
      sources.overrides.emplace_back(std::move(name), in.rest());
      break;
    }
  }
  try {
    const auto values = tyf::resolve_params(f.p, sources);
    if (values.size() != f.names.size()) std::abort();
  } catch (const tyf::run_error&) {
  }
  if (!variable.empty()) ::unsetenv(variable.c_str());
  return 0;
}
