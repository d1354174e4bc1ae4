#pragma once
// What `run` shows while a run goes on: on a terminal a live view redrawn in place (one line
// per running step, counts, at most ~10 redraws a second); off a terminal one plain line per
// event; with --quiet nothing until the summary; with --json one JSON line per event.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/core/duration_text.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/time_text.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

namespace cli_detail {

inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// "HH:MM:SS" in local time.
inline std::string clock_text(std::chrono::system_clock::time_point t) {
  return detail::time_text(t, "%H:%M:%S", detail::time_zone::local);
}

/// "YYYY-MM-DD HH:MM:SS" in local time.
inline std::string date_text(std::chrono::system_clock::time_point t) {
  return detail::time_text(t, "%Y-%m-%d %H:%M:%S", detail::time_zone::local);
}

/// Left-aligned columns separated by two spaces.
inline std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

inline std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace cli_detail

/// How a progress_view shows a run.
enum class progress_mode : std::uint8_t {
  live,   ///< a terminal: redrawn in place
  plain,  ///< one line per event
  quiet,  ///< nothing while the run goes on
  json,   ///< one JSON document per line per event
};

/// The summary table of a finished run: step, status, attempts, duration, cache.
inline std::string summary_table(const run_details& d) {
  std::vector<std::vector<std::string>> rows{{"step", "status", "attempts", "duration", "cache"}};
  for (const auto& s : d.steps) {
    std::string dur = s.started && s.ended ? format_duration(*s.ended - *s.started) : "-";
    rows.push_back({s.name, std::string(to_string(s.status)), std::to_string(s.attempts), dur,
                    s.cache_hit ? "hit" : "-"});
  }
  std::string out = cli_detail::table(rows);
  out += "run " + d.run.id + " " + std::string(to_string(d.run.status)) + " in " +
         format_duration(d.run.duration());
  if (!d.run.message.empty()) out += " (" + d.run.message + ")";
  return out + "\n";
}

/// An observer that shows a run as it goes. Thread-safe: events arrive from worker threads;
/// each call only updates state under a mutex and (plain/json modes) writes one line.
class progress_view : public observer {
 public:
  /// `steps`: the number of steps the run has (for the pending count).
  progress_view(std::ostream& out, progress_mode mode, std::size_t steps)
      : out_(out), mode_(mode), total_(steps) {}
  progress_view(const progress_view&) = delete;
  progress_view& operator=(const progress_view&) = delete;
  ~progress_view() override { stop(); }

  /// Starts the render thread (live mode only): redraws at most every `period`.
  void start(std::chrono::milliseconds period = std::chrono::milliseconds(100)) {
    if (mode_ != progress_mode::live || renderer_.joinable()) return;
    renderer_ = std::thread([this, period] {
      std::unique_lock lock(m_);
      while (!done_) {
        cv_.wait_for(lock, period, [&] { return done_; });
        if (dirty_ || !order_.empty()) draw_locked();  // running steps' clocks tick on
      }
      if (dirty_) draw_locked();  // the last state, before stop() clears it
    });
  }
  /// Stops the render thread after one last redraw, then clears the live lines.
  void stop() {
    {
      std::lock_guard lock(m_);
      if (done_) return;
      done_ = true;
    }
    cv_.notify_all();
    if (renderer_.joinable()) renderer_.join();
    std::lock_guard lock(m_);
    if (mode_ == progress_mode::live) {
      clear_locked();
      out_.flush();
    }
  }

  /// Redraws the live view now (the render thread does this; tests call it directly).
  void redraw() {
    std::lock_guard lock(m_);
    draw_locked();
  }

  void on_event(const event& e) override {
    std::lock_guard lock(m_);
    switch (e.kind) {
      case event_kind::step_started: {
        auto& s = steps_[std::string(e.step)];
        if (s.at == phase::pending) ++running_;
        if (s.at != phase::running) s.started = e.time;
        s.at = phase::running;
        order_.erase(std::remove(order_.begin(), order_.end(), std::string(e.step)), order_.end());
        order_.emplace_back(e.step);
        break;
      }
      case event_kind::step_succeeded:
      case event_kind::step_failed:
      case event_kind::step_timed_out:
      case event_kind::step_skipped:
      case event_kind::step_cancelled: {
        auto& s = steps_[std::string(e.step)];
        if (s.at == phase::running) --running_;
        s.at = phase::done;
        order_.erase(std::remove(order_.begin(), order_.end(), std::string(e.step)), order_.end());
        if (e.kind == event_kind::step_succeeded) {
          ++(e.attempt == 0 ? cached_ : succeeded_);
        } else if (e.kind == event_kind::step_skipped || e.kind == event_kind::step_cancelled) {
          ++skipped_;
        } else {
          ++failed_;
        }
        break;
      }
      case event_kind::metric: {
        auto& s = steps_[std::string(e.step)];
        s.metric = std::string(e.metric) + "=" + cli_detail::format_number(e.value);
        if (e.index != 0) s.metric += " (" + std::to_string(e.index) + ")";
        break;
      }
      case event_kind::progress: {
        auto& s = steps_[std::string(e.step)];
        s.done = e.done;
        s.total = e.total;
        break;
      }
      default: break;
    }
    dirty_ = true;
    if (mode_ == progress_mode::plain) {
      if (auto line = plain_line(e)) out_ << *line << '\n' << std::flush;
    } else if (mode_ == progress_mode::json) {
      out_ << json_line(e).dump() << '\n' << std::flush;
    }
  }

  /// One event as plain text, or nothing for events a plain log leaves out (progress).
  [[nodiscard]] static std::optional<std::string> plain_line(const event& e) {
    std::string t = "[" + cli_detail::clock_text(e.time) + "] ";
    std::string step(e.step);
    std::string msg = e.message.empty() ? std::string{} : ": " + std::string(e.message);
    switch (e.kind) {
      case event_kind::run_started: return t + "run " + std::string(e.run_id) + " started";
      case event_kind::run_finished:
        return t + "run " + std::string(e.run_id) + " " + std::string(to_string(e.status)) + " " +
               format_duration(e.duration);
      case event_kind::step_started:
        return t + step + " started" +
               (e.attempt > 1 ? " (attempt " + std::to_string(e.attempt) + ")" : "");
      case event_kind::step_succeeded:
        if (e.attempt == 0) return t + step + " cached";
        return t + step + " succeeded " + format_duration(e.duration);
      case event_kind::step_failed: return t + step + " failed" + msg;
      case event_kind::step_timed_out: return t + step + " timed out" + msg;
      case event_kind::step_retried: return t + step + " retried" + msg;
      case event_kind::step_skipped: return t + step + " skipped" + msg;
      case event_kind::step_cancelled: return t + step + " cancelled" + msg;
      case event_kind::metric:
        return t + step + " metric " + std::string(e.metric) + "=" +
               cli_detail::format_number(e.value) +
               (e.index != 0 ? " (" + std::to_string(e.index) + ")" : std::string{});
      case event_kind::progress: return std::nullopt;
      case event_kind::param_requested: return t + "parameter " + step + " requested";
    }
    return std::nullopt;
  }

  /// One event as JSON: {"event", "time" (ms since the epoch), "run", and per kind "step",
  /// "attempt", "message", "status", "duration_s", "metric", "value", "index", "done", "total"}.
  [[nodiscard]] static nlohmann::json json_line(const event& e) {
    nlohmann::json j{{"event", to_string(e.kind)},
                     {"time", cli_detail::epoch_ms(e.time)},
                     {"run", std::string(e.run_id)}};
    if (!e.step.empty()) j["step"] = std::string(e.step);
    switch (e.kind) {
      case event_kind::run_finished:
        j["status"] = to_string(e.status);
        j["duration_s"] = std::chrono::duration<double>(e.duration).count();
        break;
      case event_kind::metric:
        j["metric"] = std::string(e.metric);
        j["value"] = e.value;
        j["index"] = e.index;
        break;
      case event_kind::progress:
        j["done"] = e.done;
        j["total"] = e.total;
        break;
      case event_kind::run_started:
      case event_kind::param_requested: break;
      default:
        j["attempt"] = e.attempt;
        if (e.kind != event_kind::step_started) {
          j["duration_s"] = std::chrono::duration<double>(e.duration).count();
          if (!e.message.empty()) j["message"] = std::string(e.message);
        }
        break;
    }
    return j;
  }

 private:
  enum class phase : std::uint8_t { pending, running, done };
  struct step_state {
    phase at = phase::pending;
    std::chrono::system_clock::time_point started{};
    std::uint64_t done = 0, total = 0;
    std::string metric;
  };

  void clear_locked() {
    if (drawn_ == 0) return;
    out_ << "\x1b[" << drawn_ << "A";
    for (std::size_t i = 0; i < drawn_; ++i) out_ << "\r\x1b[2K\n";
    out_ << "\x1b[" << drawn_ << "A";
    drawn_ = 0;
  }

  void draw_locked() {
    dirty_ = false;
    std::vector<std::string> lines;
    const auto now = std::chrono::system_clock::now();
    for (const auto& name : order_) {
      const auto& s = steps_[name];
      std::string line = "  " + name + "  " + format_duration(now - s.started);
      if (s.total > 0) {
        constexpr std::size_t width = 20;
        auto filled =
            static_cast<std::size_t>(std::min<std::uint64_t>(s.done, s.total) * width / s.total);
        line += "  [" + std::string(filled, '#') + std::string(width - filled, '.') + "] " +
                std::to_string(s.done) + "/" + std::to_string(s.total);
      }
      if (!s.metric.empty()) line += "  " + s.metric;
      lines.push_back(std::move(line));
    }
    const std::size_t finished = succeeded_ + failed_ + cached_ + skipped_;
    const std::size_t pending = total_ > finished + running_ ? total_ - finished - running_ : 0;
    lines.push_back(std::to_string(succeeded_) + " succeeded, " + std::to_string(running_) +
                    " running, " + std::to_string(pending) + " pending, " +
                    std::to_string(failed_) + " failed, " + std::to_string(cached_) + " cached");
    if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "A";
    for (const auto& l : lines) out_ << "\r\x1b[2K" << l << '\n';
    // Lines left from a taller frame are cleared, and the cursor comes back under this one.
    if (drawn_ > lines.size()) {
      const auto extra = drawn_ - lines.size();
      for (std::size_t i = 0; i < extra; ++i) out_ << "\r\x1b[2K\n";
      out_ << "\x1b[" << extra << "A";
    }
    drawn_ = lines.size();
    out_.flush();
  }

  std::ostream& out_;
  const progress_mode mode_;
  const std::size_t total_;
  std::mutex m_;
  std::condition_variable cv_;
  std::thread renderer_;
  bool done_ = false, dirty_ = false;
  std::map<std::string, step_state> steps_;
  std::vector<std::string> order_;  ///< running steps, in the order they started
  std::size_t running_ = 0, succeeded_ = 0, failed_ = 0, cached_ = 0, skipped_ = 0;
  std::size_t drawn_ = 0;  ///< lines of the last frame
};

}  // namespace typeflow
