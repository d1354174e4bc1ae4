#pragma once
// A stored run made from fuzz input: every string (names, messages, params, tags, metric
// names) and number comes from the fuzzer, for the output targets (json_output, html_report).

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include <typeflow/store.hpp>

#include "fuzz_input.hpp"

namespace typeflow::fuzz {

inline double number(input& in) {
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = bits << 8 | in.byte();
  double v = 0;
  std::memcpy(&v, &bits, sizeof v);  // any double: NaN, infinities, subnormals
  return v;
}

inline std::chrono::system_clock::time_point time_point(input& in) {
  std::int64_t seconds = 0;
  for (int i = 0; i < 4; ++i) seconds = seconds << 8 | in.byte();  // to 2106: nanoseconds fit
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

inline run_details run_from(input& in) {
  run_details d;
  d.run.id = in.string();
  d.run.pipeline = in.string();
  d.run.structure_hash = in.string();
  d.run.status = static_cast<run_status>(in.byte() % 6);
  d.run.started = time_point(in);
  if (in.byte() % 2 != 0) d.run.ended = time_point(in);
  d.run.host = in.string();
  d.run.experiment = in.string();
  d.run.kind = in.string();
  d.run.origin = in.string();
  d.run.message = in.string();
  for (auto n = in.byte() % 4; n > 0; --n) d.run.params[in.string()] = in.string();
  for (auto n = in.byte() % 4; n > 0; --n) d.run.tags[in.string()] = in.string();
  for (auto n = in.byte() % 5; n > 0; --n) {
    step_info s;
    s.name = in.string();
    s.status = static_cast<step_status>(in.byte() % 8);
    s.attempts = in.byte();
    if (in.byte() % 2 != 0) s.started = time_point(in);
    if (in.byte() % 2 != 0) s.ended = time_point(in);
    s.message = in.string();
    s.cache_hit = in.byte() % 2 != 0;
    if (in.byte() % 2 != 0) s.artifact = artifact_info{in.string(), in.byte(), in.string(), 1};
    d.steps.push_back(std::move(s));
  }
  for (auto n = in.byte() % 8; n > 0; --n) {
    metric_record m;
    m.step = in.byte() % 2 != 0 && !d.steps.empty() ? d.steps.front().name : in.string();
    m.name = in.string();
    m.value = number(in);
    m.index = static_cast<std::int8_t>(in.byte());
    m.time = time_point(in);
    d.metrics.push_back(std::move(m));
  }
  return d;
}

}  // namespace typeflow::fuzz
