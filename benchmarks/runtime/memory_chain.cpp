// typeflow-bench-memory: the peak memory of a chain of 10 steps that each produce a 100 MB
// buffer (step i reads step i-1's buffer by const& and writes a new one). An engine that
// releases each output after its last consumer peaks near 2 buffers (input + output of the
// running step); one that keeps every output reaches 10. Runs in its own process so the
// baseline is clean, and prints
//   summary shape=memory_chain_10x100MB threads=<n> peak_mb=<x> limit_mb=250 ratio=<x/100>
// where peak_mb is the high-water mark of resident memory (VmHWM) during the run minus the
// resident memory before the pipeline was built, in MiB (a buffer is 100 MiB).
// Exits with status 1 when peak_mb exceeds the limit.
//
// Usage: typeflow-bench-memory [--threads N]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <typeflow/core.hpp>
#include <typeflow/exec.hpp>

namespace {

namespace tyf = typeflow;

constexpr std::size_t buffer_bytes = std::size_t{100} << 20;  // 100 MiB
constexpr int chain_length = 10;
constexpr double limit_mb = 250;

using buffer = std::vector<unsigned char>;

/// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1.
long status_kb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':') {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

/// Resets VmHWM to the current resident size (Linux >= 4.0); false when not allowed.
bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const char* value = nullptr;
    if (arg == "--threads" && i + 1 < argc) {
      value = argv[++i];
    } else if (arg.substr(0, 10) == "--threads=") {
      value = argv[i] + 10;
    } else {
      std::fprintf(stderr, "usage: %s [--threads N]\n", argv[0]);
      return 2;
    }
    threads = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    if (threads == 0) {
      std::fprintf(stderr, "typeflow-bench-memory: --threads needs a positive integer\n");
      return 2;
    }
  }

  const bool reset = reset_peak();
  const long baseline_kb = status_kb("VmRSS");
  long peak_kb = -1;
  bool ok = false;
  {
    tyf::pipeline p{"memory_chain"};
    auto h = p.step("b0", [] {
      buffer b(buffer_bytes);
      std::memset(b.data(), 1, b.size());
      return b;
    });
    for (int i = 1; i < chain_length; ++i) {
      h = p.step(
          "b" + std::to_string(i),
          [](const buffer& in) {
            buffer out(in.size());
            for (std::size_t k = 0; k < in.size(); ++k)
              out[k] = static_cast<unsigned char>(in[k] + 1);
            return out;
          },
          h);
    }
    auto r = tyf::run(p, tyf::run_options{}.threads(threads));
    ok = r.ok() && r.get(h).size() == buffer_bytes && r.get(h)[0] == chain_length &&
         r.get(h)[buffer_bytes - 1] == chain_length;
    peak_kb = status_kb("VmHWM");
  }
  if (peak_kb < 0 || baseline_kb < 0) {
    // No /proc: fall back to getrusage (a peak since the process started).
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    peak_kb = usage.ru_maxrss;
  }
  const double peak_mb =
      static_cast<double>(peak_kb - (baseline_kb < 0 ? 0 : baseline_kb)) / 1024.0;
  std::fprintf(stderr, "typeflow-bench-memory: baseline VmRSS %ld kB, VmHWM %ld kB%s, run %s\n",
               baseline_kb, peak_kb, reset ? " (peak reset before the run)" : "",
               ok ? "ok" : "FAILED");
  std::printf(
      "summary shape=memory_chain_10x100MB threads=%u peak_mb=%.1f limit_mb=%.0f "
      "ratio=%.3f\n",
      threads, peak_mb, limit_mb, peak_mb / 100.0);
  std::fflush(stdout);
  if (!ok) return 1;
  if (peak_mb > limit_mb) {
    std::fprintf(stderr, "typeflow-bench-memory: peak %.1f MB is over the %.0f MB limit\n", peak_mb,
                 limit_mb);
    return 1;
  }
  return 0;
}
