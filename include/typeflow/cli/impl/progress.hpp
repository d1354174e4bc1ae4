#pragma once
// What `run` shows while a run goes on (cli/progress.hpp): included by that header in
// header-only mode, compiled once into typeflow::cli (src/cli.cpp) in compiled mode.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/cli/detail/json.hpp>
#include <typeflow/cli/detail/text.hpp>
#include <typeflow/cli/progress.hpp>
#include <typeflow/config.hpp>
#include <typeflow/core/duration_text.hpp>
#include <typeflow/core/status.hpp>
#include <typeflow/detail/json_text.hpp>
#include <typeflow/detail/threads.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

TYPEFLOW_INLINE std::string summary_table(const run_details& d) {
  // Why a step did not produce its output: its message, in a last column when any has one.
  const auto reason = [](const step_info& s) {
    return produced_outputs(s.status) ? std::string{} : s.message;
  };
  const bool reasons = std::any_of(d.steps.begin(), d.steps.end(),
                                   [&](const auto& s) { return !reason(s).empty(); });
  std::vector<std::vector<std::string>> rows{{"step", "status", "attempts", "duration", "cache"}};
  if (reasons) rows[0].emplace_back("reason");
  const step_info* first_failure = nullptr;
  for (const auto& s : d.steps) {
    std::string dur = s.started && s.ended ? format_duration(*s.ended - *s.started) : "-";
    rows.push_back({s.name, std::string(to_string(s.status)), std::to_string(s.attempts), dur,
                    s.cache_hit ? "hit" : "-"});
    if (reasons) rows.back().push_back(reason(s));
    if (first_failure == nullptr &&
        (s.status == step_status::failed || s.status == step_status::timed_out)) {
      first_failure = &s;
    }
  }
  std::string out = cli_detail::table(rows);
  out += "run " + d.run.id + " " + std::string(to_string(d.run.status)) + " in " +
         format_duration(d.run.duration());
  // The last line says why a run failed: its own message, else its first failed step's.
  if (!d.run.message.empty()) {
    out += " (" + d.run.message + ")";
  } else if (d.run.status != run_status::succeeded && first_failure != nullptr) {
    out += ": " + first_failure->name + " " + std::string(to_string(first_failure->status)) +
           (first_failure->message.empty() ? std::string{} : ": " + first_failure->message);
  }
  return out + "\n";
}

TYPEFLOW_INLINE void progress_view::start(std::chrono::milliseconds period) {
  if (mode_ != progress_mode::live || renderer_.joinable()) return;
  renderer_ = detail::start_thread("the progress view's thread", [this, period] {
    std::unique_lock lock(m_);
    while (!done_) {
      cv_.wait_for(lock, period, [&] { return done_; });
      // Running steps' clocks tick on; nothing is drawn while a prompt has the terminal.
      if (!suspended_ && (dirty_ || !order_.empty() || !waiting_.empty())) draw_locked();
    }
    if (dirty_ && !suspended_) draw_locked();  // the last state, before stop() clears it
  });
}

TYPEFLOW_INLINE void progress_view::stop() {
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

TYPEFLOW_INLINE void progress_view::redraw() {
  std::lock_guard lock(m_);
  draw_locked();
}

TYPEFLOW_INLINE void progress_view::suspend() {
  std::lock_guard lock(m_);
  suspended_ = true;
  if (mode_ == progress_mode::live) {
    clear_locked();
    out_.flush();
  }
}

TYPEFLOW_INLINE void progress_view::resume() {
  std::lock_guard lock(m_);
  suspended_ = false;
  dirty_ = true;
}

TYPEFLOW_INLINE void progress_view::waiting(const std::string& name, std::string note) {
  std::lock_guard lock(m_);
  if (note.empty()) {
    waiting_.erase(name);
  } else {
    waiting_[name] = {std::chrono::system_clock::now(), std::move(note)};
  }
  dirty_ = true;
}

TYPEFLOW_INLINE void progress_view::on_event(const event& e) {
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
    out_ << detail::json_text(json_line(e)) << '\n' << std::flush;
  }
}

TYPEFLOW_INLINE std::optional<std::string> progress_view::plain_line(const event& e) {
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
    case event_kind::param_requested: return t + "waiting for parameter " + step;
    case event_kind::step_log: return t + step + " log: " + std::string(e.message);
  }
  return std::nullopt;
}

TYPEFLOW_INLINE nlohmann::json progress_view::json_line(const event& e) {
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
      j["value"] = cli_detail::json_number(e.value);
      j["index"] = e.index;
      break;
    case event_kind::progress:
      j["done"] = e.done;
      j["total"] = e.total;
      break;
    case event_kind::run_started:
    case event_kind::param_requested: break;
    case event_kind::step_log:
      j["attempt"] = e.attempt;
      j["line"] = std::string(e.message);
      break;
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

TYPEFLOW_INLINE void progress_view::clear_locked() {
  if (drawn_ == 0) return;
  out_ << "\x1b[" << drawn_ << "A";
  for (std::size_t i = 0; i < drawn_; ++i) out_ << "\r\x1b[2K\n";
  out_ << "\x1b[" << drawn_ << "A";
  drawn_ = 0;
}

TYPEFLOW_INLINE void progress_view::draw_locked() {
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
  for (const auto& [name, w] : waiting_) {
    lines.push_back("  " + name + "  waiting " + format_duration(now - w.first) + "  " + w.second);
  }
  const std::size_t finished = succeeded_ + failed_ + cached_ + skipped_;
  const std::size_t pending = total_ > finished + running_ ? total_ - finished - running_ : 0;
  lines.push_back(std::to_string(succeeded_) + " succeeded, " + std::to_string(running_) +
                  " running, " + std::to_string(pending) + " pending, " + std::to_string(failed_) +
                  " failed, " + std::to_string(cached_) + " cached");
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

}  // namespace typeflow
