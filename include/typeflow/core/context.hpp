#pragma once
// What a running step may see of its run: ids, its stop token, and channels for metrics,
// progress and log lines. A step takes `typeflow::context&` as any parameter; it is not an edge.

#include <cstdint>
#include <stop_token>
#include <string_view>
#include <utility>

namespace typeflow {

class context;

namespace detail {
/// Where a context's metrics, progress and log lines go; the executor implements it.
class context_sink {
 public:
  virtual void metric(const context& ctx, std::string_view name, double value,
                      std::int64_t index) = 0;
  virtual void progress(const context& ctx, std::uint64_t done, std::uint64_t total) = 0;
  /// `text`: one line, or several separated by '\n' (context::log).
  virtual void log(const context& ctx, std::string_view text) = 0;

 protected:
  ~context_sink() = default;
};
}  // namespace detail

class context {
 public:
  context(std::string_view run_id, std::string_view step_name, std::uint32_t node, unsigned attempt,
          const std::stop_token& stop, detail::context_sink* sink) noexcept
      : run_id_(run_id), step_(step_name), node_(node), attempt_(attempt), stop_(&stop),
        sink_(sink) {}

  [[nodiscard]] std::string_view run_id() const noexcept { return run_id_; }
  [[nodiscard]] std::string_view step_name() const noexcept { return step_; }
  /// 1 for the first attempt, 2 for the first retry, ...
  [[nodiscard]] unsigned attempt() const noexcept { return attempt_; }
  /// Triggered when the run is stopped or this step's timeout expires; long steps should poll
  /// it (or register a std::stop_callback) and return early.
  [[nodiscard]] const std::stop_token& stop_token() const noexcept { return *stop_; }
  [[nodiscard]] bool stop_requested() const noexcept { return stop_->stop_requested(); }

  /// Records one point of a metric's history, e.g. log_metric("loss", 0.31, epoch).
  void log_metric(std::string_view name, double value, std::int64_t index = 0) {
    if (sink_ != nullptr) sink_->metric(*this, name, value, index);
  }
  /// Reports progress through the step's work, e.g. progress(batch, batches).
  void progress(std::uint64_t done, std::uint64_t total) {
    if (sink_ != nullptr) sink_->progress(*this, done, total);
  }
  /// Writes a line to the step's own log, e.g. log("epoch 3: 1200 batches"). Observers get it
  /// as a step_log event; the run store keeps each attempt's lines in a file of their own,
  /// which `prog logs RUN STEP` prints. Text with embedded '\n' is several lines (one final
  /// '\n' ends the last line and adds none). A step that never logs pays nothing for it.
  void log(std::string_view line) {
    if (sink_ != nullptr) sink_->log(*this, line);
  }

  [[nodiscard]] std::uint32_t node() const noexcept { return node_; }

 private:
  std::string_view run_id_;
  std::string_view step_;
  std::uint32_t node_;
  unsigned attempt_;
  const std::stop_token* stop_;  ///< the executor's, outliving the step's call (no per-step copy)
  detail::context_sink* sink_;
};

}  // namespace typeflow
