// The flagship: Fashion-MNIST, from the IDX files to an exported softmax-regression model,
// through a parallel hyperparameter sweep and a quality gate (the pipeline: pipeline.hpp).
//
// TEMPORARY main: typeflow::main (<typeflow/cli.hpp>) does not exist yet, so this program
// understands just `[run] [--param NAME=VALUE]... [--store DIR] [--quiet]`, runs the pipeline
// through the run store and prints a summary. Replace it by `return typeflow::main(argc,
// argv, p);` (and link typeflow::cli) once the command line is there.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>

#include "pipeline.hpp"

namespace tyf = typeflow;

int main(int argc, char** argv) {
  tyf::pipeline p{"fashion-mnist"};
  fashion::define(p);

  tyf::store_options opts;
  opts.experiment("fashion-mnist");
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i == 1 && a == "run") continue;
    if (a == "--quiet") {
      quiet = true;
    } else if ((a == "--param" || a == "--store" || a == "--only") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "--store") {
        opts.store(v);
      } else if (a == "--only") {
        opts.only(v);
      } else if (auto eq = v.find('='); eq != std::string::npos && eq > 0) {
        opts.set(v.substr(0, eq), v.substr(eq + 1));
      } else {
        std::fprintf(stderr, "fashion-mnist: --param expects NAME=VALUE, got '%s'\n", v.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "fashion-mnist: unknown argument '%s'\nusage: fashion-mnist [run] "
                   "[--param NAME=VALUE]... [--only STEP]... [--store DIR] [--quiet]\n",
                   argv[i]);
      return 2;
    }
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = tyf::store{opts.store_path() ? *opts.store_path() : tyf::store::default_path()}.run(p, opts);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet) {
      for (const auto* s : r.steps()) {
        std::printf("  %-12s %s\n", std::string(s->name).c_str(), std::string(tyf::to_string(s->status)).c_str());
      }
      for (const auto& m : r.metrics()) {
        if (m.step == "evaluate" || m.step == "pick-best") {
          std::printf("  %s %s[%lld] = %.4f\n", m.step.c_str(), m.name.c_str(), static_cast<long long>(m.index), m.value);
        }
      }
    }
    std::printf("%s\nwall time %.2f s\n", r.summary().c_str(), secs);
    return r.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
