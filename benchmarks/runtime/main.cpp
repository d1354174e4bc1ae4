// typeflow-bench-runtime: typeflow against oneTBB's flow graph (and a plain loop where that
// means something) on the same shapes with the same per-step work. Every timed repetition
// builds the graph, runs it and destroys it. After Google Benchmark's own output it prints one
// line per shape:
//   summary shape=<name> threads=<n> typeflow_ns_per_step=<x> tbb_ns_per_step=<y> ratio=<x/y>
// where ns_per_step is the median real time of one repetition divided by the shape's steps.
//
// Every benchmark (one shape with one engine) runs in a child process of its own, forked from
// this one before any engine ran: what one engine's runs leave behind in a process (a grown and
// fragmented heap, cached mappings, sleeping pool threads) must not slow down or speed up the
// next one. Measured in one process, oneTBB's chain took 311 ns per step after typeflow's runs
// and 207 alone, which had made typeflow look faster than it is.
//
// Usage: typeflow-bench-runtime [--threads N] [--repetitions R] [Google Benchmark flags]
// --benchmark_filter selects by "<shape>/<engine>" (a regular expression, searched).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/version.h>

#include "common.hpp"
#include "tbb_shapes.hpp"
#include "typeflow_shapes.hpp"

namespace {

struct engine_case {
  std::string engine;  // "typeflow", "tbb", "loop", ...
  std::function<bool()> run;
};

struct shape {
  std::string name;
  std::size_t steps;
  int repetitions;
  std::vector<engine_case> engines;
};

auto nothing = [] {};
auto spin = [] { bench::spin_step(); };

/// The plain sequential loop for the *_1us shapes: the same steps' work, one after another.
bool spin_loop(std::size_t steps) {
  for (std::size_t i = 0; i < steps; ++i) bench::spin_step();
  return true;
}

/// The payload chain as a plain loop: allocate the buffer, then the same passes.
bool payload_loop(std::size_t passes) {
  std::vector<float> x(bench::payload_floats, 0.f);
  for (std::size_t i = 0; i < passes; ++i) bench::add_one(x);
  benchmark::DoNotOptimize(x.data());
  return x.front() == static_cast<float>(passes);
}

std::vector<shape> shapes(int big_reps) {
  using namespace bench;
  std::vector<shape> out;
  auto graph_shapes = [&](const char* suffix, auto work, bool with_loop) {
    std::string s(suffix);
    out.push_back({"linear_chain" + s,
                   chain_steps,
                   big_reps,
                   {{"typeflow", [=] { return tf::chain(chain_steps, work); }},
                    {"tbb", [=] { return tbbfg::chain(chain_steps, work); }}}});
    out.push_back({"binary_tree" + s,
                   tree_steps,
                   big_reps,
                   {{"typeflow", [=] { return tf::binary_tree(tree_depth, work); }},
                    {"tbb", [=] { return tbbfg::binary_tree(tree_depth, work); }}}});
    out.push_back({"wavefront" + s,
                   wave_steps,
                   big_reps,
                   {{"typeflow", [=] { return tf::wavefront(wave_side, work); }},
                    {"tbb", [=] { return tbbfg::wavefront(wave_side, work); }}}});
    out.push_back({"fan_out_in" + s,
                   fan_steps,
                   big_reps,
                   {{"typeflow", [=] { return tf::fan_out_in(fan_width, work); }},
                    {"tbb", [=] { return tbbfg::fan_out_in(fan_width, work); }}}});
    if (with_loop) {
      for (auto* sh = &out[out.size() - 4]; sh != out.data() + out.size(); ++sh) {
        std::size_t steps = sh->steps;
        sh->engines.push_back({"loop", [=] { return spin_loop(steps); }});
      }
    }
  };
  graph_shapes("", nothing, false);
  out.push_back({"payload_chain",
                 payload_steps,
                 4 * big_reps,
                 {{"typeflow", [] { return tf::payload_chain(payload_passes); }},
                  {"tbb", [] { return tbbfg::payload_chain(payload_passes); }},
                  {"tbb_by_value", [] { return tbbfg::payload_chain_by_value(payload_passes); }},
                  {"loop", [] { return payload_loop(payload_passes); }}}});
  graph_shapes("_1us", spin, true);
  return out;
}

/// Shows Google Benchmark's usual console output and keeps the median real time per
/// repetition of every benchmark, by name ("<shape>/<engine>").
class recording_reporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (Google Benchmark's --benchmark_color applies only to the
  // reporter it creates itself).
  explicit recording_reporter(bool show_context)
      : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular),
        show_context_(show_context) {}

  // The machine's description once, not once per child process.
  bool ReportContext(const Context& context) override {
    return show_context_ ? ConsoleReporter::ReportContext(context) : true;
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) {
        failed_.insert(run.run_name.function_name + ": " + run.error_message);
        continue;
      }
      if (run.iterations <= 0) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      if (!median && !single) continue;
      seconds_[run.run_name.function_name] =
          run.real_accumulated_time / static_cast<double>(run.iterations);
    }
  }
  [[nodiscard]] const double* seconds(const std::string& name) const {
    auto it = seconds_.find(name);
    return it == seconds_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] const std::set<std::string>& failed() const noexcept { return failed_; }

 private:
  bool show_context_;
  std::map<std::string, double> seconds_;
  std::set<std::string> failed_;
};

/// The result of one benchmark run in a child process: its median seconds, or why not.
struct child_result {
  bool ok = false;
  double seconds = 0;
  std::string error;
};

/// Runs the benchmark `name` ("<shape>/<engine>") in a forked child and reads back its median.
child_result run_isolated(const std::string& name, bool show_context) {
  int fds[2];
  if (::pipe(fds) != 0) return {false, 0, "pipe() failed"};
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return {false, 0, "fork() failed"};
  if (pid == 0) {
    ::close(fds[0]);
    // TBB gets exactly as many threads as typeflow (the caller plus threads-1 workers).
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, bench::threads);
    recording_reporter reporter(show_context);
    benchmark::RunSpecifiedBenchmarks(&reporter, "^" + name + "/");
    std::string out;
    if (const double* s = reporter.seconds(name)) {
      out = "ok " + std::to_string(*s);
    } else if (!reporter.failed().empty()) {
      out = "failed " + *reporter.failed().begin();
    } else {
      out = "failed no result";
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const char* data = out.data();
    std::size_t left = out.size();
    while (left > 0) {
      const ssize_t n = ::write(fds[1], data, left);
      if (n <= 0) break;
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {false, 0, "the child process ended abnormally (status " + std::to_string(status) + ")"};
  }
  if (text.rfind("ok ", 0) == 0) return {true, std::strtod(text.c_str() + 3, nullptr), {}};
  return {false, 0, text.empty() ? "the child process reported nothing" : text.substr(7)};
}

/// Removes "--name N" or "--name=N" from argv; returns the value or `fallback`.
long take_option(int& argc, char** argv, std::string_view name, long fallback) {
  long value = fallback;
  for (int i = 1; i < argc;) {
    std::string_view arg = argv[i];
    int used = 0;
    const char* text = nullptr;
    if (arg == name && i + 1 < argc) {
      text = argv[i + 1];
      used = 2;
    } else if (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
               arg[name.size()] == '=') {
      text = argv[i] + name.size() + 1;
      used = 1;
    }
    if (used == 0) {
      ++i;
      continue;
    }
    char* end = nullptr;
    value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) {
      std::fprintf(stderr, "typeflow-bench: %.*s needs a positive integer, got '%s'\n",
                   static_cast<int>(name.size()), name.data(), text);
      std::exit(2);
    }
    for (int j = i; j + used <= argc; ++j) argv[j] = argv[j + used];  // keeps argv[argc] null
    argc -= used;
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  const long hardware = std::max(1u, std::thread::hardware_concurrency());
  bench::threads = static_cast<unsigned>(take_option(argc, argv, "--threads", hardware));
  // Nine: each process's first repetition also faults in its memory, and a process's speed
  // varies with where its memory landed (a median of five swung by 20% from run to run).
  const int reps = static_cast<int>(take_option(argc, argv, "--repetitions", 9));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const double spin_ns = bench::calibrate_spin();
  std::printf(
      "typeflow-bench: threads=%u (hardware %ld), spin_step=%llu iterations (%.0f ns), "
      "repetitions=%d (median reported), each benchmark in a process of its own, "
      "oneTBB %d.%d\n",
      bench::threads, hardware, static_cast<unsigned long long>(bench::spin_iterations), spin_ns,
      reps, TBB_VERSION_MAJOR, TBB_VERSION_MINOR);
  std::fflush(stdout);

  const auto all = shapes(reps);
  for (const auto& sh : all) {
    for (const auto& e : sh.engines) {
      const std::size_t steps = sh.steps;
      auto fn = e.run;
      benchmark::RegisterBenchmark(
          (sh.name + "/" + e.engine).c_str(),
          [fn, steps](benchmark::State& state) {
            for (auto _ : state) {
              if (!fn()) {
                state.SkipWithError("the run did not succeed");
                break;
              }
            }
            state.counters["steps"] = static_cast<double>(steps);
            state.counters["time_per_step"] = benchmark::Counter(
                static_cast<double>(steps),
                benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
          })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1)
          ->Repetitions(sh.repetitions)
          ->DisplayAggregatesOnly(sh.repetitions > 1);
    }
  }

  std::string filter = benchmark::GetBenchmarkFilter();
  if (filter.empty() || filter == "all") filter = ".";
  std::regex selected;
  try {
    selected = std::regex(filter);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr,
                 "typeflow-bench: --benchmark_filter '%s' is not a regular expression: %s\n",
                 filter.c_str(), e.what());
    return 2;
  }
  std::map<std::string, double> seconds;
  std::vector<std::string> failed;
  bool first = true;
  for (const auto& sh : all) {
    for (const auto& e : sh.engines) {
      const std::string name = sh.name + "/" + e.engine;
      if (!std::regex_search(name, selected)) continue;
      const child_result r = run_isolated(name, first);
      first = false;
      if (r.ok) {
        seconds[name] = r.seconds;
      } else {
        failed.push_back(name + ": " + r.error);
      }
    }
  }

  auto per_step = [&](const shape& sh, const std::string& engine) -> double {
    auto it = seconds.find(sh.name + "/" + engine);
    return it == seconds.end() ? -1.0 : it->second * 1e9 / static_cast<double>(sh.steps);
  };
  for (const auto& sh : all) {
    const double x = per_step(sh, "typeflow");
    const double y = per_step(sh, "tbb");
    if (x < 0 || y < 0) continue;  // filtered out or failed
    std::printf(
        "summary shape=%s threads=%u typeflow_ns_per_step=%.1f tbb_ns_per_step=%.1f "
        "ratio=%.3f\n",
        sh.name.c_str(), bench::threads, x, y, x / y);
    if (sh.name == "payload_chain") {
      const double z = per_step(sh, "loop");
      if (z > 0) {
        std::printf(
            "summary shape=payload_chain_vs_loop threads=%u typeflow_ns_per_step=%.1f "
            "loop_ns_per_step=%.1f ratio=%.3f\n",
            bench::threads, x, z, x / z);
      }
    }
  }
  std::fflush(stdout);
  benchmark::Shutdown();
  for (const auto& f : failed) std::fprintf(stderr, "typeflow-bench: FAILED %s\n", f.c_str());
  return failed.empty() ? 0 : 1;
}
