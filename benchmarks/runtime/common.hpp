#pragma once
// What every engine's version of a shape shares: the thread count, the per-step work (nothing,
// a calibrated ~1 us spin, or one pass over a 1 MB buffer) and step names.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bench {

/// Worker threads for every engine (--threads N; default: hardware threads).
inline unsigned threads = 1;

/// Iterations of spin_step() that take about 1 us on one core (calibrate_spin()).
inline std::uint64_t spin_iterations = 1000;

/// The per-step work of the *_1us shapes: a dependent multiply-add chain that the compiler can
/// neither fold nor vectorise. Out of line, so that every engine calls the very same code.
[[gnu::noinline]] inline void spin_step() {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t i = 0; i < spin_iterations; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    asm volatile("" : "+r"(x));
  }
}

/// Sets spin_iterations so that spin_step() takes `target` (best of several timings).
inline double calibrate_spin(std::chrono::nanoseconds target = std::chrono::microseconds(1)) {
  using clock = std::chrono::steady_clock;
  constexpr std::uint64_t probe = 200000;
  spin_iterations = probe;
  double best = 1e300;
  for (int round = 0; round < 20; ++round) {
    auto t0 = clock::now();
    spin_step();
    auto t1 = clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  const double ns_per_iteration = best / static_cast<double>(probe);
  spin_iterations = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(static_cast<double>(target.count()) / ns_per_iteration));
  // The time of one calibrated step, measured the same way.
  best = 1e300;
  for (int round = 0; round < 2000; ++round) {
    auto t0 = clock::now();
    spin_step();
    auto t1 = clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  return best;
}

/// The payload: 1 MB of floats (2^18 of them), and the light work every step does on it.
inline constexpr std::size_t payload_floats = (std::size_t{1} << 20) / sizeof(float);
inline constexpr std::size_t payload_passes = 100;

[[gnu::noinline]] inline void add_one(std::vector<float>& x) {
  for (auto& f : x) f += 1.f;
}

/// Step names "s0", "s1", ... without a heap allocation per name.
class step_name {
 public:
  std::string_view operator()(std::size_t i) noexcept {
    buf_[0] = 's';
    auto end = std::to_chars(buf_ + 1, buf_ + sizeof buf_, i).ptr;
    return {buf_, static_cast<std::size_t>(end - buf_)};
  }

 private:
  char buf_[24];
};

/// Graph sizes.
inline constexpr std::size_t chain_steps = 1'000'000;
inline constexpr unsigned tree_depth = 20;
inline constexpr std::size_t tree_steps = (std::size_t{1} << tree_depth) - 1;
inline constexpr std::size_t wave_side = 512;
inline constexpr std::size_t wave_steps = wave_side * wave_side;
inline constexpr std::size_t fan_width = 100'000;
inline constexpr std::size_t fan_steps = fan_width + 2;
/// The payload chain's nodes: one source that allocates the buffer, then the passes.
inline constexpr std::size_t payload_steps = payload_passes + 1;

}  // namespace bench
