// A child process for the run store's tests: runs pipelines against a store given on the
// command line, so tests can kill it mid-run, stop it from outside, or run two at once.
//
//   store_child runs DIR N OFFSET   N small runs with seeds OFFSET..OFFSET+N-1
//   store_child hang DIR            a run whose `train` step hangs (set TYPEFLOW_TEST_HANG)
//   store_child wait-stop DIR       a run that waits until it is stopped; exits 0 if stopped
//   store_child big-writes DIR      a run of 32 steps that each store a distinct 16 MiB output,
//                                   so that it spends most of its time writing artifacts
//   store_child wait-file DIR FILE [BUSY_MS]
//                                   a run whose step `wait` waits (up to a minute) until FILE
//                                   exists, then logs a metric; exits 0 when the run succeeded
//                                   with every record stored, 4 when records were not stored
//                                   (printing how many and the first reason), 3 otherwise.
//                                   BUSY_MS: store_config::busy_timeout
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "store_testing.hpp"

namespace tyf = typeflow;

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: store_child runs|hang|wait-stop DIR [N OFFSET]\n");
    return 2;
  }
  const std::string mode = argv[1];
  tyf::store_config cfg;
  cfg.heartbeat = std::chrono::milliseconds(50);
  if (mode == "wait-file" && argc == 5)
    cfg.busy_timeout = std::chrono::milliseconds(std::stoi(argv[4]));
  tyf::store st{argv[2], cfg};
  if (mode == "runs" && argc == 5) {
    auto p = tyf::test::small_pipeline();
    int n = std::stoi(argv[3]), offset = std::stoi(argv[4]);
    for (int i = 0; i < n; ++i) {
      auto r = st.run(p, tyf::store_options{}
                             .set("seed", std::to_string(offset + i))
                             .experiment("concurrent")
                             .base(tyf::run_options{}.threads(2)));
      if (!r.ok() || r.store_errors() != 0) {
        std::fprintf(stderr, "run %d: %s; store errors: %zu %s\n", i, r.summary().c_str(),
                     r.store_errors(), r.first_store_error().c_str());
        return 1;
      }
    }
    return 0;
  }
  if (mode == "hang") {
    tyf::test::step_counts counts;
    auto p = tyf::test::crash_pipeline(counts);
    (void)st.run(p);
    return 0;
  }
  if (mode == "wait-stop") {
    auto p = tyf::test::stoppable_pipeline();
    auto r = st.run(p);
    return r.status() == tyf::run_status::stopped ? 0 : 3;
  }
  if (mode == "wait-file" && argc >= 4) {
    auto p = tyf::test::file_waiting_pipeline(argv[3]);
    auto r = st.run(p);
    if (r.store_errors() != 0) {
      std::fprintf(stderr, "store_child: %zu records not stored; first: %s\n", r.store_errors(),
                   r.first_store_error().c_str());
      return 4;
    }
    return r.ok() ? 0 : 3;
  }
  if (mode == "big-writes") {
    tyf::pipeline p{"big-writes"};
    for (int i = 0; i < 32; ++i) {
      p.step("write" + std::to_string(i), [i] {
        std::vector<std::uint8_t> bytes(std::size_t{16} << 20);
        for (std::size_t k = 0; k < bytes.size(); ++k)
          bytes[k] = static_cast<std::uint8_t>(k * 31 + i);
        return bytes;
      });
    }
    (void)st.run(p, tyf::store_options{}.base(tyf::run_options{}.threads(2)));
    return 0;
  }
  std::fprintf(stderr, "store_child: unknown mode '%s'\n", mode.c_str());
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "store_child: %s\n", e.what());
  return 1;
}
