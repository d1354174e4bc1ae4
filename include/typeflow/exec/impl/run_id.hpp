#pragma once
// The definition of make_run_id (exec/run_id.hpp).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include <typeflow/config.hpp>
#include <typeflow/exec/run_id.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::string make_run_id() {
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  // Ids made in one millisecond by one process still sort by creation.
  static std::atomic<std::uint64_t> last{0};
  std::uint64_t prev = last.load();
  while (!last.compare_exchange_weak(prev, ms > prev ? ms : prev + 1)) {
  }
  ms = ms > prev ? ms : prev + 1;
  std::string id(12, '0');
  for (int i = 8; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = digits[ms % 36];
    ms /= 36;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto r = rng();
  for (std::size_t i = 9; i < 12; ++i) {
    id[i] = digits[r % 36];
    r /= 36;
  }
  return id;
}

}  // namespace typeflow
