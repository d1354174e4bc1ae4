// A pipeline program for the command line's tests: load -> train -> evaluate, with an int
// parameter with a range, an enum parameter, a step that fails when a parameter says so, a
// slow step that honours its stop token, metrics, progress and a scene. With
// $CLICHILD_FINALLY set, a finally handler writes how the run ended to that file. With
// $CLICHILD_ODD set, a string parameter "note" and a step "odd" join: it logs NaN, +inf and
// -inf, and a metric whose name holds invalid UTF-8; with CLICHILD_ODD=throw it then fails with
// a message holding invalid UTF-8 (the outputs must show all of it, issue 15). With
// $CLICHILD_DELAYED set, a step `ship` reads a delayed parameter `cutoff` (0..1). With
// $TYPEFLOW_FAULT_VFS set, SQLite calls fail on purpose (fault_vfs.hpp, tests/faults/). With
// $CLICHILD_SCALE=K, load makes K values per row (an output stored as a file, not inline) and
// train logs one loss per row still. With $CLICHILD_LOG set, steps write log lines
// (context::log): `flaky` logs in its attempts 1 and 3 (it fails the first two), and the map
// `shards` logs in each of its 3 elements.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <typeflow/cli.hpp>
#include <typeflow/typeflow.hpp>

#include "fault_vfs.hpp"

namespace tyf = typeflow;

enum class Mode : int { fast, slow, fail, stuck };

int main(int argc, char** argv) {
  fault_vfs::install_fault_vfs();
  static std::size_t scale = 1;
  if (const char* k = std::getenv("CLICHILD_SCALE"); k != nullptr && std::atoi(k) > 0) {
    scale = static_cast<std::size_t>(std::atoi(k));
  }
  tyf::pipeline p{"clichild"};
  auto rows = p.param<int>("rows", 10).describe("rows to load").range(1, 1000);
  auto mode =
      p.param<Mode>("mode", Mode::fast)
          .describe("fast, slow (train waits for a stop), fail, or stuck (train ignores a stop)");
  auto data = p.step(
      "load",
      [](int n) {
        std::vector<double> v(static_cast<std::size_t>(n) * scale);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i / scale);
        return v;
      },
      rows);
  auto model = p.step(
      "train",
      [](const std::vector<double>& v, Mode m, tyf::context& ctx) {
        if (m == Mode::slow) {
          // Waits until the run is stopped (a minute at most), reporting progress.
          auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
          std::uint64_t ticks = 0;
          while (!ctx.stop_requested() && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            ctx.progress(++ticks % 100, 100);
          }
        }
        if (m == Mode::stuck) {  // ignores its stop token: only a second Ctrl-C ends the process
          auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
          while (std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        double sum = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
          sum += v[i];
          if (i % scale != 0) continue;
          const auto row = i / scale;
          ctx.log_metric("loss", 1.0 / static_cast<double>(row + 1),
                         static_cast<std::int64_t>(row));
        }
        return sum;
      },
      data, mode);
  p.step(
      "evaluate",
      [](double m, Mode md, tyf::context& ctx) {
        if (md == Mode::fail) throw std::runtime_error("evaluation failed on purpose");
        ctx.log_metric("score", m / 100.0);
        return m > 0;
      },
      model, mode);
  p.scene("retrain", {"train", "evaluate"});
  if (const char* odd = std::getenv("CLICHILD_ODD"); odd != nullptr) {
    auto note = p.param<std::string>("note", "").describe("free text, even \xff\xfe bytes");
    p.step(
        "odd",
        [fail = std::string(odd) == "throw"](const std::string& text, tyf::context& ctx) {
          const double inf = std::numeric_limits<double>::infinity();
          volatile double zero = 0.0;  // divided at run time: x86 makes a NaN with its sign set
          ctx.log_metric("diverge", 0.5, 0);
          ctx.log_metric("diverge", zero / zero, 1);
          ctx.log_metric("diverge", inf, 2);
          ctx.log_metric("diverge", -inf, 3);
          ctx.log_metric("bad\xff\xfe", 1.0);
          ctx.log_metric("cut\xe2\x82", 2.0);  // a truncated multibyte sequence
          if (fail) throw std::runtime_error("broken \xff\xfe bytes, cut \xe2\x82");
          return text;
        },
        note);
  }
  if (std::getenv("CLICHILD_LOG") != nullptr) {
    using namespace std::chrono_literals;
    auto flaky = p.step("flaky", [](tyf::context& ctx) {
                    if (ctx.attempt() != 2) {
                      ctx.log("flaky attempt " + std::to_string(ctx.attempt()));
                    }
                    if (ctx.attempt() < 3) throw std::runtime_error("not yet");
                    ctx.log("flaky done\nwith two lines");
                    return std::vector<int>{10, 20, 30};
                  }).retry(2, 1ms);
    p.map(
        "shards",
        [](int x, tyf::context& ctx) {
          ctx.log(std::string(ctx.step_name()) + " holds " + std::to_string(x));
          return x;
        },
        flaky);
  }
  if (std::getenv("CLICHILD_DELAYED") != nullptr) {
    // Asked for when `ship` is about to run: on the terminal, or through `answer`.
    auto cutoff =
        p.param<double>("cutoff").describe("the lowest score that ships").range(0.0, 1.0).delayed();
    p.step(
        "ship", [](double m, double c) { return m / 100.0 >= c; }, model, cutoff);
  }
  if (const char* marker = std::getenv("CLICHILD_FINALLY"); marker != nullptr) {
    p.finally("cleanup", [path = std::string(marker)](const tyf::run_outcome& o) {
      std::ofstream(path) << (o.status == tyf::run_status::stopped ? "stopped" : "not stopped");
    });
  }
  return tyf::main(argc, argv, p);
}
