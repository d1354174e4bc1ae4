#pragma once
// The benchmark shapes written with typeflow. Each function builds the pipeline, runs it on
// bench::threads workers and tears it down: the whole cost of one use. Returns false when the
// run did not succeed (the caller reports it as an error).

#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

#include <typeflow/core.hpp>
#include <typeflow/exec.hpp>

#include "common.hpp"

namespace bench::tf {

namespace tyf = typeflow;

inline tyf::run_options options() { return tyf::run_options{}.threads(threads); }

/// s0 -> s1 -> ... -> s(n-1), each step after the previous one.
template <class Work>
bool chain(std::size_t n, Work work) {
  tyf::pipeline p{"chain"};
  step_name name;
  tyf::handle<void> prev = p.step(name(0), work);
  for (std::size_t i = 1; i < n; ++i) prev = p.step(name(i), work).after(prev);
  return tyf::run(p, options()).ok();
}

/// A complete binary tree of `depth` levels in heap order: node i runs after node (i-1)/2.
template <class Work>
bool binary_tree(unsigned depth, Work work) {
  const std::size_t n = (std::size_t{1} << depth) - 1;
  tyf::pipeline p{"binary_tree"};
  step_name name;
  std::vector<tyf::handle<void>> h;
  h.reserve(n);
  h.push_back(p.step(name(0), work));
  for (std::size_t i = 1; i < n; ++i) h.push_back(p.step(name(i), work).after(h[(i - 1) / 2]));
  return tyf::run(p, options()).ok();
}

/// A side x side grid: node (i,j) runs after (i-1,j) and (i,j-1).
template <class Work>
bool wavefront(std::size_t side, Work work) {
  tyf::pipeline p{"wavefront"};
  step_name name;
  std::vector<tyf::handle<void>> h;
  h.reserve(side * side);
  for (std::size_t i = 0; i < side; ++i) {
    for (std::size_t j = 0; j < side; ++j) {
      auto s = p.step(name(i * side + j), work);
      if (i > 0 && j > 0) {
        s.after(h[(i - 1) * side + j], h[i * side + j - 1]);
      } else if (i > 0) {
        s.after(h[(i - 1) * side + j]);
      } else if (j > 0) {
        s.after(h[i * side + j - 1]);
      }
      h.push_back(s);
    }
  }
  return tyf::run(p, options()).ok();
}

/// source -> width independent steps -> sink.
template <class Work>
bool fan_out_in(std::size_t width, Work work) {
  tyf::pipeline p{"fan_out_in"};
  step_name name;
  auto source = p.step(name(0), work);
  std::vector<tyf::handle<void>> middle;
  middle.reserve(width);
  for (std::size_t i = 0; i < width; ++i) middle.push_back(p.step(name(i + 1), work).after(source));
  p.step(name(width + 1), work).after_all(middle);
  return tyf::run(p, options()).ok();
}

/// A 1 MB std::vector<float> made by a source step, then passed by value through `passes`
/// steps that each add 1 to every element (the single consumer of each output, so the engine
/// moves it). Checks the last output.
inline bool payload_chain(std::size_t passes) {
  tyf::pipeline p{"payload_chain"};
  step_name name;
  auto h = p.step(name(0), [] { return std::vector<float>(payload_floats, 0.f); });
  for (std::size_t i = 1; i <= passes; ++i) {
    h = p.step(
        name(i),
        [](std::vector<float> x) {
          add_one(x);
          return x;
        },
        h);
  }
  auto r = tyf::run(p, options());
  return r.ok() && r.get(h).size() == payload_floats &&
         r.get(h).front() == static_cast<float>(passes);
}

}  // namespace bench::tf
