#pragma once
// What the run store gives back: runs, their steps, metrics and artifacts as plain values,
// the filter for listing runs, and comparisons of runs side by side.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow {

/// One run as the store recorded it.
struct run_info {
  std::string id;
  std::string pipeline;
  std::string structure_hash;  ///< of the pipeline's definition: steps, types, wiring
  run_status status = run_status::pending;
  std::chrono::system_clock::time_point started{};
  std::optional<std::chrono::system_clock::time_point> ended;
  std::chrono::system_clock::time_point heartbeat{};
  std::string host;
  std::int64_t pid = 0;
  std::string experiment;
  std::string kind;    ///< "run", "retry", "copy" or "partial"
  std::string origin;  ///< the run this one retries or copies ("" for none)
  std::string message;
  bool stop_requested = false;
  std::map<std::string, std::string> params;  ///< values as text
  std::map<std::string, std::string> tags;
  /// While the run is running: the delayed parameters it asked the store for and waits for
  /// (store::request_param), not answered yet. The command line shows it as `waiting`.
  std::vector<std::string> waiting_for;

  [[nodiscard]] std::chrono::nanoseconds duration() const {
    return ended ? *ended - started : std::chrono::nanoseconds{};
  }
};

/// A delayed parameter asked for through the store (store::request_param) and its answer
/// (store::answer_param).
struct param_request {
  std::string name;
  std::string type;
  /// When the run asked; none for an answer given before the run recorded its request.
  std::optional<std::chrono::system_clock::time_point> requested;
  std::optional<std::string> answer;  ///< the value's text, once answered
  std::optional<std::chrono::system_clock::time_point> answered;
};

/// A stored output.
struct artifact_info {
  std::string hash;  ///< XXH3-128 of the encoded bytes, 32 hex digits
  std::uint64_t size = 0;
  std::string type;  ///< the C++ type
  std::uint32_t codec_version = 0;
};

/// One step of a stored run.
struct step_info {
  std::string name;
  step_status status = step_status::pending;
  unsigned attempts = 0;
  std::optional<std::chrono::system_clock::time_point> started, ended;
  std::string message;
  bool cache_hit = false;
  std::string cache_key;
  std::optional<artifact_info> artifact;
};

/// A run with its steps and the full history of its metrics.
struct run_details {
  run_info run;
  std::vector<step_info> steps;
  std::vector<metric_record> metrics;

  [[nodiscard]] TYPEFLOW_INLINE const step_info* step(std::string_view name) const;
  /// The last value logged for a metric (by index, then time), if any.
  [[nodiscard]] TYPEFLOW_INLINE std::optional<double> final_metric(std::string_view name) const;
};

/// Which runs store::runs() lists; every setter narrows. Newest first.
class run_query {
 public:
  run_query& status(run_status s) {
    status_ = s;
    return *this;
  }
  run_query& pipeline(std::string name) {
    pipeline_ = std::move(name);
    return *this;
  }
  run_query& experiment(std::string name) {
    experiment_ = std::move(name);
    return *this;
  }
  run_query& tag(std::string key, std::string value) {
    tags_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  /// Runs whose parameter `name` had the value `text` (as the run recorded it).
  run_query& param(std::string name, std::string text) {
    params_.emplace_back(std::move(name), std::move(text));
    return *this;
  }
  run_query& since(std::chrono::system_clock::time_point t) {
    since_ = t;
    return *this;
  }
  run_query& until(std::chrono::system_clock::time_point t) {
    until_ = t;
    return *this;
  }
  run_query& limit(std::size_t n) {
    limit_ = n;
    return *this;
  }
  /// Leaves out the first `n` matching runs (the newest): with limit(), one page of the history.
  run_query& offset(std::size_t n) {
    offset_ = n;
    return *this;
  }

  [[nodiscard]] const std::optional<run_status>& status() const noexcept { return status_; }
  [[nodiscard]] const std::optional<std::string>& pipeline() const noexcept { return pipeline_; }
  [[nodiscard]] const std::optional<std::string>& experiment() const noexcept {
    return experiment_;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& tags() const noexcept {
    return tags_;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& params() const noexcept {
    return params_;
  }
  [[nodiscard]] const std::optional<std::chrono::system_clock::time_point>& since() const noexcept {
    return since_;
  }
  [[nodiscard]] const std::optional<std::chrono::system_clock::time_point>& until() const noexcept {
    return until_;
  }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  std::optional<run_status> status_;
  std::optional<std::string> pipeline_;
  std::optional<std::string> experiment_;
  std::vector<std::pair<std::string, std::string>> tags_;
  std::vector<std::pair<std::string, std::string>> params_;
  std::optional<std::chrono::system_clock::time_point> since_, until_;
  std::size_t limit_ = 0;
  std::size_t offset_ = 0;
};

/// Runs side by side: their parameters and the final value of each metric.
struct comparison {
  std::vector<std::string> runs;
  template <class V>
  struct row {
    std::string name;
    std::vector<std::optional<V>> values;  ///< one per run; empty where a run has none
    /// True when two runs' values differ; two NaN are the same value here.
    [[nodiscard]] bool differs() const {
      for (const auto& v : values) {
        if (!same(v, values.front())) return true;
      }
      return false;
    }

   private:
    static bool same(const std::optional<V>& a, const std::optional<V>& b) {
      if constexpr (std::is_floating_point_v<V>) {
        if (a && b && std::isnan(*a) && std::isnan(*b)) return true;
      }
      return a == b;
    }
  };
  std::vector<row<std::string>> params;
  std::vector<row<double>> metrics;  ///< named "step.metric"

  /// A plain-text table: one column per run, parameters then metrics; differing rows marked *.
  /// Values that are not finite read nan, inf and -inf.
  [[nodiscard]] TYPEFLOW_INLINE std::string table() const;
};

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/store/impl/records.hpp>
#endif
