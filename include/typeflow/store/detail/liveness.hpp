#pragma once
// Whether the process that records a run is still the one running it. On the run's own host
// that is a fact, not a guess: the pid names a live process whose start time is the one the
// run recorded (so a paused process is alive however old its heartbeat, and a pid given again
// to another process is not). Elsewhere only the heartbeat's age tells.

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <typeflow/store/detail/files.hpp>

namespace typeflow::store_detail {

/// The boot this host is in (Linux: /proc/sys/kernel/random/boot_id); empty where unknown.
inline const std::string& boot_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string text;
    std::getline(in, text);
    return text;
  }();
  return id;
}

/// What /proc/PID/stat says of a process: its state letter and when it started, as text that
/// only that process has on this host: the boot's id and the start time in clock ticks since
/// boot (field 22), e.g. "4f1c.../123456".
struct process_facts {
  char state = '?';
  std::string start;
};

/// The facts of process `pid`; nullopt where they cannot be read (no such process, a system
/// without /proc, or a /proc that hides other users' processes).
inline std::optional<process_facts> read_process(std::int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "PID (COMM) STATE ...": COMM may hold spaces and parentheses; the fields after the last
  // ')' are plain. STATE is field 3, starttime field 22.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  process_facts out;
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return std::nullopt;
    if (i == 3) out.state = field[0];
  }
  if (field.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  out.start = boot_id() + "/" + field;
  return out;
}

/// When process `pid` started (see process_facts); empty where it cannot be read.
inline std::string process_start(std::int64_t pid) {
  auto facts = read_process(pid);
  return facts ? facts->start : std::string{};
}

enum class liveness : std::uint8_t {
  alive,    ///< its process is running (maybe paused) on this host
  dead,     ///< no process has its pid, or another process does
  unknown,  ///< another host's run, or one whose process start could not be told
};

/// Whether the process that recorded a run (on `host`, as `pid`, started at `start`) is still
/// alive, as seen from `here` (this host's name).
inline liveness process_liveness(std::string_view host, std::int64_t pid, std::string_view start,
                                 std::string_view here) {
  if (host != here) return liveness::unknown;
  if (!process_alive(pid)) return liveness::dead;
  auto facts = read_process(pid);
  // Exited, its parent not told yet (a zombie): gone, whoever recorded it.
  if (facts && (facts->state == 'Z' || facts->state == 'X')) return liveness::dead;
  if (start.empty()) return liveness::unknown;  // recorded by an older typeflow
  if (!facts) return liveness::unknown;
  return facts->start == start ? liveness::alive : liveness::dead;
}

}  // namespace typeflow::store_detail
