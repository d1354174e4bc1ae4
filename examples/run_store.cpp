// The run store: every run recorded in ./.typeflow (SQLite + artifact files). A second run is
// served from the cache; a failed run is retried, re-running only what failed; a partial run
// re-runs one step and what follows; runs are listed and compared.
#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>

#include <boost/hana/define_struct.hpp>

#include <atomic>
#include <cstdio>
#include <stdexcept>

namespace tyf = typeflow;

struct Dataset {  // adapted with Boost.Hana: it gets a codec, so it can be stored
  BOOST_HANA_DEFINE_STRUCT(Dataset, (std::vector<double>, x), (std::vector<double>, y));
};

int main() {
  std::atomic<bool> gpu_broken{true};
  std::atomic<int> loads{0};

  tyf::pipeline p{"regression"};
  auto n = p.param<int>("n", 200);
  auto lr = p.param<double>("lr", 0.01);
  auto data = p.step(
      "load",
      [&](int rows) {
        ++loads;
        Dataset d;
        for (int i = 0; i < rows; ++i) {
          d.x.push_back(i / 10.0);
          d.y.push_back(3.0 * (i / 10.0) + 1.0);
        }
        return d;
      },
      n);
  auto slope = p.step(
      "fit",
      [&](const Dataset& d, double rate, tyf::context& ctx) {
        if (gpu_broken) throw std::runtime_error("CUDA error: out of memory");
        double w = 0;
        for (int epoch = 0; epoch < 50; ++epoch) {
          double grad = 0;
          for (std::size_t i = 0; i < d.x.size(); ++i) grad += (w * d.x[i] - d.y[i]) * d.x[i];
          w -= rate * grad / static_cast<double>(d.x.size());
          ctx.log_metric("w", w, epoch);
        }
        return w;
      },
      data, lr);
  p.step(
      "evaluate",
      [](double w, tyf::context& ctx) {
        ctx.log_metric("error", std::abs(w - 3.0));
        return w;
      },
      slope);
  p.scene("refit", {"fit", "evaluate"});

  tyf::store st;  // ./.typeflow, or $TYPEFLOW_STORE
  auto opts = tyf::store_options{}.experiment("slope").tag("data", "synthetic");

  auto failed = st.run(p, opts);
  std::printf("%s\n", failed.summary().c_str());

  gpu_broken = false;
  auto retried = st.retry(p, failed.run_id());  // load is reused, fit and evaluate run
  std::printf("retry %s of %s: %s (load %s)\n", retried.run_id().c_str(), failed.run_id().c_str(),
              std::string(tyf::to_string(retried.status())).c_str(),
              std::string(tyf::to_string(retried.step("load").status)).c_str());

  auto cached = st.run(p, opts);  // nothing changed: every step comes from the cache
  std::printf("same again: fit %s\n",
              std::string(tyf::to_string(cached.step("fit").status)).c_str());

  auto faster = st.run(p, tyf::store_options{opts}.scene("refit").set("lr", "0.03"));
  std::printf("scene refit with lr=0.03: load %s, fit %s\n",
              std::string(tyf::to_string(faster.step("load").status)).c_str(),
              std::string(tyf::to_string(faster.step("fit").status)).c_str());

  std::printf("\nruns, newest first:\n");
  for (const auto& r : st.runs(tyf::run_query{}.experiment("slope"))) {
    std::printf("  %s  %-9s %-8s lr=%s\n", r.id.c_str(),
                std::string(tyf::to_string(r.status)).c_str(), r.kind.c_str(),
                r.params.at("lr").c_str());
  }
  std::printf("\n%s", st.compare({retried.run_id(), faster.run_id()}).table().c_str());

  const bool as_expected = failed.status() == tyf::run_status::failed && retried.ok() &&
                           loads == 1 && cached.step("fit").status == tyf::step_status::cached &&
                           faster.ok() && faster.step("load").status == tyf::step_status::cached &&
                           faster.step("fit").status == tyf::step_status::succeeded;
  return as_expected ? 0 : 1;
}
