// Fuzz target: the HTML report (report/html.hpp) of a stored run whose every string and
// number comes from the fuzzer: step names that are and are not the pipeline's, messages,
// parameters, tags, metric names and values (NaN, infinities). It must not crash or trip the
// sanitizers, and no input byte sequence may open a tag: "<" from the input is escaped.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <typeflow/report/html.hpp>
#include <typeflow/typeflow.hpp>

#include "run_input.hpp"

namespace tyf = typeflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tyf::pipeline p = [] {
    tyf::pipeline q("fuzz-report");
    auto n = q.param<int>("n", 3);
    auto a = q.step(
        "load", [](int k) { return k; }, n);
    q.step(
        "train", [](int k) { return 2.0 * k; }, a);
    return q;
  }();
  tyf::fuzz::input in(data, size);
  auto d = tyf::fuzz::run_from(in);
  const std::string html = tyf::html_report(p, d);
  // A marker tag no report writes: present in the output only if the input's "<" got through.
  if (html.find("<fuzz-marker") != std::string::npos) std::abort();
  return 0;
}
