// The run store's costs: per-step overhead of recording (10,000 trivial steps, store on vs
// off), and artifact throughput (1 MB and 100 MB outputs vs writing the same bytes to a file
// with fsync + rename; the artifact's cost is a stored run with the output minus the same
// stored run returning two bytes of it). Prints `summary shape=...` lines.
//
//   typeflow-bench-store [--threads N] [--dir PATH] [--only record|artifact]
//   (default dir: a temporary directory)
#include <typeflow/store.hpp>
#include <typeflow/typeflow.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace tyf = typeflow;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double time_ns(F&& f) {
  auto t0 = clock_type::now();
  f();
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count());
}

void plain_write(const fs::path& dir, const std::vector<unsigned char>& bytes, int n) {
  auto tmp = dir / ("plain-" + std::to_string(n) + ".part");
  auto final_path = dir / ("plain-" + std::to_string(n));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w <= 0) break;
    done += static_cast<std::size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  ::rename(tmp.c_str(), final_path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string only;
  fs::path base =
      fs::temp_directory_path() / ("typeflow-store-bench-" + std::to_string(::getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0)
      threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    if (std::strcmp(argv[i], "--dir") == 0) base = argv[i + 1];
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  fs::remove_all(base);
  fs::create_directories(base);

  // 1. Recording overhead: 10,000 independent trivial steps.
  if (only.empty() || only == "record") {
    constexpr int steps = 10000;
    tyf::pipeline p{"record"};
    p.reserve(steps);
    auto seed = p.param<int>("seed", 1);
    for (int i = 0; i < steps; ++i) {
      p.step(
          "s" + std::to_string(i), [i](int s) { return s + i; }, seed);
    }
    auto opts = tyf::run_options{}.threads(threads);
    tyf::store st{base / "record"};
    std::vector<double> with, without;
    for (int rep = 0; rep < 5; ++rep) {
      without.push_back(time_ns([&] { (void)tyf::run(p, opts); }));
      // A new seed each time: every step runs and stores a new artifact.
      with.push_back(time_ns([&] {
        (void)st.run(p, tyf::store_options{}.base(opts).set("seed", std::to_string(100 + rep)));
      }));
    }
    double t = median(with) / steps, b = median(without) / steps;
    std::printf(
        "summary shape=store_record threads=%u steps=%d typeflow_ns_per_step=%.0f "
        "baseline_ns_per_step=%.0f ratio=%.2f\n",
        threads, steps, t, b, t / b);
    // The same with every step served from the cache.
    std::vector<double> cached;
    for (int rep = 0; rep < 3; ++rep) {
      cached.push_back(
          time_ns([&] { (void)st.run(p, tyf::store_options{}.base(opts).set("seed", "100")); }));
    }
    double c = median(cached) / steps;
    std::printf(
        "summary shape=store_cached threads=%u steps=%d typeflow_ns_per_step=%.0f "
        "baseline_ns_per_step=%.0f ratio=%.2f\n",
        threads, steps, c, b, c / b);
  }

  // 2. Artifact throughput: one step returning `size` bytes, vs a plain file write of them.
  for (std::size_t size : {std::size_t{1} << 20, std::size_t{100} << 20}) {
    if (!only.empty() && only != "artifact") break;
    const int reps = size > (std::size_t{10} << 20) ? 5 : 15;
    std::vector<unsigned char> payload(size);
    std::mt19937_64 rng{42};
    for (auto& b : payload) b = static_cast<unsigned char>(rng());
    tyf::pipeline p{"artifact"};
    auto salt = p.param<int>("salt", 0);
    p.step(
        "make",
        [&payload](int s) {
          auto v = payload;
          v[0] = static_cast<unsigned char>(s);  // a new artifact each rep
          return v;
        },
        salt);
    // The same step and the same stored run, returning two bytes of it instead: what a stored
    // run costs without the artifact (its rows, the writer's flush at the end).
    tyf::pipeline small{"artifact-small"};
    auto small_salt = small.param<int>("salt", 0);
    small.step(
        "make",
        [&payload](int s) {
          auto v = payload;
          v[0] = static_cast<unsigned char>(s);
          return static_cast<int>(v[0]) + static_cast<int>(v[v.size() / 2]);
        },
        small_salt);
    tyf::store st{base / ("artifact-" + std::to_string(size))};
    std::vector<double> with, without, plain;
    for (int rep = 0; rep < reps; ++rep) {
      const auto salt = std::to_string(rep + 1);
      without.push_back(time_ns([&] {
        (void)st.run(small,
                     tyf::store_options{}.base(tyf::run_options{}.threads(1)).set("salt", salt));
      }));
      with.push_back(time_ns([&] {
        (void)st.run(p, tyf::store_options{}.base(tyf::run_options{}.threads(1)).set("salt", salt));
      }));
      plain.push_back(time_ns([&] { plain_write(base, payload, rep); }));
    }
    // What storing the output adds to a stored run (encode, hash, write, fsync, rename, its
    // row) vs a plain write of the same bytes; the whole stored run is printed apart.
    double t = median(with) - median(without), b = median(plain);
    const char* label =
        size == (std::size_t{1} << 20) ? "store_artifact_1MB" : "store_artifact_100MB";
    std::printf(
        "summary shape=%s threads=1 typeflow_ns=%.0f baseline_ns=%.0f ratio=%.2f "
        "typeflow_MBps=%.0f baseline_MBps=%.0f stored_run_ns=%.0f\n",
        label, t, b, t / b, static_cast<double>(size) / 1e6 / (t / 1e9),
        static_cast<double>(size) / 1e6 / (b / 1e9), median(with));
  }
  fs::remove_all(base);
  return 0;
}
