#pragma once
// The definitions of launch/job_files.hpp.

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <typeflow/config.hpp>
#include <typeflow/detail/number_text.hpp>
#include <typeflow/launch/job_files.hpp>

namespace typeflow {

namespace launch_detail {

inline std::string suffixed(std::string_view base, std::optional<std::size_t> element,
                            std::string_view ext) {
  std::string out(base);
  if (element) out += "." + std::to_string(*element);
  out += ext;
  return out;
}

/// A metric's value as the command line's JSON writes it (cli/detail/json.hpp's json_number):
/// itself when finite, else "nan", "inf" or "-inf".
inline nlohmann::json number(double v) {
  if (const char* word = detail::non_finite_text(v)) return word;
  return v;
}

inline double number_of(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (j == "inf") return std::numeric_limits<double>::infinity();
  if (j == "-inf") return -std::numeric_limits<double>::infinity();
  throw std::runtime_error("not a number");
}

[[noreturn]] inline void bad(std::string_view where, std::string_view what) {
  throw std::runtime_error("typeflow: '" + std::string(where) + "' " + std::string(what));
}

inline const nlohmann::json& field(const nlohmann::json& j, const char* name,
                                   std::string_view where) {
  auto it = j.find(name);
  if (it == j.end()) bad(where, std::string("has no field '") + name + "'");
  return *it;
}

template <class T>
T typed(const nlohmann::json& j, const char* name, std::string_view where) {
  const auto& f = field(j, name, where);
  try {
    return f.get<T>();
  } catch (const nlohmann::json::exception&) {
    bad(where, std::string("has a field '") + name + "' of the wrong type");
  }
}

inline nlohmann::json parse_object(std::string_view text, std::string_view where) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad(where, "is not a JSON object");
  return j;
}

}  // namespace launch_detail

TYPEFLOW_INLINE std::filesystem::path job_dir(const std::filesystem::path& store,
                                              std::string_view run, std::string_view step,
                                              unsigned attempt) {
  // Step names are letters, digits, '_' and '-' (core/name.hpp): a path component as they are.
  return store / "jobs" / std::string(run) / std::string(step) / std::to_string(attempt);
}

TYPEFLOW_INLINE std::filesystem::path result_file(const std::filesystem::path& dir,
                                                  std::optional<std::size_t> element) {
  return dir / launch_detail::suffixed("result", element, ".json");
}
TYPEFLOW_INLINE std::filesystem::path job_id_file(const std::filesystem::path& dir,
                                                  std::optional<std::size_t> element) {
  return dir / launch_detail::suffixed("job", element, "");
}

TYPEFLOW_INLINE void write_file_atomically(const std::filesystem::path& path,
                                           std::string_view text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    throw std::runtime_error("typeflow: cannot create '" + path.parent_path().string() +
                             "': " + ec.message());
  }
  const auto tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("typeflow: cannot write '" + tmp + "': " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error("typeflow: cannot write '" + tmp + "': " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("typeflow: cannot write '" + tmp + "': " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("typeflow: cannot rename '" + tmp + "' to '" + path.string() +
                             "': " + std::strerror(err));
  }
}

TYPEFLOW_INLINE std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    throw std::runtime_error("typeflow: cannot read '" + path.string() + "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

TYPEFLOW_INLINE std::string task_text(const step_task& t) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& i : t.inputs) inputs.push_back(i.empty() ? nlohmann::json() : nlohmann::json(i));
  nlohmann::json j{{"pipeline", t.pipeline}, {"structure_hash", t.structure_hash},
                   {"run", t.run_id},        {"step", t.step},
                   {"attempt", t.attempt},   {"limit_ns", t.limit_ns},
                   {"elements", t.elements}, {"inputs", std::move(inputs)}};
  return j.dump(2) + "\n";
}

TYPEFLOW_INLINE step_task parse_task(std::string_view text, std::string_view where) {
  using namespace launch_detail;
  const auto j = parse_object(text, where);
  step_task t;
  t.pipeline = typed<std::string>(j, "pipeline", where);
  t.structure_hash = typed<std::string>(j, "structure_hash", where);
  t.run_id = typed<std::string>(j, "run", where);
  t.step = typed<std::string>(j, "step", where);
  t.attempt = typed<unsigned>(j, "attempt", where);
  t.limit_ns = typed<std::int64_t>(j, "limit_ns", where);
  t.elements = typed<std::size_t>(j, "elements", where);
  const auto& inputs = field(j, "inputs", where);
  if (!inputs.is_array()) bad(where, "has a field 'inputs' that is not an array");
  for (const auto& i : inputs) {
    if (i.is_null()) {
      t.inputs.emplace_back();
    } else if (i.is_string()) {
      t.inputs.push_back(i.get<std::string>());
    } else {
      bad(where, "has an input that is neither an artifact hash nor null");
    }
  }
  return t;
}

TYPEFLOW_INLINE std::string result_text(const step_result& r) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& [name, value, index] : r.metrics) {
    metrics.push_back(nlohmann::json::array({name, launch_detail::number(value), index}));
  }
  nlohmann::json j{{"status", r.status}, {"message", r.message},
                   {"output", r.output}, {"metrics", std::move(metrics)},
                   {"host", r.host},     {"seconds", r.seconds}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

TYPEFLOW_INLINE step_result parse_result(std::string_view text, std::string_view where) {
  using namespace launch_detail;
  const auto j = parse_object(text, where);
  step_result r;
  r.status = typed<std::string>(j, "status", where);
  if (r.status != "succeeded" && r.status != "failed" && r.status != "skipped" &&
      r.status != "timed_out") {
    bad(where, "has an unknown status '" + r.status + "'");
  }
  r.message = typed<std::string>(j, "message", where);
  r.output = typed<std::string>(j, "output", where);
  r.host = typed<std::string>(j, "host", where);
  r.seconds = typed<double>(j, "seconds", where);
  const auto& metrics = field(j, "metrics", where);
  if (!metrics.is_array()) bad(where, "has a field 'metrics' that is not an array");
  for (const auto& m : metrics) {
    if (!m.is_array() || m.size() != 3 || !m[0].is_string() || !m[2].is_number_integer()) {
      bad(where, "has a metric that is not [name, value, index]");
    }
    try {
      r.metrics.emplace_back(m[0].get<std::string>(), number_of(m[1]), m[2].get<std::int64_t>());
    } catch (const std::runtime_error&) {
      bad(where, "has a metric whose value is not a number");
    }
  }
  return r;
}

}  // namespace typeflow
