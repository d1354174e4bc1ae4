#pragma once
// Helpers shared by the fuzz targets (fuzz/*.cpp): the fuzzer's bytes cut into the pieces a
// target needs, and scratch files for targets whose function under test reads a path.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace typeflow::fuzz {

/// Reads the input front to back: a byte, or a string whose length is the next byte (cut
/// short at the end of the input), or everything left.
class input {
 public:
  input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::string string() {
    const std::size_t n = std::min<std::size_t>(byte(), rest_.size());
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return out;
  }
  std::string rest() {
    std::string out(rest_);
    rest_ = {};
    return out;
  }
  [[nodiscard]] bool empty() const noexcept { return rest_.empty(); }

 private:
  std::string_view rest_;
};

/// A file under $TMPDIR (or /tmp) named for this process, rewritten by each call and removed
/// at exit.
class scratch_file {
 public:
  explicit scratch_file(const std::string& name) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/typeflow-fuzz-" +
            std::to_string(::getpid()) + "-" + name;
  }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() { ::unlink(path_.c_str()); }

  const std::string& write(std::string_view bytes) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) std::abort();
    return path_;
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace typeflow::fuzz
