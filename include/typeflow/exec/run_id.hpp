#pragma once
// Run ids: one function makes them, for the executor, the run store and anyone who names a
// run before starting it (run_options::run_id). Short enough to type, unique enough to trust.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace typeflow {

/// A new run id: 12 characters of base 36 (`0-9a-z`), the first 9 the current time in
/// milliseconds since the epoch, the last 3 drawn at random, e.g. `"mh2k9x0q1a7z"`.
///
/// Ids sort by creation time as text. Within one process they are strictly increasing even
/// when made in the same millisecond (the time part then counts on from the last id made), and
/// unique across threads; across processes the 3 random characters (46656 values) keep two
/// runs started in the same millisecond apart.
///
///     auto id = typeflow::make_run_id();
///     typeflow::run(p, typeflow::run_options{}.run_id(id));
inline std::string make_run_id() {
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
