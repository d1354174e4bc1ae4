#pragma once
// The examples' main, for as long as the command line is not part of every checkout:
// typeflow::main(argc, argv, p) (<typeflow/cli.hpp>, target typeflow::cli) when it is there,
// else a stand-in that understands `[run] [--param NAME=VALUE]... [--only STEP]...
// [--store DIR] [--quiet]`, runs the pipeline through the run store and prints a summary.
// Once <typeflow/cli.hpp> is in every checkout, each example's main is just
// `return typeflow::main(argc, argv, p);` and this header goes.
#if !defined(TYPEFLOW_EXAMPLES_NO_CLI) && __has_include(<typeflow/cli/main.hpp>)
#include <typeflow/cli.hpp>
#define TYPEFLOW_EXAMPLES_HAVE_CLI 1
#else
#include <typeflow/store.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include <typeflow/typeflow.hpp>

namespace typeflow_examples {

inline int pipeline_main(int argc, char** argv, typeflow::pipeline& p) {
#ifdef TYPEFLOW_EXAMPLES_HAVE_CLI
  return typeflow::main(argc, argv, p);
#else
  namespace tyf = typeflow;
  tyf::store_options opts;
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
        std::fprintf(stderr, "%s: --param expects NAME=VALUE, got '%s'\n", argv[0], v.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "%s: unknown argument '%s'\nusage: %s [run] [--param NAME=VALUE]... "
                   "[--only STEP]... [--store DIR] [--quiet]\n",
                   argv[0], argv[i], argv[0]);
      return 2;
    }
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    tyf::store st{opts.store_path() ? *opts.store_path() : tyf::store::default_path()};
    auto r = st.run(p, opts);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet) {
      for (const auto* s : r.steps()) {
        std::printf("  %-14s %s\n", std::string(s->name).c_str(),
                    std::string(tyf::to_string(s->status)).c_str());
      }
      for (const auto& m : r.metrics()) {
        std::printf("  %s %s[%lld] = %.4f\n", m.step.c_str(), m.name.c_str(),
                    static_cast<long long>(m.index), m.value);
      }
    }
    std::printf("%s\nwall time %.2f s\n", r.summary().c_str(), secs);
    return r.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
#endif
}

}  // namespace typeflow_examples
